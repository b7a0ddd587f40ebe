using GenStore.Journal;

namespace GenStore.Config;

/// <summary>Puts steps in journal order and finds the parent folders that must already exist outside gen's control.</summary>
internal static class Ordering
{
    /// <summary>
    /// A stable topological order: among the steps whose prerequisites are done, the earliest declared goes next.
    /// Prerequisites: the MKDIR of the nearest managed ancestor folder; the USER and GROUP steps an owner, group or
    /// user's groups name; every <c>after</c> reference.
    /// </summary>
    public static List<Decl>? Sort(List<Decl> decls, DiagnosticBag diagnostics)
    {
        var byIdentity = new IdentityTable<Decl>(decls.Count);
        var byPath = new Dictionary<string, Decl>(decls.Count, StringComparer.Ordinal);
        foreach (var decl in decls)
        {
            byIdentity.Set(decl.Step.Identity, decl);
            if (decl.Step.Identity.Kind == IdentityKind.Path)
            {
                byPath[decl.Step.Identity.Name] = decl;
            }
        }

        var paths = byPath.GetAlternateLookup<ReadOnlySpan<char>>();
        var prerequisites = new List<int>?[decls.Count];
        for (var i = 0; i < decls.Count; i++)
        {
            var decl = decls[i];
            switch (decl.Step)
            {
                case MkdirStep m:
                    NeedAccounts(prerequisites, decl, byIdentity, m.Owner, m.Group);
                    break;
                case CopyStep c:
                    NeedAccounts(prerequisites, decl, byIdentity, c.Owner, c.Group);
                    break;
                case UserStep u:
                    if (u.PrimaryGroup is not null)
                    {
                        Need(prerequisites, decl, byIdentity, new StepIdentity(IdentityKind.Group, u.PrimaryGroup));
                    }

                    foreach (var g in u.Groups)
                    {
                        Need(prerequisites, decl, byIdentity, new StepIdentity(IdentityKind.Group, g));
                    }

                    break;
            }

            if (decl.Step.Identity.Kind == IdentityKind.Path)
            {
                var ancestor = decl.Parent ?? NearestManagedAncestor(decl.Step.Identity.Name, paths);
                if (ancestor is not null)
                {
                    if (ancestor.Step is not MkdirStep)
                    {
                        diagnostics.Add(decl.Origin, $"{decl.Step.Identity.Name} is inside {ancestor.Step.Identity.Name}, which is a {(ancestor.Step is LinkStep ? "link" : "file")} ({ancestor.Origin})",
                            "a path can only be inside a folder; change one of the two paths");
                    }
                    else
                    {
                        (prerequisites[i] ??= []).Add(ancestor.Index);
                    }
                }
            }

            // Most steps have no 'after'; asking first spares a list enumerator per step.
            if (!decl.HasAfter)
            {
                continue;
            }

            foreach (var (target, at) in decl.After)
            {
                if (byIdentity.TryGetValue(target, out var other))
                {
                    if (other.Index != decl.Index)
                    {
                        (prerequisites[i] ??= []).Add(other.Index);
                    }
                }
                else
                {
                    diagnostics.Add(at, $"after names {Evaluator.Describe(target)}, which no block declares for this host", "name a path, user:NAME, group:NAME or on_change:NAME declared in the configuration");
                }
            }
        }

        if (diagnostics.HasErrors)
        {
            return null;
        }

        // Kahn's algorithm with the smallest declaration index first: stable and deterministic.
        var waiting = new int[decls.Count];
        var dependents = new List<int>[decls.Count];
        for (var i = 0; i < decls.Count; i++)
        {
            dependents[i] = [];
        }

        for (var i = 0; i < decls.Count; i++)
        {
            var list = prerequisites[i];
            if (list is null)
            {
                continue;
            }

            foreach (var p in list.Count == 1 ? list : list.Distinct())
            {
                waiting[i]++;
                dependents[p].Add(i);
            }
        }

        // The ready step declared first comes out first: a declaration's key is its own index.
        var declared = new long[decls.Count];
        for (var i = 0; i < declared.Length; i++)
        {
            declared[i] = i;
        }

        var ready = new IndexHeap(declared);
        for (var i = 0; i < decls.Count; i++)
        {
            if (waiting[i] == 0)
            {
                ready.Push(i);
            }
        }

        var result = new List<Decl>(decls.Count);
        while (ready.TryPop(out var next))
        {
            result.Add(decls[next]);
            foreach (var d in dependents[next])
            {
                if (--waiting[d] == 0)
                {
                    ready.Push(d);
                }
            }
        }

        if (result.Count != decls.Count)
        {
            var stuck = decls.Where(d => waiting[d.Index] > 0).ToList();
            var names = string.Join(", ", stuck.Take(5).Select(d => $"{Evaluator.Describe(d.Step.Identity)} ({d.Origin})"));
            var first = stuck.FirstOrDefault(d => d.HasAfter) ?? stuck[0];
            diagnostics.Add(first.HasAfter ? first.After[0].At : first.Origin, $"these steps wait for each other: {names}{(stuck.Count > 5 ? ", …" : string.Empty)}", "remove an 'after' entry to break the cycle");
            return null;
        }

        return result;
    }

    /// <summary>
    /// The folders the journal puts things into without creating them: each top-most managed path's parent. A parent
    /// that lies below a folder gen manages is an error instead (gen would have to create it).
    /// </summary>
    public static List<ExternalPath>? Externals(List<Decl> ordered, DiagnosticBag diagnostics)
    {
        var managed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var decl in ordered)
        {
            if (decl.Step.Identity.Kind == IdentityKind.Path)
            {
                managed.Add(decl.Step.Identity.Name);
            }
        }

        var externals = new SortedDictionary<string, ExternalPath>(StringComparer.Ordinal);
        foreach (var decl in ordered)
        {
            if (decl.Step.Identity.Kind != IdentityKind.Path || decl.Parent is not null)
            {
                continue;
            }

            var parent = Parent(decl.Step.Identity.Name);
            if (parent is null || managed.Contains(parent))
            {
                continue;
            }

            var ancestor = Parent(parent);
            while (ancestor is not null && !managed.Contains(ancestor))
            {
                ancestor = Parent(ancestor);
            }

            if (ancestor is not null)
            {
                diagnostics.Add(decl.Origin, $"folder {parent} is not declared, but {decl.Step.Identity.Name} is put in it and {ancestor} is managed by gen", $"add dir \"{parent}\" {{ }}");
                continue;
            }

            if (!externals.ContainsKey(parent))
            {
                externals[parent] = new ExternalPath(parent) { Source = decl.Step.Source };
            }
        }

        return diagnostics.HasErrors ? null : externals.Values.ToList();
    }

    private static void Need(List<int>?[] prerequisites, Decl decl, IdentityTable<Decl> byIdentity, StepIdentity identity)
    {
        if (byIdentity.TryGetValue(identity, out var other) && other.Index != decl.Index)
        {
            (prerequisites[decl.Index] ??= []).Add(other.Index);
        }
    }

    private static void NeedAccounts(List<int>?[] prerequisites, Decl decl, IdentityTable<Decl> byIdentity, string owner, string group)
    {
        // root exists everywhere and is never declared; skip the two lookups for the common case.
        if (owner != "root")
        {
            Need(prerequisites, decl, byIdentity, new StepIdentity(IdentityKind.User, owner));
        }

        if (group != "root")
        {
            Need(prerequisites, decl, byIdentity, new StepIdentity(IdentityKind.Group, group));
        }
    }

    private static Decl? NearestManagedAncestor(string path, Dictionary<string, Decl>.AlternateLookup<ReadOnlySpan<char>> paths)
    {
        var span = path.AsSpan();
        for (var slash = span.LastIndexOf('/'); slash > 0; slash = span.LastIndexOf('/'))
        {
            span = span[..slash];
            if (paths.TryGetValue(span, out var decl))
            {
                return decl;
            }
        }

        return null;
    }

    private static string? Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? null : path[..slash];
    }
}
