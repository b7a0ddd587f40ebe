namespace GenStore.Journal.Tests;

/// <summary>An in-memory machine: the managed paths, accounts and triggers, with the preconditions a real applier meets.</summary>
/// <remarks>
/// Applying an action out of order (a child before its parent, a group deleted while a user needs it, a directory
/// removed while it has children) throws, so applying a plan to the model checks its order as well as its result.
/// </remarks>
internal sealed class MachineModel
{
    private readonly Dictionary<StepIdentity, Step> _state = [];
    private readonly HashSet<string> _externals;
    private readonly HashSet<string> _systemAccounts = ["root"];

    public MachineModel(IEnumerable<string> externals)
    {
        _externals = [.. externals];
    }

    public IReadOnlyDictionary<StepIdentity, Step> State => _state;

    public void Apply(Plan plan)
    {
        foreach (var action in plan.Actions)
        {
            Apply(action);
        }
    }

    public void Apply(PlanAction action)
    {
        switch (action.Kind)
        {
            case PlanActionKind.Do:
                Require(!_state.ContainsKey(action.Identity), action, "identity already present");
                RequireNeeds(action.New!, action);
                _state[action.Identity] = action.New!;
                break;
            case PlanActionKind.Change:
                Require(_state.TryGetValue(action.Identity, out var current) && current.Equals(action.Old), action, "current state is not the old step");
                Require(action.Old!.GetType() == action.New!.GetType(), action, "change of kind in place");
                RequireNeeds(action.New!, action);
                _state[action.Identity] = action.New!;
                break;
            case PlanActionKind.Undo:
                Require(_state.TryGetValue(action.Identity, out var present) && present.Equals(action.Old), action, "current state is not the old step");
                RequireUnused(action.Old!, action);
                _state.Remove(action.Identity);
                break;
        }
    }

    public bool Matches(Journal journal) =>
        _state.Count == journal.Steps.Count && journal.Steps.All(s => _state.TryGetValue(s.Identity, out var present) && present.Equals(s));

    private void RequireNeeds(Step step, PlanAction action)
    {
        if (step.Identity.Kind == IdentityKind.Path)
        {
            var parent = JournalPaths.Parent(step.Identity.Name);
            var parentOk = parent == "/" || _externals.Contains(parent)
                || (_state.TryGetValue(new StepIdentity(IdentityKind.Path, parent), out var p) && p is MkdirStep);
            Require(parentOk, action, $"parent {parent} is not a present directory");
        }

        foreach (var account in JournalDiff.Accounts(step))
        {
            Require(_systemAccounts.Contains(account.Name) || _state.ContainsKey(account), action, $"{account} does not exist");
        }
    }

    private void RequireUnused(Step step, PlanAction action)
    {
        var id = step.Identity;
        foreach (var other in _state.Values)
        {
            if (id.Kind == IdentityKind.Path)
            {
                Require(!other.Identity.Name.StartsWith(id.Name + "/", StringComparison.Ordinal) || other.Identity.Kind != IdentityKind.Path,
                    action, $"{other.Identity} is still inside");
            }
            else if (id.Kind is IdentityKind.User or IdentityKind.Group)
            {
                Require(!JournalDiff.Accounts(other).Contains(id), action, $"{other.Identity} still needs it");
            }
        }
    }

    private static void Require(bool condition, PlanAction action, string why)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"{action.Kind} {action.Identity}: {why}");
        }
    }
}
