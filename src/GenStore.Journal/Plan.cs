namespace GenStore.Journal;

/// <summary>What a plan action does with its identity.</summary>
public enum PlanActionKind
{
    /// <summary>Create what <see cref="PlanAction.New"/> describes; the identity is not managed yet.</summary>
    Do,

    /// <summary>Remove what <see cref="PlanAction.Old"/> described (RMDIR, RM or restore the backup, UNLINK, USERDEL, GROUPDEL).</summary>
    Undo,

    /// <summary>Turn <see cref="PlanAction.Old"/> into <see cref="PlanAction.New"/> in place: same identity, same step kind, other attributes or payload.</summary>
    Change,
}

/// <summary>One ordered action of a plan, carrying everything the applier needs: the kind and the old and new steps.</summary>
/// <param name="Kind">Do, undo, or change in place.</param>
/// <param name="Old">The step of the old journal (for Undo and Change), else null.</param>
/// <param name="New">The step of the new journal (for Do and Change), else null.</param>
public sealed record PlanAction(PlanActionKind Kind, Step? Old, Step? New)
{
    /// <summary>The identity the action touches.</summary>
    public StepIdentity Identity => (New ?? Old)!.Identity;

    /// <summary>The step the action is about for display: the new one, or the old one for an undo.</summary>
    public Step Step => (New ?? Old)!;

    /// <summary>The <c>.gen</c> line to show beside the action: the new step's origin, or the old one's for an undo.</summary>
    public SourceSpan Source => Step.Source;

    /// <summary>A Do action.</summary>
    public static PlanAction Create(Step step) => new(PlanActionKind.Do, null, step);

    /// <summary>An Undo action.</summary>
    public static PlanAction Remove(Step step) => new(PlanActionKind.Undo, step, null);

    /// <summary>A Change action; both steps must have the same identity and type.</summary>
    public static PlanAction Modify(Step old, Step @new) => new(PlanActionKind.Change, old, @new);
}

/// <summary>The ordered actions that take the disk and the accounts from one journal to another (DESIGN §7).</summary>
/// <remarks>
/// A kind change at one path (a directory replaced by a file, a file by a link, …) is an Undo of the old step
/// followed, later, by a Do of the new one. Identities that are equal in both journals never appear. Actions on
/// RUN steps change nothing on the machine (a trigger is not state); <see cref="Triggers.ToRun"/> says which
/// triggers fire. EXTERNAL declarations are not diffed: gen never touches those paths.
/// </remarks>
public sealed class Plan
{
    /// <summary>Wraps actions that are already in order.</summary>
    public Plan(IReadOnlyList<PlanAction> actions)
    {
        Actions = actions;
    }

    /// <summary>The plan that does nothing.</summary>
    public static Plan Empty { get; } = new([]);

    /// <summary>The actions in the order they must be applied.</summary>
    public IReadOnlyList<PlanAction> Actions { get; }

    /// <summary>True when the journals are equal step for step (source positions aside).</summary>
    public bool IsEmpty => Actions.Count == 0;

    /// <summary>Every identity the plan touches, each once, in first-touched order.</summary>
    public IReadOnlyList<StepIdentity> ChangedIdentities()
    {
        var seen = new HashSet<StepIdentity>();
        var list = new List<StepIdentity>();
        foreach (var action in Actions)
        {
            if (seen.Add(action.Identity))
            {
                list.Add(action.Identity);
            }
        }

        return list;
    }

    /// <summary>The paths the plan creates, changes or removes, each once.</summary>
    /// <remarks>Keyed by string rather than by <see cref="StepIdentity"/>: framework collections over a value type of
    /// ours have no ReadyToRun code and are JIT-compiled in every gen process, which a switch pays for.</remarks>
    public IReadOnlyList<string> ChangedPaths()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<string>();
        foreach (var action in Actions)
        {
            var identity = action.Identity;
            if (identity.Kind == IdentityKind.Path && seen.Add(identity.Name))
            {
                list.Add(identity.Name);
            }
        }

        return list;
    }
}
