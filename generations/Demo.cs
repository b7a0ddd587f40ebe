using GenStore.Git;

namespace GenStore.Generations;

/// <summary><c>gen demo</c>: builds a config repo from the bundled examples in a temp folder and walks a sandbox root through switch, drift, repair, rollback and gc.</summary>
/// <remarks>Everything happens under one new temp folder; nothing outside it is read or written but the git and shadow tools it calls.</remarks>
public static class Demo
{
    private const string Host = "web-01";

    /// <summary>Runs the demo, narrating to <paramref name="output"/>; keeps the sandbox when <paramref name="keep"/> is true.</summary>
    public static int Run(TextWriter output, bool keep)
    {
        var sandbox = Directory.CreateTempSubdirectory("gen-demo-").FullName;
        try
        {
            Walk(output, sandbox);
            return 0;
        }
        finally
        {
            if (keep)
            {
                output.WriteLine($"\nthe sandbox is kept in {sandbox}");
            }
            else
            {
                MakeDeletable(sandbox);
                Directory.Delete(sandbox, recursive: true);
            }
        }
    }

    private static void Walk(TextWriter output, string sandbox)
    {
        var repo = Path.Combine(sandbox, "repo");
        var root = Path.Combine(sandbox, "root");
        var state = Path.Combine(sandbox, "state");
        WriteExamples(repo);
        SeedRoot(root);

        output.WriteLine($"gen demo: sandbox {sandbox}");
        output.WriteLine($"  repo/  a config repo built from examples/    root/  the machine    state/  store and database");
        var options = new EngineOptions(state, root) { HostId = Host, RunTriggers = false, Report = line => output.WriteLine($"  {line}") };
        if (options.Rootless)
        {
            output.WriteLine("  (not running as root: user accounts are skipped and you own every file)");
        }

        GitCli.Init(repo);
        var first = GitCli.CommitAll(repo, "web server: nginx site, deploy user, static files");
        using var engine = Engine.Open(options);
        engine.Init(repo);
        Step(output, "1. first deploy of commit " + first[..12], "gen switch main");
        Show(output, engine.Switch("main"));

        File.AppendAllText(Path.Combine(repo, "files/www/index.html"), "<!-- second release -->\n");
        var second = GitCli.CommitAll(repo, "second release of the site");
        engine.Fetch();
        Step(output, "2. a one-file commit " + second[..12] + ": only that file changes", "gen switch main");
        Show(output, engine.Switch("main"));
        Step(output, "   switching again changes nothing", "gen switch main");
        Show(output, engine.Switch("main"));

        var conf = Path.Combine(root, "etc/nginx/nginx.conf");
        File.AppendAllText(conf, "# edited by hand\n");
        File.AppendAllText(Path.Combine(repo, "files/nginx/nginx.conf"), "# tuned in the repo\n");
        var third = GitCli.CommitAll(repo, "tune nginx");
        engine.Fetch();
        Step(output, "3. someone edits /etc/nginx/nginx.conf by hand, and commit " + third[..12] + " changes it too", "gen switch main");
        try
        {
            engine.Switch("main");
        }
        catch (DriftException e)
        {
            output.WriteLine($"  refused (exit 3): {e.Drifts[0]}");
        }

        Step(output, "   put the generation's content back; the hand edit is kept as a backup", "gen verify --repair");
        var report = engine.Verify(full: false, repair: true);
        output.WriteLine($"  {report.Drifts.Count} drifted path(s) repaired; backups: {engine.Backups().Count}");
        Step(output, "   now the switch goes through", "gen switch main");
        Show(output, engine.Switch("main"));

        // Rollback needs nothing but the store: hide the mirror to prove it.
        var mirror = engine.MirrorPath;
        Directory.Move(mirror, mirror + ".away");
        Step(output, "4. roll back, with the config repo out of reach", "gen rollback");
        Show(output, engine.Rollback());
        Directory.Move(mirror + ".away", mirror);
        Step(output, "", "gen list");
        List(output, engine);

        Step(output, "5. prune: keep the two newest generations (never the current or a newer one)", "gen gc --keep 2");
        var gc = engine.Gc(new GcRules(2, null), dryRun: false);
        output.WriteLine($"  deleted {gc.Generations.Count} generation(s), {gc.Objects} store object(s), {gc.Bytes} bytes");
        Step(output, "", "gen list");
        List(output, engine);
        Step(output, "6. the disk matches the current generation", "gen verify --full");
        var verify = engine.Verify(full: true, repair: false);
        output.WriteLine($"  {verify.Checked} steps checked, {verify.Drifts.Count} drifted");
    }

    private static void Step(TextWriter output, string title, string command)
    {
        if (title.Length > 0)
        {
            output.WriteLine();
            output.WriteLine(title);
        }

        output.WriteLine($"$ {command}");
    }

    private static void Show(TextWriter output, SwitchOutcome outcome)
    {
        var from = outcome.From is null ? "nothing" : $"gen-{outcome.From.Number}";
        output.WriteLine(outcome.AlreadyThere
            ? $"  already at gen-{outcome.To.Number}; nothing to do (exit 7)"
            : $"  gen-{outcome.To.Number}: switched from {from} ({outcome.Stats}, {outcome.Plan.Actions.Count} actions)");
    }

    private static void List(TextWriter output, Engine engine)
    {
        foreach (var (g, current) in engine.List())
        {
            output.WriteLine($"  {(current ? "*" : " ")} gen-{g.Number,-3} {g.Commit?[..12] ?? "-",-12} {g.Stats,-14} {g.Result}");
        }
    }

    private static void WriteExamples(string repo)
    {
        var assembly = typeof(Demo).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("examples/", StringComparison.Ordinal)))
        {
            var path = Path.Combine(repo, name["examples/".Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var resource = assembly.GetManifestResourceStream(name)!)
            using (var file = File.Create(path))
            {
                resource.CopyTo(file);
            }

            // Resources do not keep file modes; scripts are the only executables in the examples.
            if (path.EndsWith(".sh", StringComparison.Ordinal))
            {
                File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }
    }

    private static void SeedRoot(string root)
    {
        // The account files useradd --prefix and groupadd --prefix expect, with the system accounts the examples use.
        var etc = Path.Combine(root, "etc");
        Directory.CreateDirectory(etc);
        File.WriteAllText(Path.Combine(etc, "passwd"),
            "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        File.WriteAllText(Path.Combine(etc, "group"), "root:x:0:\nsudo:x:27:\nwww-data:x:33:\nnogroup:x:65534:\n");
        File.WriteAllText(Path.Combine(etc, "shadow"), "root:*:19000:0:99999:7:::\nwww-data:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n");
        File.WriteAllText(Path.Combine(etc, "gshadow"), "root:*::\nsudo:*::\nwww-data:*::\nnogroup:*::\n");
        File.WriteAllText(Path.Combine(etc, "motd"), "The machine's own message of the day, which gen backs up before replacing it.\n");
        Directory.CreateDirectory(Path.Combine(root, "home"));
        Directory.CreateDirectory(Path.Combine(root, "etc/sysctl.d"));
        Directory.CreateDirectory(Path.Combine(root, "srv"));
    }

    private static void MakeDeletable(string folder)
    {
        // Store objects and folders are read-only on purpose.
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            if (entry.LinkTarget is null)
            {
                entry.UnixFileMode |= UnixFileMode.UserWrite | (entry is DirectoryInfo ? UnixFileMode.UserExecute | UnixFileMode.UserRead : 0);
            }
        }
    }
}
