using System.Text.Json;
using GenStore.Testing;

namespace GenStore.Cli.Tests;

public sealed class JournalCommandsTests : IDisposable
{
    private const string Payload = "b3:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    private readonly TempDir _dir = new("gen-journal-cli");

    public void Dispose() => _dir.Dispose();

    private string Write(string name, string text)
    {
        var path = _dir.Combine(name);
        File.WriteAllText(path, text);
        return path;
    }

    private GenResult Gen(params string[] args) => GenRunner.Run(args, workingDirectory: _dir.Path);

    [Fact]
    public void Check_of_a_valid_journal_exits_0()
    {
        Write("ok.journal", $"gen-journal 1\nEXTERNAL /etc\nMKDIR /etc/app 0755 root root @app.gen:1:1\nCOPY /etc/app/conf {Payload} 0644 root root @app.gen:2:1\n");

        var result = Gen("journal", "check", "ok.journal");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.StdOut);
        Assert.Contains("2 steps, no problems", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_prints_every_problem_one_per_line_and_exits_2()
    {
        Write("bad.journal", "gen-journal 1\nMKDIR /x/y 0755 bob root @a.gen:1:1\nGROUP g gid=x\nLINK rel /t\n");

        var result = Gen("journal", "check", "bad.journal");

        Assert.True(result.ExitCode == 2, result.ToString());
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["J001", "J103", "J106", "J105"], lines.Select(l => l.Split(' ')[1]));
        Assert.StartsWith("bad.journal:3:13: J001", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("(from a.gen:1:1)", lines[1], StringComparison.Ordinal);
        Assert.Contains("4 problems", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_with_system_accepts_what_the_root_already_has()
    {
        Directory.CreateDirectory(_dir.Combine("root", "etc"));
        Directory.CreateDirectory(_dir.Combine("root", "srv"));
        File.WriteAllText(_dir.Combine("root", "etc", "passwd"), "root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n");
        File.WriteAllText(_dir.Combine("root", "etc", "group"), "root:x:0:\nwww-data:x:33:\n");
        Write("web.journal", "gen-journal 1\nMKDIR /srv/www 0755 www-data www-data\n");

        var strict = Gen("journal", "check", "web.journal");
        var system = Gen("journal", "check", "--system", "--root", _dir.Combine("root"), "web.journal");

        Assert.Equal(2, strict.ExitCode);
        Assert.True(system.ExitCode == 0, system.ToString());
    }

    [Fact]
    public void Fmt_prints_the_canonical_form()
    {
        Write("messy.journal", "gen-journal 1\n# comment\nUSER   bob groups=[a,b]  uid=7\nEXTERNAL /e\nMKDIR \"/e/plain\"\t0700 root root\n");

        var result = Gen("journal", "fmt", "messy.journal");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("gen-journal 1\nEXTERNAL /e\nUSER bob uid=7 groups=a,b\nMKDIR /e/plain 0700 root root\n", result.StdOut);
    }

    [Fact]
    public void Fmt_of_a_broken_journal_exits_2_with_positioned_problems()
    {
        Write("broken.journal", "gen-journal 1\nMKDIR /a 999 root root\n");

        var result = Gen("journal", "fmt", "broken.journal");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.StdOut);
        Assert.Contains("broken.journal:2:10: J001 expected a mode as 4 octal digits", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Diff_prints_the_plan_with_source_lines_and_as_json()
    {
        Write("old.journal", "gen-journal 1\nEXTERNAL /etc\nMKDIR /etc/app 0755 root root @app.gen:1:1\nMKDIR /etc/gone 0755 root root @app.gen:5:1\n");
        Write("new.journal", $"gen-journal 1\nEXTERNAL /etc\nMKDIR /etc/app 0700 root root @app.gen:1:1\nCOPY /etc/app/conf {Payload} 0644 root root @app.gen:2:1\nRUN reload on=/etc/app/** argv=[\"systemctl\",\"reload\",\"app\"] @app.gen:9:1\n");

        var text = Gen("journal", "diff", "old.journal", "new.journal");
        var json = Gen("journal", "diff", "old.journal", "new.journal", "--json");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Equal(
            "- MKDIR /etc/gone 0755 root root @app.gen:5:1\n" +
            "~ MKDIR /etc/app 0700 root root @app.gen:1:1\n" +
            "    was: MKDIR /etc/app 0755 root root\n" +
            $"+ COPY /etc/app/conf {Payload} 0644 root root @app.gen:2:1\n" +
            "+ RUN reload on=/etc/app/** argv=[\"systemctl\",\"reload\",\"app\"] @app.gen:9:1\n" +
            "4 actions: 2 do, 1 change, 1 undo\n" +
            "triggers: reload\n",
            text.StdOut);
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.StdOut);
        Assert.Equal(["undo", "change", "do", "do"], doc.RootElement.GetProperty("actions").EnumerateArray().Select(a => a.GetProperty("action").GetString()));
        Assert.Equal("reload", doc.RootElement.GetProperty("triggers")[0].GetString());
    }

    [Fact]
    public void Diff_of_a_missing_file_is_bad_input()
    {
        Write("a.journal", "gen-journal 1\n");

        var result = Gen("journal", "diff", "a.journal", "nothere.journal");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("gen: nothere.journal: cannot read the journal", result.StdErr, StringComparison.Ordinal);
    }
}
