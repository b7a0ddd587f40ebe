namespace GenStore.Journal.Tests;

public sealed class JournalCheckerTests
{
    private const string Payload = "b3:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    private static IReadOnlyList<JournalProblem> Check(string body, CheckOptions? options = null) =>
        JournalChecker.Check(TestData.Parse("gen-journal 1\n" + body), options);

    private static void AssertOnly(IReadOnlyList<JournalProblem> problems, string code, int line, string text)
    {
        var problem = Assert.Single(problems);
        Assert.Equal((code, line), (problem.Code, problem.Line));
        Assert.Contains(text, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_design_example_has_no_problems_when_sudo_is_a_system_group()
    {
        var options = new CheckOptions { SystemUsers = new HashSet<string> { "root" }, SystemGroups = new HashSet<string> { "root", "sudo" } };

        Assert.Empty(JournalChecker.Check(TestData.Parse(TestData.Read("nginx.journal")), options));
    }

    [Fact]
    public void A_duplicate_identity_names_both_lines()
    {
        AssertOnly(Check("EXTERNAL /etc\nMKDIR /etc/a 0755 root root\nLINK /etc/a /x @a.gen:4:2\n"), JournalCodes.DuplicateIdentity, 4, "already defined at test.journal:3");
    }

    [Fact]
    public void A_path_spelled_twice_is_written_twice()
    {
        var problems = Check("EXTERNAL /etc\nMKDIR /etc/a 0755 root root\nMKDIR /etc//a 0755 root root\n");

        Assert.Equal([JournalCodes.BadPath, JournalCodes.PathWrittenTwice], problems.Select(p => p.Code));
        Assert.Contains("write it as /etc/a", problems[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("etc/a", "relative")]
    [InlineData("/etc/./a", "not normalised")]
    [InlineData("/etc/a/", "not normalised")]
    [InlineData("/../etc", "escapes the root")]
    [InlineData("/", "root itself")]
    public void A_bad_path_is_reported(string path, string text)
    {
        var problem = Check($"EXTERNAL /etc\nMKDIR {path} 0755 root root\n").First();

        Assert.Equal((JournalCodes.BadPath, 3), (problem.Code, problem.Line));
        Assert.Contains(text, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_parent_that_is_not_created_is_reported_with_what_to_do()
    {
        AssertOnly(Check("MKDIR /etc/a 0755 root root @x.gen:1:1\n"), JournalCodes.ParentMissing, 2, "add MKDIR /etc before it or declare EXTERNAL /etc");
    }

    [Fact]
    public void A_parent_created_later_is_reported_with_its_line()
    {
        AssertOnly(Check("EXTERNAL /a\nMKDIR /a/b/c 0755 root root\nMKDIR /a/b 0755 root root\n"), JournalCodes.ParentMissing, 3, "created later, at test.journal:4");
    }

    [Fact]
    public void A_parent_that_is_a_file_is_reported()
    {
        AssertOnly(Check($"EXTERNAL /a\nCOPY /a/f {Payload} 0644 root root\nMKDIR /a/f/x 0755 root root\n"), JournalCodes.ParentMissing, 4, "not a directory");
    }

    [Fact]
    public void An_external_ancestor_counts_as_present()
    {
        Assert.Empty(Check("EXTERNAL /usr/local/lib\nMKDIR /usr/local/x 0755 root root\nMKDIR /usr/local/lib/y 0755 root root\n"));
    }

    [Fact]
    public void A_parent_present_under_the_root_counts_as_present()
    {
        using var root = new GenStore.Testing.TempDir();
        Directory.CreateDirectory(root.Combine("etc"));
        File.WriteAllText(root.Combine("etc", "passwd"), "root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n");
        File.WriteAllText(root.Combine("etc", "group"), "root:x:0:\nwww-data:x:33:\n");

        var problems = Check("MKDIR /etc/a 0755 www-data www-data\nMKDIR /opt/b 0755 root root\n", new CheckOptions { Root = root.Path });

        AssertOnly(problems, JournalCodes.ParentMissing, 3, "nor present under the root");
    }

    [Fact]
    public void A_path_inside_a_link_is_reported_even_when_the_link_comes_later()
    {
        var problems = Check("EXTERNAL /a\nMKDIR /a/l/x 0755 root root\nLINK /a/l /b\nMKDIR /a/l/y 0755 root root\n");

        Assert.Equal([(JournalCodes.InsideLink, 3), (JournalCodes.InsideLink, 5)], problems.Select(p => (p.Code, p.Line)));
    }

    [Fact]
    public void Owners_and_groups_must_be_system_accounts_or_created_earlier()
    {
        var problems = Check("EXTERNAL /a\nMKDIR /a/x 0755 bob root\nGROUP staff\nUSER bob group=staff groups=ghost\nMKDIR /a/y 0755 bob staff\nMKDIR /a/z 0755 nobody root\n");

        Assert.Equal([(JournalCodes.UnknownAccount, 3), (JournalCodes.UnknownAccount, 5), (JournalCodes.UnknownAccount, 7)], problems.Select(p => (p.Code, p.Line)));
        Assert.Contains("created later", problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("group ghost", problems[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void System_accounts_come_from_the_given_lists()
    {
        var options = new CheckOptions { SystemUsers = new HashSet<string> { "nobody" }, SystemGroups = new HashSet<string> { "nogroup" } };

        Assert.Empty(Check("EXTERNAL /a\nMKDIR /a/z 0755 nobody nogroup\n", options));
    }

    [Fact]
    public void A_trigger_pattern_that_matches_nothing_is_reported_per_pattern()
    {
        var problems = Check("EXTERNAL /etc\nMKDIR /etc/nginx 0755 root root\nRUN r on=/etc/nginx/**,/etc/ssl/*,/etc/*y argv=[\"true\"]\nRUN s on=[] argv=[\"true\"]\n");

        Assert.Equal(3, problems.Count);
        Assert.Contains("/etc/ssl/*", problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("/etc/*y", problems[1].Message, StringComparison.Ordinal);
        Assert.Contains("no on= pattern", problems[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_payload_is_reported_when_the_store_is_asked()
    {
        var problems = Check($"EXTERNAL /a\nCOPY /a/f {Payload} 0644 root root\n", new CheckOptions { PayloadExists = _ => false });

        AssertOnly(problems, JournalCodes.PayloadMissing, 3, "not in the store");
    }

    [Fact]
    public void Bad_account_names_and_empty_argv_are_reported()
    {
        var problems = Check("GROUP \"a:b\"\nUSER 123\nRUN r on=/x argv=[]\nEXTERNAL /x\n");

        Assert.Equal([JournalCodes.BadName, JournalCodes.BadName, JournalCodes.BadValue, JournalCodes.PatternMatchesNothing], problems.Select(p => p.Code));
    }

    [Fact]
    public void A_managed_path_declared_external_is_reported()
    {
        AssertOnly(Check("EXTERNAL /a\nMKDIR /a 0755 root root\n"), JournalCodes.ExternalManaged, 2, "declared EXTERNAL");
    }

    [Fact]
    public void All_problems_come_out_in_one_pass_with_journal_line_and_source()
    {
        var problems = Check("MKDIR rel 0755 root root @m.gen:1:1\nMKDIR /x/y 0755 ghost root @m.gen:2:1\nGROUP g\nGROUP g @m.gen:4:1\n");

        Assert.Equal([JournalCodes.BadPath, JournalCodes.ParentMissing, JournalCodes.UnknownAccount, JournalCodes.DuplicateIdentity], problems.Select(p => p.Code));
        Assert.Equal("test.journal:3:1: J103 the parent /x is not created by this journal; add MKDIR /x before it or declare EXTERNAL /x (from m.gen:2:1)", problems[1].ToString());
    }

    [Fact]
    public void Root_is_always_a_system_account_even_when_the_root_has_no_account_files()
    {
        using var root = new GenStore.Testing.TempDir();

        Assert.Empty(Check("EXTERNAL /a\nMKDIR /a/x 0755 root root\n", new CheckOptions { Root = root.Path }));
        Assert.Empty(Check("EXTERNAL /a\nMKDIR /a/x 0755 root root\n", new CheckOptions { SystemUsers = new HashSet<string>(), SystemGroups = new HashSet<string>() }));
    }

    [Fact]
    public void A_home_folder_that_a_file_also_writes_is_written_twice_but_a_managed_home_directory_is_fine()
    {
        AssertOnly(Check("EXTERNAL /home\nLINK /home/bob /srv/bob\nUSER bob home=/home/bob\n"), JournalCodes.PathWrittenTwice, 4, "also written by the LINK at test.journal:3");
        Assert.Empty(Check("EXTERNAL /home\nUSER bob home=/home/bob\nMKDIR /home/bob 0750 bob root\n"));
    }

    [Fact]
    public void An_include_left_unresolved_is_reported_because_stored_journals_are_self_contained()
    {
        AssertOnly(Check("GROUP g\nINCLUDE other.journal\n"), JournalCodes.UnresolvedInclude, 3, "not resolved");
    }

    [Fact]
    public void Many_trigger_patterns_are_checked_the_same_way_as_a_few()
    {
        var patterns = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? $"/e/d{i}/**" : $"/e/none{i}/*").ToList();
        var dirs = string.Concat(Enumerable.Range(0, 40).Select(i => $"MKDIR /e/d{i} 0755 root root\n"));

        var problems = Check($"EXTERNAL /e\n{dirs}RUN r on={string.Join(',', patterns)} argv=[\"true\"]\n");

        Assert.Equal(20, problems.Count);
        Assert.All(problems, p => Assert.Contains("/e/none", p.Message, StringComparison.Ordinal));
    }
}
