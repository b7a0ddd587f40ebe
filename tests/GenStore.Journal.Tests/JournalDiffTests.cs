namespace GenStore.Journal.Tests;

public sealed class JournalDiffTests
{
    private const int Cases = 400;

    private static readonly CheckOptions Accounts = new() { SystemUsers = new HashSet<string> { "root" }, SystemGroups = new HashSet<string> { "root" } };

    private static IEnumerable<(Journal A, Journal B)> RandomPairs(int seed)
    {
        var random = new RandomJournals(seed);
        for (var i = 0; i < Cases; i++)
        {
            var a = random.Next();
            yield return (a, i % 2 == 0 ? random.Next() : random.Tweak(a));
        }
    }

    private static MachineModel ModelOf(Journal journal)
    {
        var model = new MachineModel([RandomJournals.External]);
        model.Apply(JournalDiff.Plan(Journal.Empty, journal));
        Assert.True(model.Matches(journal));
        return model;
    }

    [Fact]
    public void The_random_journals_are_valid()
    {
        foreach (var (a, b) in RandomPairs(1).Take(100))
        {
            Assert.DoesNotContain(JournalChecker.Check(a, Accounts), p => p.Code != JournalCodes.PatternMatchesNothing);
            Assert.DoesNotContain(JournalChecker.Check(b, Accounts), p => p.Code != JournalCodes.PatternMatchesNothing);
        }
    }

    [Fact]
    public void The_plan_from_a_journal_to_itself_is_empty()
    {
        foreach (var (a, _) in RandomPairs(2))
        {
            Assert.True(JournalDiff.Plan(a, a).IsEmpty);
        }
    }

    [Fact]
    public void Applying_a_plan_to_the_old_state_gives_exactly_the_new_state_and_the_reverse_plan_returns()
    {
        var nonTrivial = 0;
        foreach (var (a, b) in RandomPairs(3))
        {
            var model = ModelOf(a);
            var forward = JournalDiff.Plan(a, b);
            model.Apply(forward);
            Assert.True(model.Matches(b), "A→B did not reach B:\n" + JournalPrinter.Print(a) + "\n" + JournalPrinter.Print(b));
            model.Apply(JournalDiff.Plan(b, a));
            Assert.True(model.Matches(a), "B→A did not return to A");
            nonTrivial += forward.Actions.Any(x => x.Kind == PlanActionKind.Undo) && forward.Actions.Any(x => x.Kind != PlanActionKind.Undo) ? 1 : 0;
        }

        Assert.True(nonTrivial > Cases / 4, $"only {nonTrivial} plans mixed undo and do");
    }

    [Fact]
    public void A_plan_never_touches_an_identity_that_did_not_change()
    {
        foreach (var (a, b) in RandomPairs(4))
        {
            var before = a.Steps.ToDictionary(s => s.Identity);
            var after = b.Steps.ToDictionary(s => s.Identity);
            foreach (var action in JournalDiff.Plan(a, b).Actions)
            {
                var unchanged = before.TryGetValue(action.Identity, out var x) && after.TryGetValue(action.Identity, out var y) && x.Equals(y);
                Assert.False(unchanged, $"{action.Identity} did not change but the plan touches it");
            }
        }
    }

    [Fact]
    public void Only_old_steps_are_undone_in_reverse_order_and_only_new_steps_done_in_order()
    {
        var old = TestData.Parse("gen-journal 1\nEXTERNAL /e\nMKDIR /e/a 0755 root root\nMKDIR /e/a/b 0755 root root\nMKDIR /e/k 0755 root root\n");
        var @new = TestData.Parse("gen-journal 1\nEXTERNAL /e\nMKDIR /e/k 0755 root root\nMKDIR /e/x 0755 root root\nMKDIR /e/x/y 0755 root root\n");

        var plan = JournalDiff.Plan(old, @new);

        Assert.Equal(["Undo /e/a/b", "Undo /e/a", "Do /e/x", "Do /e/x/y"], plan.Actions.Select(a => $"{a.Kind} {a.Identity.Name}"));
    }

    [Fact]
    public void A_directory_replaced_by_a_file_is_emptied_and_removed_before_the_file_is_written()
    {
        var old = TestData.Parse("gen-journal 1\nEXTERNAL /e\nMKDIR /e/d 0755 root root\nMKDIR /e/d/x 0755 root root\nLINK /e/d/x/l /t\n");
        var @new = TestData.Parse($"gen-journal 1\nEXTERNAL /e\nCOPY /e/d {TestData.Id(1)} 0644 root root @n.gen:1:1\n");

        var plan = JournalDiff.Plan(old, @new);

        Assert.Equal(["Undo /e/d/x/l", "Undo /e/d/x", "Undo /e/d", "Do /e/d"], plan.Actions.Select(a => $"{a.Kind} {a.Identity.Name}"));
        Assert.IsType<MkdirStep>(plan.Actions[2].Old);
        Assert.Equal(new SourceSpan("n.gen", 1, 1), plan.Actions[3].Source);
    }

    [Fact]
    public void A_file_replaced_by_a_directory_is_removed_before_the_directory_and_its_children_are_made()
    {
        var old = TestData.Parse($"gen-journal 1\nEXTERNAL /e\nCOPY /e/d {TestData.Id(1)} 0644 root root\nMKDIR /e/z 0755 root root\n");
        var @new = TestData.Parse($"gen-journal 1\nEXTERNAL /e\nMKDIR /e/d 0755 root root\nCOPY /e/d/f {TestData.Id(1)} 0644 root root\nMKDIR /e/z 0700 root root\n");

        var plan = JournalDiff.Plan(old, @new);

        Assert.Equal(["Undo /e/d", "Do /e/d", "Do /e/d/f", "Change /e/z"], plan.Actions.Select(a => $"{a.Kind} {a.Identity.Name}"));
    }

    [Fact]
    public void A_user_moved_to_a_new_group_is_changed_after_the_group_is_made_and_before_the_old_group_is_deleted()
    {
        var old = TestData.Parse("gen-journal 1\nGROUP old\nUSER u group=old\n");
        var @new = TestData.Parse("gen-journal 1\nGROUP fresh\nUSER u group=fresh\n");

        var plan = JournalDiff.Plan(old, @new);

        Assert.Equal(["Do fresh", "Change u", "Undo old"], plan.Actions.Select(a => $"{a.Kind} {a.Identity.Name}"));
    }

    [Fact]
    public void Users_are_undone_before_their_groups_and_groups_done_before_their_users()
    {
        var withUser = TestData.Parse("gen-journal 1\nGROUP g\nUSER u group=g\n");

        Assert.Equal(["Undo u", "Undo g"], JournalDiff.Plan(withUser, Journal.Empty).Actions.Select(a => $"{a.Kind} {a.Identity.Name}"));
        Assert.Equal(["Do g", "Do u"], JournalDiff.Plan(Journal.Empty, withUser).Actions.Select(a => $"{a.Kind} {a.Identity.Name}"));
    }

    [Fact]
    public void Moving_a_step_in_the_source_does_not_change_anything()
    {
        var a = TestData.Parse("gen-journal 1\nGROUP g @a.gen:1:1\n");
        var b = TestData.Parse("gen-journal 1\nGROUP g @b.gen:9:9\n");

        Assert.True(JournalDiff.Plan(a, b).IsEmpty);
    }

    [Fact]
    public void Triggers_run_when_a_changed_path_matches_their_pattern()
    {
        var old = TestData.Read("nginx.journal");
        var @new = TestData.Parse(old.Replace("COPY /etc/nginx/nginx.conf b3:9f", "COPY /etc/nginx/nginx.conf b3:8f", StringComparison.Ordinal));

        var plan = JournalDiff.Plan(TestData.Parse(old), @new);

        Assert.Equal(["reload-nginx"], Triggers.ToRun(plan, @new).Select(t => t.Name));
        Assert.Empty(Triggers.ToRun(JournalDiff.Plan(TestData.Parse(old), TestData.Parse(old)), @new));
        Assert.Equal(["/etc/nginx/nginx.conf"], plan.ChangedPaths());
    }

    [Fact]
    public void The_model_rejects_plans_in_the_wrong_order_so_the_properties_have_teeth()
    {
        var journal = TestData.Parse("gen-journal 1\nEXTERNAL /ext\nGROUP g\nUSER u group=g\nMKDIR /ext/a 0755 u root\nMKDIR /ext/a/b 0755 root root\n");
        var plan = JournalDiff.Plan(Journal.Empty, journal);
        var model = ModelOf(journal);

        Assert.Throws<InvalidOperationException>(() => new MachineModel([RandomJournals.External]).Apply(new Plan([.. plan.Actions.Reverse()])));
        Assert.Throws<InvalidOperationException>(() => model.Apply(new Plan([.. JournalDiff.Plan(journal, Journal.Empty).Actions.Reverse()])));
    }

    [Fact]
    public void Hundreds_of_undos_come_in_reverse_old_order_before_the_dos_in_new_order()
    {
        var old = new System.Text.StringBuilder("gen-journal 1\nEXTERNAL /e\nMKDIR /e/d 0755 root root\n");
        var @new = new System.Text.StringBuilder("gen-journal 1\nEXTERNAL /e\nMKDIR /e/d 0755 root root\n");
        for (var i = 0; i < 300; i++)
        {
            // Shuffled names, so that neither order is the order of the names.
            old.Append(System.Globalization.CultureInfo.InvariantCulture, $"COPY /e/d/old{(i * 7919) % 300:D3} {TestData.Id(1)} 0644 root root\n");
            @new.Append(System.Globalization.CultureInfo.InvariantCulture, $"COPY /e/d/new{(i * 104729) % 300:D3} {TestData.Id(2)} 0644 root root\n");
        }

        var oldJournal = TestData.Parse(old.ToString());
        var newJournal = TestData.Parse(@new.ToString());
        var plan = JournalDiff.Plan(oldJournal, newJournal);

        var expected = oldJournal.Steps.Skip(1).Reverse().Select(PlanAction.Remove)
            .Concat(newJournal.Steps.Skip(1).Select(PlanAction.Create));
        Assert.Equal(expected, plan.Actions);
    }
}
