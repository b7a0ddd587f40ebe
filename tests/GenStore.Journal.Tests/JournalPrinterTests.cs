namespace GenStore.Journal.Tests;

public sealed class JournalPrinterTests
{
    [Theory]
    [InlineData("nginx.journal")]
    [InlineData("quoting.journal")]
    [InlineData("include-main.journal")]
    public void Printing_a_parsed_canonical_journal_gives_the_same_bytes(string name)
    {
        var text = TestData.Read(name);

        Assert.Equal(text, JournalPrinter.Print(TestData.Parse(text)));
    }

    [Fact]
    public void Printing_puts_single_spaces_externals_first_and_drops_comments()
    {
        var journal = TestData.Parse("gen-journal 1\n# hi\nMKDIR   /a\t0700 root root   @x:1:2  \nEXTERNAL /b\nUSER u groups=[a,b]\n");

        Assert.Equal("gen-journal 1\nEXTERNAL /b\nMKDIR /a 0700 root root @x:1:2\nUSER u groups=a,b\n", JournalPrinter.Print(journal));
    }

    [Fact]
    public void Strings_are_bare_only_when_every_character_is_safe()
    {
        Assert.Equal("/etc/systemd/system/getty@tty1.service", JournalSyntax.Format("/etc/systemd/system/getty@tty1.service"));
        Assert.Equal("\"@x\"", JournalSyntax.Format("@x"));
        Assert.Equal("\"#x\"", JournalSyntax.Format("#x"));
        Assert.Equal("\"\"", JournalSyntax.Format(""));
        Assert.Equal("\"a b\"", JournalSyntax.Format("a b"));
        Assert.Equal("\"a,b\"", JournalSyntax.Format("a,b"));
        Assert.Equal("\"é\"", JournalSyntax.Format("é"));
        Assert.Equal("\"\\x01\\x7f\\n\\t\\r\\\"\\\\\"", JournalSyntax.Format("\x01\x7f\n\t\r\"\\"));
    }

    [Fact]
    public void A_journal_built_in_memory_survives_print_and_parse()
    {
        var steps = new Step[]
        {
            new MkdirStep("/odd dir", 0x7ff, "root", "adm") { Source = new SourceSpan("a b.gen", 1, 2) },
            new CopyStep("/odd dir/\x01\u00e9\u4e2d", TestData.Id(7), 0x1a4, "root", "root"),
            new LinkStep("/l", "\"quoted\" target"),
            new GroupStep("g", 0),
            new UserStep("u", int.MaxValue, "g", new[] { "x", "y z", "" }, "/home/u", null),
            new RunStep("r", ValueList<string>.Empty, ValueList<string>.Empty) { Source = new SourceSpan("", 3, 4) },
        };
        var journal = new Journal(steps, [new ExternalPath("/") { Source = new SourceSpan("m.gen", 9, 9) }]);

        var text = JournalPrinter.Print(journal);
        var parsed = TestData.Parse(text);

        Assert.Equal(steps, parsed.Steps);
        Assert.Equal(steps.Select(s => s.Source), parsed.Steps.Select(s => s.Source));
        Assert.Equal(journal.Externals, parsed.Externals);
        Assert.Equal(text, JournalPrinter.Print(parsed));
    }

    [Fact]
    public void Modes_print_as_four_octal_digits()
    {
        Assert.Equal("0000", JournalSyntax.FormatMode(0));
        Assert.Equal("0644", JournalSyntax.FormatMode(0x1a4));
        Assert.Equal("4755", JournalSyntax.FormatMode(0x9ed));
    }
}
