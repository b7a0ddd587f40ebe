using System.Text.RegularExpressions;
using GenStore.Testing;

namespace GenStore.Journal.Tests;

public sealed partial class JournalToolTests
{
    [Fact]
    public void Check_prints_every_problem_of_the_journal_and_its_includes_and_counts_them()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("main.journal"), "gen-journal 1\nINCLUDE part.journal\nMKDIR /x/y 0755 root root\n");
        File.WriteAllText(dir.Combine("part.journal"), "gen-journal 1\nGROUP g gid=x\n");
        var output = new StringWriter();
        var log = new StringWriter();

        var count = JournalTool.Check(dir.Combine("main.journal"), new CheckOptions(), output, log);

        Assert.Equal(2, count);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("part.journal:2:13: J001", lines[0], StringComparison.Ordinal);
        Assert.Contains("main.journal:3:1: J103", lines[1], StringComparison.Ordinal);
        Assert.Contains("2 problems", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Format_prints_the_canonical_form_and_keeps_includes()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("j"), "gen-journal 1\n# note\nGROUP   g\nINCLUDE   \"other file\"\n\nEXTERNAL /e\n");
        var output = new StringWriter();

        Assert.Equal(0, JournalTool.Format(dir.Combine("j"), output, TextWriter.Null));
        Assert.Equal("gen-journal 1\nEXTERNAL /e\nGROUP g\nINCLUDE \"other file\"\n", output.ToString());
    }

    [Fact]
    public void Format_of_a_broken_journal_prints_its_problems_instead()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("j"), "gen-journal 1\nGROUP\n");
        var output = new StringWriter();
        var log = new StringWriter();

        Assert.Equal(1, JournalTool.Format(dir.Combine("j"), output, log));
        Assert.Empty(output.ToString());
        Assert.Contains(":2:6: J001 expected a group name", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Diff_prints_the_plan_between_two_files()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("a"), "gen-journal 1\nGROUP g gid=1\n");
        File.WriteAllText(dir.Combine("b"), "gen-journal 1\nGROUP g gid=2 @x.gen:1:1\n");
        var output = new StringWriter();

        var plan = JournalTool.Diff(dir.Combine("a"), dir.Combine("b"), json: false, output);

        Assert.Equal(PlanActionKind.Change, Assert.Single(plan.Actions).Kind);
        Assert.StartsWith("~ GROUP g gid=2 @x.gen:1:1\n    was: GROUP g gid=1\n", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_journal_example_in_the_format_reference_parses()
    {
        // The csproj copies docs/journal.md beside the tests, so the reference cannot drift from the parser.
        var doc = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "journal.md"));
        var examples = CodeBlock().Matches(doc).Select(m => m.Groups[1].Value).Where(b => b.StartsWith("gen-journal 1\n", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(examples);
        foreach (var example in examples)
        {
            Assert.True(JournalParser.Parse(example, "doc").Succeeded, example);
        }
    }

    [GeneratedRegex("```\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
