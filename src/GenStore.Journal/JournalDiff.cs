namespace GenStore.Journal;

/// <summary>Diffs two journals by identity into an ordered <see cref="Plan"/> (DESIGN §7).</summary>
/// <remarks>
/// The base order is: every undo in reverse old order, then every do and change in new order. Both journals are
/// valid (parents before children, groups before the users and paths that need them), so that order already puts
/// children before parents when undoing and parents before children when doing. Dependencies between the two
/// halves (a user changed off a group before the group is deleted, a group created before a user is changed onto
/// it, a directory undone before a file takes its path) are added as edges, and a stable topological sort keeps
/// the base order wherever the edges allow it.
/// </remarks>
public static class JournalDiff
{
    /// <summary>The plan that takes a machine from <paramref name="old"/> to <paramref name="new"/>; empty when they are equal.</summary>
    /// <remarks>Both journals should pass the static checks; for duplicate identities the first step wins.</remarks>
    public static Plan Plan(Journal old, Journal @new)
    {
        var oldSteps = old.Steps;
        var newSteps = @new.Steps;
        var matchOfNew = new int[newSteps.Count];
        Array.Fill(matchOfNew, -1);
        var matchedOld = new bool[oldSteps.Count];
        AlignInOrder(oldSteps, newSteps, matchOfNew, matchedOld);

        // What the walk in order could not pair (moved, added or removed steps) is paired by identity.
        Dictionary<StepIdentity, int>? rest = null;
        for (var i = 0; i < oldSteps.Count; i++)
        {
            if (!matchedOld[i])
            {
                (rest ??= []).TryAdd(oldSteps[i].Identity, i);
            }
        }

        // (action, priority): undos first in reverse old order, then dos and changes in new order.
        var actions = new List<PlanAction>();
        // Priorities in a plain array (at most one action per old step and one per new step): framework collections over
        // value types (List<long>, PriorityQueue<int, long>) have no ReadyToRun code and were JIT-compiled in every switch.
        var priority = new long[oldSteps.Count + newSteps.Count];
        HashSet<StepIdentity>? onlyNew = null;
        for (var j = 0; j < newSteps.Count; j++)
        {
            var step = newSteps[j];
            var i = matchOfNew[j];
            if (i < 0 && rest is not null && rest.TryGetValue(step.Identity, out var moved) && !matchedOld[moved])
            {
                i = moved;
                matchedOld[i] = true;
            }

            if (i < 0)
            {
                // A set only over new-only identities skips duplicates; they are few, so it stays small.
                if ((onlyNew ??= []).Add(step.Identity))
                {
                    actions.Add(PlanAction.Create(step));
                    priority[actions.Count - 1] = DoPriority(j);
                }

                continue;
            }

            var before = oldSteps[i];
            if (before.Equals(step))
            {
                continue;
            }

            if (before.GetType() == step.GetType())
            {
                actions.Add(PlanAction.Modify(before, step));
                priority[actions.Count - 1] = DoPriority(j);
            }
            else
            {
                actions.Add(PlanAction.Remove(before));
                priority[actions.Count - 1] = UndoPriority(i);
                actions.Add(PlanAction.Create(step));
                priority[actions.Count - 1] = DoPriority(j);
            }
        }

        for (var i = 0; i < oldSteps.Count; i++)
        {
            if (!matchedOld[i] && rest![oldSteps[i].Identity] == i)
            {
                actions.Add(PlanAction.Remove(oldSteps[i]));
                priority[actions.Count - 1] = UndoPriority(i);
            }
        }

        if (actions.Count == 0)
        {
            return GenStore.Journal.Plan.Empty;
        }

        return new Plan(Order(actions, priority));
    }

    /// <summary>Pairs steps with the same identity by walking both journals in order, looking a few steps ahead at a gap.</summary>
    /// <remarks>
    /// Two generations of one config differ in few places and keep their order, so nearly every step is paired here
    /// by comparing neighbours, without hashing every identity of both journals into a table.
    /// </remarks>
    private static void AlignInOrder(IReadOnlyList<Step> oldSteps, IReadOnlyList<Step> newSteps, int[] matchOfNew, bool[] matchedOld)
    {
        const int lookAhead = 4;
        int i = 0, j = 0;
        while (i < oldSteps.Count && j < newSteps.Count)
        {
            if (oldSteps[i].Identity == newSteps[j].Identity)
            {
                matchOfNew[j++] = i;
                matchedOld[i++] = true;
                continue;
            }

            var resynced = false;
            for (var d = 1; d <= lookAhead && !resynced; d++)
            {
                if (j + d < newSteps.Count && oldSteps[i].Identity == newSteps[j + d].Identity)
                {
                    j += d;
                    resynced = true;
                }
                else if (i + d < oldSteps.Count && oldSteps[i + d].Identity == newSteps[j].Identity)
                {
                    i += d;
                    resynced = true;
                }
            }

            if (!resynced)
            {
                i++;
                j++;
            }
        }
    }

    private static long UndoPriority(int oldIndex) => -(long)oldIndex - 1 - int.MaxValue;

    private static long DoPriority(int newIndex) => newIndex;

    private static PlanAction[] Order(List<PlanAction> actions, long[] priority)
    {
        var edges = BuildEdges(actions);
        var indegree = new int[actions.Count];
        foreach (var list in edges.Values)
        {
            foreach (var to in list)
            {
                indegree[to]++;
            }
        }

        var ready = new IndexHeap(priority);
        for (var a = 0; a < actions.Count; a++)
        {
            if (indegree[a] == 0)
            {
                ready.Push(a);
            }
        }

        var ordered = new List<PlanAction>(actions.Count);
        var emitted = new bool[actions.Count];
        while (ordered.Count < actions.Count)
        {
            if (!ready.TryPop(out var next))
            {
                // Only journals that fail the static checks can make a cycle; fall back to the base order for the rest.
                var rest = Enumerable.Range(0, actions.Count).Where(a => !emitted[a]).OrderBy(a => priority[a]);
                ordered.AddRange(rest.Select(a => actions[a]));
                break;
            }

            emitted[next] = true;
            ordered.Add(actions[next]);
            if (edges.TryGetValue(next, out var targets))
            {
                foreach (var to in targets)
                {
                    if (--indegree[to] == 0)
                    {
                        ready.Push(to);
                    }
                }
            }
        }

        return [.. ordered];
    }

    private static Dictionary<int, List<int>> BuildEdges(List<PlanAction> actions)
    {
        var pathNew = new Dictionary<string, int>(StringComparer.Ordinal);
        var pathUndo = new Dictionary<string, int>(StringComparer.Ordinal);
        var accountNew = new IdentityTable<int>();
        var accountUndo = new IdentityTable<int>();
        for (var a = 0; a < actions.Count; a++)
        {
            var action = actions[a];
            var id = action.Identity;
            var target = id.Kind == IdentityKind.Path ? null : (action.Kind == PlanActionKind.Undo ? accountUndo : accountNew);
            if (id.Kind == IdentityKind.Path)
            {
                (action.Kind == PlanActionKind.Undo ? pathUndo : pathNew)[id.Name] = a;
            }
            else
            {
                target!.Set(id, a);
            }
        }

        var edges = new Dictionary<int, List<int>>();
        void Edge(int from, int to)
        {
            if (!edges.TryGetValue(from, out var list))
            {
                edges[from] = list = [];
            }

            list.Add(to);
        }

        for (var a = 0; a < actions.Count; a++)
        {
            var action = actions[a];
            if (action.New is { } added)
            {
                if (added.Identity.Kind == IdentityKind.Path)
                {
                    var path = added.Identity.Name;
                    if (action.Kind == PlanActionKind.Do && pathUndo.TryGetValue(path, out var undoSame))
                    {
                        Edge(undoSame, a);
                    }

                    foreach (var parent in Ancestors(path))
                    {
                        if (pathNew.TryGetValue(parent, out var p))
                        {
                            Edge(p, a);
                        }
                    }
                }

                foreach (var account in Accounts(added))
                {
                    if (accountNew.TryGetValue(account, out var creator) && creator != a)
                    {
                        Edge(creator, a);
                    }
                }
            }

            if (action.Old is { } removed)
            {
                if (action.Kind == PlanActionKind.Undo && removed.Identity.Kind == IdentityKind.Path)
                {
                    foreach (var parent in Ancestors(removed.Identity.Name))
                    {
                        if (pathUndo.TryGetValue(parent, out var p))
                        {
                            Edge(a, p);
                        }
                    }
                }

                foreach (var account in Accounts(removed))
                {
                    if (accountUndo.TryGetValue(account, out var remover) && remover != a)
                    {
                        Edge(a, remover);
                    }
                }
            }
        }

        return edges;
    }

    /// <summary>The proper ancestors of an absolute path, nearest first, without <c>/</c>.</summary>
    internal static IEnumerable<string> Ancestors(string path)
    {
        for (var i = path.LastIndexOf('/'); i > 0; i = path.LastIndexOf('/', i - 1))
        {
            yield return path[..i];
        }
    }

    /// <summary>The accounts a step needs to exist: owners and groups of paths, the groups of a user.</summary>
    internal static IEnumerable<StepIdentity> Accounts(Step step)
    {
        switch (step)
        {
            case MkdirStep m:
                yield return new StepIdentity(IdentityKind.User, m.Owner);
                yield return new StepIdentity(IdentityKind.Group, m.Group);
                break;
            case CopyStep c:
                yield return new StepIdentity(IdentityKind.User, c.Owner);
                yield return new StepIdentity(IdentityKind.Group, c.Group);
                break;
            case UserStep u:
                if (u.PrimaryGroup is { } primary)
                {
                    yield return new StepIdentity(IdentityKind.Group, primary);
                }

                foreach (var g in u.Groups)
                {
                    yield return new StepIdentity(IdentityKind.Group, g);
                }

                break;
        }
    }
}

/// <summary>Which RUN triggers a switch fires: those whose <c>on=</c> pattern matches a path the plan changed.</summary>
public static class Triggers
{
    /// <summary>The RUN steps of <paramref name="newJournal"/>, in journal order, that match a path created, changed or removed by <paramref name="plan"/>.</summary>
    /// <remarks>Patterns follow <see cref="PathGlob"/>; a trigger that is itself new or changed runs only if a matching path changed too.</remarks>
    public static IReadOnlyList<RunStep> ToRun(Plan plan, Journal newJournal)
    {
        var paths = plan.ChangedPaths();
        if (paths.Count == 0)
        {
            return [];
        }

        var result = new List<RunStep>();
        foreach (var step in newJournal.Steps)
        {
            if (step is RunStep run && run.On.Any(pattern => paths.Any(path => PathGlob.IsMatch(pattern, path))))
            {
                result.Add(run);
            }
        }

        return result;
    }
}
