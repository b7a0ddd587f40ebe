namespace GenStore.Journal.Tests;

public sealed class JournalLoaderTests
{
    [Fact]
    public void Includes_are_spliced_in_place_relative_to_the_including_file()
    {
        var result = JournalLoader.Load(TestData.PathOf("include-main.journal"));

        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        Assert.Equal(["/etc/app", "/etc/app/plugin", "/etc/app/plugin/untagged", "/etc/app/last"], result.Journal.Steps.Select(s => s.Identity.Name));
        Assert.Empty(result.Journal.Includes);
    }

    [Fact]
    public void Included_steps_keep_their_origin_and_untagged_ones_get_their_journal_line()
    {
        var steps = JournalLoader.Load(TestData.PathOf("include-main.journal")).Journal.Steps;

        Assert.Equal(new SourceSpan("plugin.gen", 2, 1), steps[1].Source);
        Assert.EndsWith(Path.Combine("plugin", "extra.journal"), steps[2].Source.File, StringComparison.Ordinal);
        Assert.Equal((3, 1), (steps[2].Source.Line, steps[2].Source.Column));
        Assert.EndsWith(Path.Combine("plugin", "extra.journal"), steps[1].Location.File, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loaded_journal_prints_flat_and_self_contained()
    {
        var journal = JournalLoader.LoadOrThrow(TestData.PathOf("include-main.journal"));

        var text = JournalPrinter.Print(journal);

        Assert.DoesNotContain("INCLUDE", text, StringComparison.Ordinal);
        Assert.Equal(journal.Steps, TestData.Parse(text).Steps);
    }

    [Fact]
    public void An_include_cycle_is_an_error_that_names_the_cycle()
    {
        var result = JournalLoader.Load(TestData.PathOf(Path.Combine("cycle", "a.journal")));

        var problem = Assert.Single(result.Problems);
        Assert.Equal(JournalCodes.IncludeCycle, problem.Code);
        Assert.Matches(@"a\.journal -> .*b\.journal -> .*a\.journal", problem.Message);
    }

    [Fact]
    public void A_missing_include_is_reported_at_the_include_line()
    {
        using var dir = new GenStore.Testing.TempDir();
        var main = dir.Combine("main.journal");
        File.WriteAllText(main, "gen-journal 1\nGROUP g\nINCLUDE nothere.journal\n");

        var problem = Assert.Single(JournalLoader.Load(main).Problems);

        Assert.Equal((JournalCodes.IncludeMissing, main, 3), (problem.Code, problem.File, problem.Line));
    }

    [Fact]
    public void Problems_of_included_files_are_positioned_in_those_files()
    {
        using var dir = new GenStore.Testing.TempDir();
        Directory.CreateDirectory(dir.Combine("sub"));
        File.WriteAllText(dir.Combine("main.journal"), "gen-journal 1\nINCLUDE sub/x.journal\nGROUP bad gid=x\n");
        File.WriteAllText(dir.Combine("sub", "x.journal"), "gen-journal 1\nUSER u uid=-1\n");

        var problems = JournalLoader.Load(dir.Combine("main.journal")).Problems;

        Assert.Equal([(dir.Combine("main.journal"), 3), (dir.Combine("sub", "x.journal"), 2)], problems.Select(p => (p.File, p.Line)));
    }

    [Fact]
    public void A_missing_top_file_is_an_input_error()
    {
        Assert.Throws<InputException>(() => JournalLoader.Load("/nonexistent/x.journal"));
    }
}
