using System.Text;

namespace GenStore.Journal.Tests;

public sealed class JournalParserTests
{
    [Fact]
    public void The_design_example_parses_into_the_six_step_kinds()
    {
        var journal = TestData.Parse(TestData.Read("nginx.journal"));

        Assert.Equal(["MKDIR", "COPY", "MKDIR", "COPY", "MKDIR", "LINK", "GROUP", "USER", "RUN"], journal.Steps.Select(s => s.Keyword));
        var user = Assert.IsType<UserStep>(journal.Steps[7]);
        Assert.Equal(new UserStep("deploy", 1001, "deploy", new[] { "sudo" }, "/home/deploy", "/bin/bash"), user);
        Assert.Equal(new SourceSpan("users.gen", 4, 1), user.Source);
        var run = Assert.IsType<RunStep>(journal.Steps[8]);
        Assert.Equal(new[] { "systemctl", "reload", "nginx" }, run.Argv);
        Assert.Equal(0x1ed, ((MkdirStep)journal.Steps[0]).Mode);
        Assert.Equal(new ExternalPath("/etc"), Assert.Single(journal.Externals));
    }

    [Fact]
    public void Each_step_remembers_its_journal_line()
    {
        var journal = TestData.Parse(TestData.Read("nginx.journal"));

        Assert.Equal(new SourceSpan("test.journal", 3, 1), journal.Steps[0].Location);
        Assert.Equal(new SourceSpan("test.journal", 11, 1), journal.Steps[^1].Location);
    }

    [Fact]
    public void Quoted_strings_decode_every_escape_and_keep_non_ascii()
    {
        var journal = TestData.Parse(TestData.Read("quoting.journal"));

        Assert.Equal("/srv/my files/caf\x7f \"q\" \\ é", ((CopyStep)journal.Steps[1]).Path);
        Assert.Equal("/srv/my files/tab\there", ((LinkStep)journal.Steps[2]).Path);
        Assert.Equal("../a,b", ((LinkStep)journal.Steps[2]).Target);
        var user = (UserStep)journal.Steps[4];
        Assert.Equal(new[] { "a,b", "c" }, user.Groups);
        Assert.Equal("", user.Shell);
        Assert.Equal(new SourceSpan("c:gen:x.gen", 5, 1), user.Source);
        Assert.Equal(new SourceSpan("conf d/main.gen", 2, 5), journal.Steps[0].Source);
        var run = (RunStep)journal.Steps[5];
        Assert.Empty(run.On);
        Assert.Equal("echo \"hi\"\n", run.Argv[2]);
    }

    [Fact]
    public void Blank_lines_comments_tabs_and_crlf_are_accepted()
    {
        var journal = TestData.Parse("gen-journal 1\r\n\r\n# a comment\r\nMKDIR\t/a   0755 root root\r\n   \nGROUP g");

        Assert.Equal(new MkdirStep("/a", 0x1ed, "root", "root"), Assert.Single(journal.Steps, s => s is MkdirStep));
        Assert.Equal(2, journal.Steps.Count);
    }

    [Fact]
    public void Fields_of_users_and_triggers_may_come_in_any_order()
    {
        var journal = TestData.Parse("gen-journal 1\nUSER u shell=/bin/sh uid=5\nRUN r argv=[\"a\", \"b\"] on=/x/*,/y/**\n");

        Assert.Equal(new UserStep("u", 5, null, ValueList<string>.Empty, null, "/bin/sh"), journal.Steps[0]);
        Assert.Equal(new RunStep("r", new[] { "/x/*", "/y/**" }, new[] { "a", "b" }), journal.Steps[1]);
    }

    [Theory]
    [InlineData("MKDIR /a 755 root root", 10, "4 octal digits")]
    [InlineData("MKDIR /a 0855 root root", 10, "4 octal digits")]
    [InlineData("MKDIR /a 0755 root", 19, "expected a group")]
    [InlineData("COPY /a b3:zz 0644 root root", 9, "payload id")]
    [InlineData("FROB /a", 1, "unknown keyword 'FROB'")]
    [InlineData("mkdir /a 0755 root root", 1, "unknown keyword")]
    [InlineData("MKDIR \"/a 0755 root root", 7, "not closed")]
    [InlineData("MKDIR \"/a\\q\" 0755 root root", 10, "unknown escape")]
    [InlineData("MKDIR /a\"b 0755 root root", 9, "double quotes")]
    [InlineData("MKDIR /a 0755 root root extra", 25, "source tag")]
    [InlineData("MKDIR /a 0755 root root @x.gen:1", 25, "@file:line:col")]
    [InlineData("MKDIR /a 0755 root root @x.gen:1:1 more", 36, "tag comes last")]
    [InlineData("GROUP g gid=01", 13, "leading zeros")]
    [InlineData("GROUP g gid=99999999999", 13, "decimal number")]
    [InlineData("GROUP g uid=1", 9, "unknown field 'uid='")]
    [InlineData("GROUP g gid=1 gid=2", 15, "given twice")]
    [InlineData("USER u groups=a,", 17, "list item")]
    [InlineData("RUN r on=/a", 12, "argv=")]
    [InlineData("RUN r on=[/a argv=[\"x\"]", 13, "',' or ']'")]
    [InlineData("LINK /a", 8, "link target")]
    [InlineData("MKDIR @a 0755 root root", 7, "source tag")]
    public void A_bad_line_is_reported_with_its_column_and_what_was_expected(string line, int column, string expected)
    {
        var result = JournalParser.Parse($"gen-journal 1\n{line}\n", "bad.journal");

        var problem = Assert.Single(result.Problems);
        Assert.Equal((JournalCodes.Syntax, "bad.journal", 2, column), (problem.Code, problem.File, problem.Line, problem.Column));
        Assert.Contains(expected, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_bad_line_is_reported_not_just_the_first()
    {
        var result = JournalParser.Parse("gen-journal 1\nMKDIR /a\nGROUP ok\nLINK\nUSER u uid=x\n", "f");

        Assert.Equal([2, 4, 5], result.Problems.Select(p => p.Line));
        Assert.Single(result.Journal.Steps);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("gen-journal 2\n", "version '2' is not supported")]
    [InlineData("MKDIR /a 0755 root root\n", "header")]
    public void A_missing_or_wrong_header_is_a_header_problem(string text, string expected)
    {
        var problem = JournalParser.Parse(text, "f").Problems[0];

        Assert.Equal(JournalCodes.Header, problem.Code);
        Assert.Contains(expected, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_are_reported_at_their_line_and_column_and_other_lines_still_parse()
    {
        var bytes = Encoding.UTF8.GetBytes("gen-journal 1\nMKDIR /é\xff 0755 root root\nGROUP g\n").ToList();
        var text = Encoding.UTF8.GetBytes("gen-journal 1\nMKDIR /é");
        var input = text.Concat(new byte[] { 0xff }).Concat(Encoding.UTF8.GetBytes(" 0755 root root\nGROUP g\nMKDIR\n")).ToArray();

        var result = JournalParser.Parse(input, "f");

        Assert.Equal((JournalCodes.Encoding, 2, 9), (result.Problems[0].Code, result.Problems[0].Line, result.Problems[0].Column));
        Assert.Equal((JournalCodes.Syntax, 4), (result.Problems[1].Code, result.Problems[1].Line));
        Assert.Equal(new GroupStep("g", null), Assert.Single(result.Journal.Steps));
        Assert.NotEmpty(bytes);
    }

    [Fact]
    public void GetJournalOrThrow_raises_the_first_problem_as_a_positioned_input_exception()
    {
        var result = JournalParser.Parse("gen-journal 1\nGROUP g gid=x\n", "j.journal");

        var error = Assert.Throws<InputException>(result.GetJournalOrThrow);
        Assert.Equal(("j.journal", 2, 13), (error.Path, error.Line, error.Column));
        Assert.StartsWith("j.journal:2:13: J001", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_state_step_names_its_inverse_and_a_trigger_has_none()
    {
        var journal = TestData.Parse(TestData.Read("nginx.journal"));

        Assert.Equal(["RMDIR", "RM", "RMDIR", "RM", "RMDIR", "UNLINK", "GROUPDEL", "USERDEL", null], journal.Steps.Select(s => s.InverseKeyword));
    }
}
