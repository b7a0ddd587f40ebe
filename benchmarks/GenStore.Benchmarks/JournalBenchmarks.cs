using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using GenStore.Journal;

namespace GenStore.Benchmarks;

/// <summary>Journal speed targets (issue 3): parse+check 100,000 steps under 300 ms, diff two such journals differing in 1% under 100 ms.</summary>
[MemoryDiagnoser]
public class JournalBenchmarks
{
    private byte[] _text = [];
    private Journal.Journal _old = Journal.Journal.Empty;
    private Journal.Journal _new = Journal.Journal.Empty;
    private CheckOptions _options = new();

    /// <summary>Steps per journal.</summary>
    [Params(10_000, 100_000)]
    public int Steps { get; set; }

    /// <summary>Builds the journal text and the two journals to diff.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _text = Encoding.UTF8.GetBytes(Generate(Steps, changedEvery: 0));
        _old = JournalParser.Parse(_text, "old.journal").GetJournalOrThrow();
        _new = JournalParser.Parse(Encoding.UTF8.GetBytes(Generate(Steps, changedEvery: 100)), "new.journal").GetJournalOrThrow();
        _options = new CheckOptions { SystemUsers = new HashSet<string> { "root" }, SystemGroups = new HashSet<string> { "root" } };
        var problems = JournalChecker.Check(_old, _options);
        if (problems.Count != 0)
        {
            throw new InvalidOperationException($"the benchmark journal has problems: {problems[0]}");
        }
    }

    /// <summary>Parse the UTF-8 text and run every static check.</summary>
    [Benchmark]
    public int ParseAndCheck()
    {
        var journal = JournalParser.Parse(_text, "bench.journal").GetJournalOrThrow();
        return JournalChecker.Check(journal, _options).Count + journal.Steps.Count;
    }

    /// <summary>Plan between two parsed journals that differ in 1% of their steps.</summary>
    [Benchmark]
    public int Diff() => JournalDiff.Plan(_old, _new).Actions.Count;

    /// <summary>Print a parsed journal back to canonical text.</summary>
    [Benchmark]
    public int Print() => JournalPrinter.Print(_old).Length;

    /// <summary>
    /// A journal of <paramref name="steps"/> steps: a few accounts, directories of 50 entries (files, links) and
    /// triggers; with <paramref name="changedEvery"/> &gt; 0, one step in that many differs (mode, payload, target, or
    /// replaced by a step of another name), so that the diff sees changes, removals and additions.
    /// </summary>
    public static string Generate(int steps, int changedEvery)
    {
        var sb = new StringBuilder(steps * 120);
        sb.Append("gen-journal 1\nEXTERNAL /srv\n");
        sb.Append("GROUP app gid=2000 @users.gen:1:1\nUSER app uid=2000 group=app home=/srv/app shell=/usr/sbin/nologin @users.gen:2:1\n");
        var count = 2;
        var dir = -1;
        var i = 0;
        while (count < steps - 2)
        {
            if (i % 50 == 0)
            {
                dir++;
                sb.Append(CultureInfo.InvariantCulture, $"MKDIR /srv/d{dir:D5} 0755 app app @tree.gen:{dir + 1}:1\n");
                count++;
                i++;
                continue;
            }

            var changed = changedEvery > 0 && count % changedEvery == 0;
            var path = changed && count % (changedEvery * 3) == 0 ? $"/srv/d{dir:D5}/new{i:D7}" : $"/srv/d{dir:D5}/f{i:D7}";
            if (i % 10 == 7)
            {
                sb.Append(CultureInfo.InvariantCulture, $"LINK {path} ../d00000/f{(changed ? 2 : 1):D7} @tree.gen:{dir + 1}:{i % 50}\n");
            }
            else
            {
                var payload = (i * 2654435761L).ToString("x16", CultureInfo.InvariantCulture);
                var mode = changed ? "0600" : "0644";
                sb.Append(CultureInfo.InvariantCulture, $"COPY {path} b3:{payload}{payload}{payload}{payload} {mode} root app @tree.gen:{dir + 1}:{i % 50}\n");
            }

            count++;
            i++;
        }

        sb.Append("RUN reload on=/srv/d00001/** argv=[\"systemctl\",\"reload\",\"app\"] @app.gen:1:1\n");
        sb.Append("RUN rebuild on=/srv/d00002/f*,/srv/**/f0000001 argv=[\"/usr/local/bin/rebuild\"] @app.gen:2:1\n");
        return sb.ToString();
    }
}
