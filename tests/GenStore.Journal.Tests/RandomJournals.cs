namespace GenStore.Journal.Tests;

/// <summary>Random valid journals over a small universe of names, so that two of them overlap often.</summary>
internal sealed class RandomJournals(int seed)
{
    public const string External = "/ext";

    private static readonly string[] Components = ["a", "b", "c"];
    private static readonly int[] Modes = [0x1ed, 0x1c0, 0x1a4];
    private static readonly string[] Targets = ["/x", "../y"];

    private readonly Random _random = new(seed);

    public Journal Next()
    {
        var nodes = new List<(Step Step, List<StepIdentity> Needs)>();
        var groups = new List<string>();
        for (var g = 0; g < 4; g++)
        {
            if (Chance(0.5))
            {
                groups.Add($"g{g}");
                nodes.Add((new GroupStep($"g{g}", Pick<int?>(null, 1000 + g, 2000 + g)), []));
            }
        }

        var users = new List<string>();
        for (var u = 0; u < 4; u++)
        {
            if (!Chance(0.5))
            {
                continue;
            }

            users.Add($"u{u}");
            var primary = Chance(0.3) || groups.Count == 0 ? (Chance(0.5) ? "root" : null) : Pick([.. groups]);
            var supplementary = groups.Where(_ => Chance(0.3)).ToArray();
            var step = new UserStep($"u{u}", Pick<int?>(null, 1000 + u), primary, supplementary, Pick<string?>(null, $"/home/u{u}"), Pick<string?>(null, "/bin/sh"));
            nodes.Add((step, [.. JournalDiff.Accounts(step).Where(a => a.Name != "root")]));
        }

        var paths = new List<string>();
        AddTree(External, 1, nodes, users, groups, paths);
        for (var r = 0; r < 2; r++)
        {
            if (Chance(0.5))
            {
                var on = new[] { "/ext/**", "/ext/a/*", "/ext/?/b" }.Where(_ => Chance(0.5)).DefaultIfEmpty("/ext/**").ToArray();
                nodes.Add((new RunStep($"r{r}", on, new[] { "echo", Pick("x", "y") }), []));
            }
        }

        return new Journal(RandomTopologicalOrder(nodes), [new ExternalPath(External)]);
    }

    /// <summary>A copy of <paramref name="journal"/> with a few attributes changed in place (root-owned, so it stays valid).</summary>
    public Journal Tweak(Journal journal)
    {
        var steps = journal.Steps.Select(step => !Chance(0.15) ? step : step switch
        {
            MkdirStep m => m with { Mode = m.Mode ^ 0x40, Owner = "root" },
            CopyStep c => c with { Payload = TestData.Id(_random.Next(100)), Group = "root" },
            LinkStep l => l with { Target = l.Target + "2" },
            GroupStep g => g with { Gid = (g.Gid ?? 5000) + 1 },
            UserStep u => u with { Shell = "/bin/tweaked" },
            RunStep r => r with { Argv = new[] { "tweaked" } },
            _ => step,
        }).ToList();
        return new Journal(steps, journal.Externals);
    }

    private void AddTree(string dir, int depth, List<(Step, List<StepIdentity>)> nodes, List<string> users, List<string> groups, List<string> paths)
    {
        foreach (var name in Components)
        {
            if (!Chance(depth == 1 ? 0.8 : 0.5))
            {
                continue;
            }

            var path = $"{dir}/{name}";
            var owner = users.Count > 0 && Chance(0.3) ? Pick([.. users]) : "root";
            var group = groups.Count > 0 && Chance(0.3) ? Pick([.. groups]) : "root";
            var needs = new List<StepIdentity>();
            if (dir != External)
            {
                needs.Add(new StepIdentity(IdentityKind.Path, dir));
            }

            if (owner != "root")
            {
                needs.Add(new StepIdentity(IdentityKind.User, owner));
            }

            if (group != "root")
            {
                needs.Add(new StepIdentity(IdentityKind.Group, group));
            }

            var kind = depth == 3 ? _random.Next(1, 3) : _random.Next(3);
            Step step = kind switch
            {
                0 => new MkdirStep(path, Pick(Modes), owner, group),
                1 => new CopyStep(path, TestData.Id(_random.Next(3)), Pick(Modes), owner, group),
                _ => new LinkStep(path, Pick(Targets)),
            };
            if (step is LinkStep)
            {
                needs.RemoveAll(n => n.Kind != IdentityKind.Path);
            }

            nodes.Add((step, needs));
            paths.Add(path);
            if (kind == 0)
            {
                AddTree(path, depth + 1, nodes, users, groups, paths);
            }
        }
    }

    private List<Step> RandomTopologicalOrder(List<(Step Step, List<StepIdentity> Needs)> nodes)
    {
        var done = new HashSet<StepIdentity>();
        var pending = nodes.ToList();
        var order = new List<Step>();
        while (pending.Count > 0)
        {
            var ready = pending.Where(n => n.Needs.All(done.Contains)).ToList();
            var next = ready[_random.Next(ready.Count)];
            pending.Remove(next);
            done.Add(next.Step.Identity);
            order.Add(next.Step);
        }

        return order;
    }

    private bool Chance(double p) => _random.NextDouble() < p;

    private T Pick<T>(params T[] items) => items[_random.Next(items.Length)];
}
