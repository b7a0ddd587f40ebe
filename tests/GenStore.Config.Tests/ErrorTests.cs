namespace GenStore.Config.Tests;

public sealed class ErrorTests
{
    private static Diagnostic Single(ConfigFixture config, string host = "web-01")
    {
        var errors = config.Errors(host);
        Assert.True(errors.Count == 1, string.Join("\n", errors));
        return errors[0];
    }

    private static void At(Diagnostic error, string file, int line, int column, string messagePart)
    {
        Assert.Equal((file, line, column), (error.File, error.Line, error.Column));
        Assert.Contains(messagePart, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_block_is_an_error_that_lists_the_blocks()
    {
        using var config = new ConfigFixture().Write("main.gen", "dir \"/a\" { }\nfiel \"/b\" { }\n");
        var error = Single(config);
        At(error, "main.gen", 2, 1, "unknown block 'fiel'");
        Assert.Contains("dir, file, tree", error.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_attribute_is_an_error_that_lists_the_attributes()
    {
        using var config = new ConfigFixture().Write("main.gen", "file \"/etc/x\" { content = \"x\"  mdoe = \"0644\" }\n");
        var error = Single(config);
        At(error, "main.gen", 1, 32, "unknown attribute 'mdoe' in a file block");
        Assert.Contains("source, content, template, mode, owner, group, after", error.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_attribute_inside_a_hosts_block_for_other_hosts_is_still_an_error()
    {
        using var config = new ConfigFixture().Write("main.gen", "hosts [\"db-*\"] {\n  dir \"/db\" { colour = \"red\" }\n}\n");
        At(Single(config, "web-01"), "main.gen", 2, 15, "unknown attribute 'colour'");
    }

    [Fact]
    public void Errors_are_shown_with_the_line_and_a_caret_under_the_column()
    {
        using var config = new ConfigFixture().Write("main.gen", "dir \"/a\" {\n\tmdoe = \"0700\"\n}\n");
        var result = config.Compile();
        var text = result.RenderDiagnostics();

        Assert.Equal(
            "main.gen:2:2: error: unknown attribute 'mdoe' in a dir block\n" +
            " 2 | \tmdoe = \"0700\"\n" +
            "   | \t^~~~\n" +
            "  = expected one of: mode, owner, group, after\n" +
            "1 error\n",
            text);
        var thrown = Assert.Throws<InputException>(() => result.GetJournalOrThrow());
        Assert.Equal("main.gen:2:2: unknown attribute 'mdoe' in a dir block; expected one of: mode, owner, group, after", thrown.Message);
        Assert.Equal((2, 2), (thrown.Line, thrown.Column));
    }

    [Fact]
    public void All_errors_of_a_file_are_reported_in_one_pass()
    {
        using var config = new ConfigFixture().Write("main.gen", """
            dir "/a" { mode = "999" }
            dir "/b" { mode "0755" }
            dir "/c" { }
            widget "/d" { }
            dir "relative" { }
            file "/e" { source = "missing.txt" }
            dir "/f" { owner = 12 }
            """);
        var errors = config.Errors();

        Assert.Equal([1, 2, 4, 5, 6, 7], errors.Select(e => e.Line));
        Assert.Contains("not a file mode", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("expected '=' after 'mode'", errors[1].Expected, StringComparison.Ordinal);
        Assert.Contains("unknown block 'widget'", errors[2].Message, StringComparison.Ordinal);
        Assert.Contains("not an absolute path", errors[3].Message, StringComparison.Ordinal);
        Assert.Contains("source 'missing.txt' is not in folder", errors[4].Message, StringComparison.Ordinal);
        Assert.Contains("'owner' is a number", errors[5].Message, StringComparison.Ordinal);
        Assert.Contains("6 errors", config.Compile().RenderDiagnostics(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dir \"/a { }\n", 1, 5, "string is not closed")]
    [InlineData("file \"/a\" { content = \"bad \\q escape\" }\n", 1, 28, "unknown escape '\\q'")]
    [InlineData("dir \"/a\" { mode = \"0755\" \n", 1, 1, "the dir block is not closed")]
    [InlineData("dir \"/a\" { mode = \"0755\"\ndir \"/b\" { }\n", 2, 1, "the dir block that starts at line 1 is not closed")]
    [InlineData("dir \"/a\" { }\n}\n", 2, 1, "'}' without a matching '{'")]
    [InlineData("dir \"/a\" { mode = }\n", 1, 19, "unexpected '}'")]
    [InlineData("dir \"/a\" { } @\n", 1, 14, "unexpected character '@'")]
    [InlineData("file \"/a\" { content = <<EOT\nno end\n", 1, 23, "heredoc <<EOT is not closed")]
    [InlineData("/* open\n", 1, 1, "comment is not closed")]
    [InlineData("user \"u\" { groups = [\"a\" \"b\"] }\n", 1, 26, "in a list")]
    [InlineData("file \"/a\" { content = \"${1x}\" }\n", 1, 24, "'1x' is not a variable name")]
    public void Syntax_errors_are_positioned(string text, int line, int column, string messagePart)
    {
        using var config = new ConfigFixture().Write("main.gen", text);
        var errors = config.Errors();
        Assert.Contains(errors, e => e.Line == line && e.Column == column && e.ToString().Contains(messagePart, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("dir \"/a\" { mode = \"0800\" }", 1, 19, "not a file mode")]
    [InlineData("dir \"/a\" { mode = true }", 1, 19, "not a file mode")]
    [InlineData("group \"g\" { gid = \"12\" }", 1, 19, "'gid' is a string")]
    [InlineData("group \"g\" { gid = 99999999999 }", 1, 19, "too large")]
    [InlineData("user \"Bad Name\" { }", 1, 6, "not a valid user name")]
    [InlineData("user \"u\" { groups = \"sudo\" }", 1, 21, "expected a list")]
    [InlineData("user \"u\" { groups = [\"a\", 1] }", 1, 27, "list item is a number")]
    [InlineData("dir \"/a/../b\" { }", 1, 5, "'..' component")]
    [InlineData("dir \"/\" { }", 1, 5, "'/' itself cannot be managed")]
    [InlineData("dir [\"/a\"] { }", 1, 5, "found a list")]
    [InlineData("file \"/a\" { }", 1, 1, "needs 'source' or 'content'")]
    [InlineData("file \"/a\" { content = \"x\"  source = \"y\" }", 1, 1, "both 'source' and 'content'")]
    [InlineData("file \"/a\" { content = \"x\"  template = true }", 1, 28, "template = true only applies to a source file")]
    [InlineData("file \"/a\" { source = \"/etc/passwd\" }", 1, 22, "is an absolute path")]
    [InlineData("file \"/a\" { source = \"../outside\" }", 1, 22, "leaves the repo")]
    [InlineData("link \"/a\" { }", 1, 1, "needs 'target'")]
    [InlineData("on_change \"r\" { paths = [\"/a\"] }", 1, 1, "needs 'run'")]
    [InlineData("on_change \"r\" { paths = [\"relative\"]  run = [\"x\"] }", 1, 26, "not an absolute path pattern")]
    [InlineData("on_change \"r\" { paths = [\"/a\"]  run = [] }", 1, 1, "needs a command")]
    [InlineData("dir \"/a\" { mode = \"0755\"  mode = \"0700\" }", 1, 27, "'mode' is set twice")]
    [InlineData("dir \"/a\" { }\ndir \"/a/\" { }", 2, 1, "path /a is declared twice; first at main.gen:1:1")]
    [InlineData("user \"u\" { }\nuser \"u\" { }", 2, 1, "user u is declared twice")]
    [InlineData("dir \"/${nope}\" { }", 1, 7, "unknown variable 'nope'")]
    [InlineData("let x = [\"a\"]\ndir \"/${x}\" { }", 2, 7, "is a list")]
    [InlineData("let x = \"a\"\nlet x = \"b\"", 2, 5, "'x' is already defined (first set at main.gen:1:5)")]
    [InlineData("dir \"/a\" { mode = m }", 1, 19, "unknown variable 'm'")]
    [InlineData("dir \"/a\" { after = [\"/nope\"] }", 1, 21, "after names path /nope, which no block declares")]
    [InlineData("dir \"/a\" { after = [\"nonsense\"] }", 1, 21, "does not name a step")]
    [InlineData("dir \"/a\" { after = [\"/b\"] }\ndir \"/b\" { after = [\"/a\"] }", 1, 21, "these steps wait for each other")]
    [InlineData("file \"/a\" { content = \"x\" }\nfile \"/a/b\" { content = \"y\" }", 2, 1, "/a/b is inside /a, which is a file")]
    [InlineData("dir \"/a\" { }\nfile \"/a/b/c\" { content = \"y\" }", 2, 1, "folder /a/b is not declared")]
    [InlineData("hosts 12 { }", 1, 7, "found a number")]
    public void Semantic_errors_are_positioned_and_say_what_was_expected(string text, int line, int column, string messagePart)
    {
        using var config = new ConfigFixture().Write("main.gen", text + "\n");
        var errors = config.Errors();
        Assert.Contains(errors, e => e.Line == line && e.Column == column && e.ToString().Contains(messagePart, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.DoesNotContain('\n', e.ToString()));
    }

    [Fact]
    public void A_missing_source_file_is_an_error_at_the_source_string()
    {
        using var config = new ConfigFixture().Write("files/dir/x", "x").Write("files/link-target", "t").Symlink("files/link", "link-target")
            .Write("main.gen", """
                file "/a" { source = "files/nope.conf" }
                file "/b" { source = "files/dir" }
                file "/c" { source = "files/link" }
                """);
        var errors = config.Errors();

        Assert.Equal(3, errors.Count);
        At(errors[0], "main.gen", 1, 22, "source 'files/nope.conf' is not in");
        At(errors[1], "main.gen", 2, 22, "is a folder (use a tree block");
        At(errors[2], "main.gen", 3, 22, "is a symlink");
    }

    [Fact]
    public void A_tree_whose_source_folder_is_missing_is_an_error()
    {
        using var config = new ConfigFixture().Write("file.txt", "x").Write("main.gen", "tree \"/srv\" { source = \"www\" }\ntree \"/srv2\" { source = \"file.txt\" }\n");
        var errors = config.Errors();

        At(errors[0], "main.gen", 1, 24, "tree source folder 'www' is not in");
        At(errors[1], "main.gen", 2, 25, "tree source 'file.txt' is not a folder");
    }

    [Fact]
    public void An_include_cycle_is_an_error_naming_the_chain()
    {
        using var config = new ConfigFixture()
            .Write("a.gen", "dir \"/a\" { }\ninclude \"b.gen\"\n")
            .Write("b.gen", "include \"a.gen\"\n")
            .Write("main.gen", "include \"a.gen\"\n");
        var error = Single(config);

        At(error, "b.gen", 1, 9, "include cycle: a.gen -> b.gen -> a.gen");
    }

    [Fact]
    public void A_missing_include_and_a_missing_main_gen_are_errors()
    {
        using var config = new ConfigFixture().Write("main.gen", "\ninclude \"roles/none.gen\"\n");
        At(Single(config), "main.gen", 2, 9, "included file 'roles/none.gen' is not in");

        using var empty = new ConfigFixture().Write("other.gen", "");
        var error = Single(empty);
        Assert.Equal("main.gen", error.File);
        Assert.Contains("there is no main.gen", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_variable_in_a_template_is_reported_in_the_template_file()
    {
        using var config = new ConfigFixture()
            .Write("files/t.conf", "ok ${host.id}\nbad ${nope} and ${also_nope}\nunclosed ${x\n")
            .Write("main.gen", "file \"/etc/t\" { source = \"files/t.conf\"  template = true }\n");
        var errors = config.Errors();

        Assert.Equal(3, errors.Count);
        At(errors[0], "files/t.conf", 2, 5, "unknown variable 'nope'");
        At(errors[1], "files/t.conf", 2, 17, "unknown variable 'also_nope'");
        At(errors[2], "files/t.conf", 3, 10, "'${' is not closed");
        Assert.Contains(" 2 | bad ${nope} and ${also_nope}\n   |     ^~~~~~~", config.Compile().RenderDiagnostics(), StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_is_stored_when_the_config_has_errors()
    {
        using var config = new ConfigFixture()
            .Write("files/a", "payload a")
            .Write("main.gen", "file \"/a\" { source = \"files/a\" }\nfile \"/b\" { source = \"files/missing\" }\n");
        Assert.False(config.Compile().Succeeded);

        Assert.Empty(config.Store.Enumerate());
        Assert.Empty(Directory.EnumerateFileSystemEntries(config.Store.TempFolder));
    }
}
