using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using GenStore.Testing;
using Xunit.Abstractions;

namespace GenStore.Cli.Tests;

/// <summary>
/// Crash safety (DESIGN §8, issue 5 item 7) with real gen processes: a switch cut off after every single plan action,
/// killed at random moments, and run out of disk space, always leaves the tree exactly at the old or the new
/// generation after recovery, with nothing lost.
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper output)
{
    private const string PreExisting = "/srv/preexisting.conf";
    private const string PreExistingContent = "original, not gen's\n";

    [Fact]
    public void A_switch_cut_off_after_any_action_recovers_to_exactly_the_new_generation_or_back_to_the_old_one()
    {
        using var work = new TempDir("gen-crash");
        using var repo = new GitRepo();
        var (template, b, snapshotA, snapshotB, planLength) = PrepareMixed(work, repo);
        int generationA;
        using (var engine = template.Engine())
        {
            generationA = engine.Db.CurrentNumber!.Value;
        }

        var failures = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        Parallel.For(1, planLength + 1, new ParallelOptions { MaxDegreeOfParallelism = 2 * Environment.ProcessorCount }, k =>
        {
            try
            {
                CutOffAndRecover(work, template, repo.Path, b, k, generationA, snapshotA, snapshotB);
            }
            catch (Exception e)
            {
                failures.Add($"K={k}: {e.Message}");
            }
        });

        output.WriteLine($"{planLength} fault points, each recovered forward and back, in {clock.Elapsed.TotalSeconds:F1}s");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.OrderBy(f => f, StringComparer.Ordinal)));
    }

    [Fact]
    public void An_undo_that_is_cut_off_in_turn_is_continued_as_an_undo_and_returns_exactly_to_the_old_generation()
    {
        using var work = new TempDir("gen-crash-undo");
        using var repo = new GitRepo();
        var (template, b, snapshotA, _, planLength) = PrepareMixed(work, repo);

        var failures = new ConcurrentBag<string>();
        var cases = new[] { (K: planLength / 3, J: 2), (K: planLength / 2, J: 10), (K: planLength, J: planLength / 2), (K: planLength - 5, J: planLength - 10) };
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 2 * Environment.ProcessorCount }, c =>
        {
            try
            {
                var machine = template.CopyTo(work.Combine($"k{c.K}-j{c.J}"));
                Expect(machine.GenWith(Fault(c.K), "switch", b, "--repo", repo.Path), 137, "the faulted switch");
                Expect(machine.GenWith(Fault(c.J), "recover", "--rollback"), 137, "the faulted undo");

                // A plain 'gen recover' (no --rollback): the intent says an undo was under way, so the undo goes on.
                Expect(machine.Gen("recover"), 0, "gen recover");
                TreeSnapshot.AssertEqual(snapshotA, machine.Snapshot(accounts: true), "after the resumed undo");
                CheckMachine(machine, expectB: false);
            }
            catch (Exception e)
            {
                failures.Add($"K={c.K}, J={c.J}: {e.Message}");
            }
        });

        Assert.True(failures.IsEmpty, string.Join("\n", failures.OrderBy(f => f, StringComparer.Ordinal)));
    }

    [Fact]
    public void Temp_files_a_killed_switch_left_beside_their_targets_are_removed_by_recovery()
    {
        using var work = new TempDir("gen-crash-temp");
        using var repo = new GitRepo();
        var (template, b, snapshotA, snapshotB, planLength) = PrepareMixed(work, repo);
        var forward = template.CopyTo(work.Combine("forward"));
        Expect(forward.GenWith(Fault(planLength / 2), "switch", b, "--repo", repo.Path), 137, "the faulted switch");

        // What a kill in the middle of writing a file or replacing a link leaves behind.
        File.WriteAllText(forward.Host("/srv/app/conf/.gen-tmp-4242-1-7-0123abcd"), "half a fi");
        File.CreateSymbolicLink(forward.Host("/srv/app/.gen-tmp-link-4242-link-new"), "/srv/app/new/n1");
        var back = forward.CopyTo(work.Combine("back"));

        Expect(forward.Gen("recover"), 0, "gen recover");
        TreeSnapshot.AssertEqual(snapshotB, forward.Snapshot(accounts: true), "finished forward");
        Expect(back.Gen("recover", "--rollback"), 0, "gen recover --rollback");
        TreeSnapshot.AssertEqual(snapshotA, back.Snapshot(accounts: true), "rolled back");
    }

    [Fact]
    public void A_switch_killed_at_random_moments_recovers_to_the_old_or_the_new_generation()
    {
        using var work = new TempDir("gen-kill");
        using var repo = new GitRepo();
        var a = repo.Write("main.gen", LargeConfig(1)).Commit("A");
        var b = repo.Write("main.gen", LargeConfig(2)).Commit("B");

        var template = new TestRoot(work.Combine("template"));
        template.Gen("switch", a, "--repo", repo.Path).Expect(0);
        var snapshotA = template.Snapshot(accounts: true);

        // The reference run measures the whole switch and its apply phase, which starts when the first file changes.
        var reference = template.CopyTo(work.Combine("reference"));
        var clock = Stopwatch.StartNew();
        var applying = FirstFileChanged(reference);
        var (_, applyStarted) = KillDuring(reference, applying, TimeSpan.MaxValue, "switch", b, "--repo", repo.Path);
        var fullSwitch = clock.Elapsed;
        var applyPhase = fullSwitch - (applyStarted ?? TimeSpan.Zero);
        var snapshotB = reference.Snapshot(accounts: true);
        Assert.True(snapshotB.DifferenceFrom(snapshotA) is not null && applyStarted is not null, "the reference switch did not apply B");

        var random = new Random(20261121);
        var outcomes = new List<string>();
        for (var round = 0; round < 5; round++)
        {
            // Rounds 0 and 3 kill at any moment of the whole run (compile, intent, apply, commit); the others kill
            // while files are being replaced, the phase where a wrong recovery would show.
            var machine = template.CopyTo(work.Combine($"round{round}"));
            var anyMoment = round % 3 == 0;
            var delay = TimeSpan.FromMilliseconds(random.NextDouble() * (anyMoment ? fullSwitch : applyPhase).TotalMilliseconds);
            var (killed, _) = KillDuring(machine, anyMoment ? () => true : FirstFileChanged(machine), delay, "switch", b, "--repo", repo.Path);

            // A fresh process finishes whatever was cut off; with no open intent it has nothing to do.
            machine.Gen("recover").Expect(0);
            var after = machine.Snapshot(accounts: true);
            var landed = after.SameAs(snapshotA) ? "A" : after.SameAs(snapshotB) ? "B" : null;
            Assert.True(landed is not null, $"round {round}, killed after {delay.TotalMilliseconds:F0} ms: the tree is neither A nor B\n" +
                $"against A: {snapshotA.DifferenceFrom(after)}\nagainst B: {snapshotB.DifferenceFrom(after)}");
            using (var engine = machine.Engine())
            {
                var verify = engine.Verify(full: true, repair: false);
                Assert.True(verify.Drifts.Count == 0, $"round {round}: verify --full found {string.Join("; ", verify.Drifts)}");
                Assert.Null(engine.Db.OpenIntent);
            }

            outcomes.Add($"{(anyMoment ? "start" : "apply")}+{delay.TotalMilliseconds:F0} ms -> {(killed ? "killed" : "finished")}, {landed}");
        }

        output.WriteLine($"full switch {fullSwitch.TotalMilliseconds:F0} ms, apply phase {applyPhase.TotalMilliseconds:F0} ms; rounds: {string.Join(", ", outcomes)}");
    }

    [Fact]
    public void A_full_disk_stops_the_switch_leaves_the_old_generation_intact_and_a_later_switch_works()
    {
        using var work = new TempDir("gen-full");
        var rootFolder = work.Combine("root");
        Directory.CreateDirectory(rootFolder);
        if (!Mount(rootFolder, "size=4m", out var why))
        {
            output.WriteLine($"SKIPPED: cannot mount a tmpfs here ({why}); the full-disk test needs root and mount permission");
            return;
        }

        try
        {
            var machine = new TestRoot(work.Path);
            using var repo = new GitRepo();
            repo.Write("files/small", "small\n");
            var a = repo.Write("main.gen", """
                dir "/srv/data" { }
                file "/srv/data/small" { source = "files/small" }
                file "/srv/data/notes" { content = "old notes\n" }
                """).Commit("A");
            var big = new byte[1536 * 1024];
            new Random(7).NextBytes(big);
            var b = repo.WriteBytes("files/big", big).Write("main.gen", """
                dir "/srv/data" { }
                file "/srv/data/small" { source = "files/small" }
                file "/srv/data/notes" { content = "new notes\n" }
                file "/srv/data/big" { source = "files/big" }
                """).Commit("B");
            machine.Gen("switch", a, "--repo", repo.Path).Expect(0);

            // An unmanaged file takes most of the space, so that B does not fit.
            var filler = machine.Host("/srv/filler");
            File.WriteAllBytes(filler, new byte[3 * 1024 * 1024]);
            var before = machine.Snapshot(accounts: true);

            var failed = machine.Gen("switch", b, "--repo", repo.Path);
            Assert.True(failed.ExitCode == 1, failed.ToString());
            var message = failed.StdErr.Trim();
            Assert.DoesNotContain('\n', message);
            Assert.Contains("full", message, StringComparison.OrdinalIgnoreCase);
            TreeSnapshot.AssertEqual(before, machine.Snapshot(accounts: true), "after the failed switch");
            using (var engine = machine.Engine())
            {
                Assert.Equal(a, engine.Db.Current!.Commit);
                Assert.Null(engine.Db.OpenIntent);
                Assert.Empty(engine.Verify(full: true, repair: false).Drifts);
            }

            File.Delete(filler);
            machine.Gen("switch", b, "--repo", repo.Path).Expect(0);
            Assert.Equal(big, File.ReadAllBytes(machine.Host("/srv/data/big")));
            Assert.Equal("new notes\n", File.ReadAllText(machine.Host("/srv/data/notes")));
        }
        finally
        {
            Unmount(rootFolder);
        }
    }

    /// <summary>A machine at A (with a pre-existing file B takes over), the snapshots of A and B, and the length of the plan from A to B.</summary>
    private static (TestRoot Template, string B, TreeSnapshot A, TreeSnapshot BSnapshot, int PlanLength) PrepareMixed(TempDir work, GitRepo repo)
    {
        var a = repo.Write("main.gen", MixedConfig(b: false)).Commit("A");
        var b = repo.Write("main.gen", MixedConfig(b: true)).Commit("B");

        var template = new TestRoot(work.Combine("template"));
        File.WriteAllText(template.Host(PreExisting), PreExistingContent);
        File.SetUnixFileMode(template.Host(PreExisting), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        template.Gen("switch", a, "--repo", repo.Path).Expect(0);
        var snapshotA = template.Snapshot(accounts: true);

        var reference = template.CopyTo(work.Combine("reference"));
        int planLength;
        using (var engine = reference.Engine(repo.Path))
        {
            planLength = engine.Preview(b).Plan.Actions.Count;
        }

        reference.Gen("switch", b, "--repo", repo.Path).Expect(0);
        var snapshotB = reference.Snapshot(accounts: true);
        Assert.True(planLength >= 50, $"the plan has only {planLength} actions");
        Assert.NotNull(snapshotA.DifferenceFrom(snapshotB));
        return (template, b, snapshotA, snapshotB, planLength);
    }

    private static Dictionary<string, string?> Fault(int k) =>
        new() { ["GEN_TEST_FAULT_AFTER_ACTION"] = k.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static void Expect(GenResult result, int code, string what)
    {
        if (result.ExitCode != code)
        {
            throw new InvalidOperationException($"{what}: expected exit {code}, got {result}");
        }
    }

    private static void CutOffAndRecover(TempDir work, TestRoot template, string repo, string b, int k, int generationA, TreeSnapshot snapshotA, TreeSnapshot snapshotB)
    {
        var forward = template.CopyTo(work.Combine($"k{k}"));
        Expect(forward.GenWith(Fault(k), "switch", b, "--repo", repo), 137, "the faulted switch");

        var back = forward.CopyTo(work.Combine($"k{k}-back"));

        // Forward: a fresh process finishes the interrupted switch; B is then current, so the switch itself has nothing left to do.
        Expect(forward.Gen("switch", b, "--repo", repo), 7, "recovering by 'gen switch B'");

        TreeSnapshot.AssertEqual(snapshotB, forward.Snapshot(accounts: true), "finished forward");
        CheckMachine(forward, expectB: true);

        // And back to A: everything the recovered switch made is known as gen's own, so nothing of B stays behind.
        using (var engine = forward.Engine())
        {
            engine.Switch($"gen-{generationA}");
        }

        TreeSnapshot.AssertEqual(snapshotA, forward.Snapshot(accounts: true), "switched back to A after finishing forward");

        // Back: 'gen recover --rollback' undoes the cut-off switch and A is exactly as it was.
        Expect(back.Gen("recover", "--rollback"), 0, "gen recover --rollback");

        TreeSnapshot.AssertEqual(snapshotA, back.Snapshot(accounts: true), "rolled back");
        CheckMachine(back, expectB: false);
        Directory.Delete(forward.Folder, recursive: true);
        Directory.Delete(back.Folder, recursive: true);
    }

    private static void CheckMachine(TestRoot machine, bool expectB)
    {
        using var engine = machine.Engine();
        if (engine.Db.OpenIntent is not null)
        {
            throw new InvalidOperationException("the intent is still open");
        }

        var verify = engine.Verify(full: true, repair: false);
        if (verify.Drifts.Count > 0)
        {
            throw new InvalidOperationException($"verify --full found drift: {string.Join("; ", verify.Drifts)}");
        }

        // Nothing lost: on B the pre-existing file's content is a backup whose object is in the store.
        var backups = engine.Backups().Where(x => x.Path == PreExisting && !x.Restored).ToList();
        if (expectB)
        {
            var backup = backups.LastOrDefault() ?? throw new InvalidOperationException($"no open backup of {PreExisting}: {string.Join(", ", engine.Backups())}");
            var content = Encoding.UTF8.GetString(engine.Store.ReadAllBytes(backup.Object!.Value));
            if (content != PreExistingContent)
            {
                throw new InvalidOperationException($"the backup of {PreExisting} holds '{content}'");
            }
        }
        else if (backups.Count > 0)
        {
            throw new InvalidOperationException($"{PreExisting} is back in place but its backup is still open");
        }
    }

    /// <summary>A journal of about 60 mixed actions from A to B: changes, removals, additions, kind changes, accounts and a take-over.</summary>
    private static string MixedConfig(bool b)
    {
        var text = new StringBuilder();
        text.AppendLine("""group "crew" { gid = 3200 }""");
        text.AppendLine($$"""user "keeper" { uid = 3200  group = "crew"  shell = "{{(b ? "/bin/sh" : "/bin/bash")}}" }""");
        if (b)
        {
            text.AppendLine("""group "guests" { gid = 3201 }""");
            text.AppendLine("""user "visitor" { uid = 3201  group = "guests"  groups = ["crew"]  shell = "/bin/sh" }""");
        }

        text.AppendLine("""dir "/srv/app" { mode = "0755" }""");
        text.AppendLine("""dir "/srv/app/conf" { mode = "0750"  owner = "keeper"  group = "crew" }""");
        for (var i = 1; i <= 8; i++)
        {
            text.AppendLine($$"""file "/srv/app/conf/keep{{i}}" { content = "keep {{i}}\n"  mode = "{{(i % 3 == 0 ? "0600" : "0644")}}"  owner = "{{(i % 2 == 0 ? "keeper" : "root")}}" }""");
        }

        for (var i = 1; i <= 10; i++)
        {
            text.AppendLine($$"""file "/srv/app/conf/change{{i}}" { content = "{{(b ? "new" : "old")}} {{i}}\n" }""");
        }

        for (var i = 1; i <= 3; i++)
        {
            text.AppendLine($$"""file "/srv/app/mode{{i}}" { content = "m\n"  mode = "{{(b ? "0600" : "0644")}}" }""");
        }

        for (var i = 1; i <= 2; i++)
        {
            text.AppendLine($$"""file "/srv/app/owner{{i}}" { content = "o\n"  owner = "{{(b ? "keeper" : "root")}}" }""");
        }

        text.AppendLine("""link "/srv/app/link-same" { target = "/srv/app/conf/keep1" }""");
        text.AppendLine($$"""link "/srv/app/link-moved" { target = "/srv/app/conf/keep{{(b ? 3 : 2)}}" }""");
        if (!b)
        {
            for (var i = 1; i <= 8; i++)
            {
                text.AppendLine($$"""file "/srv/app/gone{{i}}" { content = "gone {{i}}\n" }""");
            }

            text.AppendLine("""link "/srv/app/link-gone" { target = "/srv/app/conf/keep4" }""");
            text.AppendLine("""dir "/srv/app/old-dir" { }""");
            text.AppendLine("""file "/srv/app/old-dir/x" { content = "x\n" }""");

            // Kind changes: a folder that becomes a file, a file that becomes a folder.
            text.AppendLine("""dir "/srv/app/swap-dir" { }""");
            text.AppendLine("""file "/srv/app/swap-dir/inner" { content = "inner\n" }""");
            text.AppendLine("""file "/srv/app/swap-file" { content = "was a file\n" }""");
        }
        else
        {
            text.AppendLine("""file "/srv/app/swap-dir" { content = "now a file\n" }""");
            text.AppendLine("""dir "/srv/app/swap-file" { mode = "0700" }""");
            text.AppendLine("""file "/srv/app/swap-file/inside" { content = "inside\n" }""");
            text.AppendLine("""dir "/srv/app/new" { owner = "visitor"  group = "guests" }""");
            for (var i = 1; i <= 16; i++)
            {
                text.AppendLine($$"""file "/srv/app/new/n{{i}}" { content = "{{new string('n', i * 100)}}\n"  owner = "{{(i % 2 == 0 ? "visitor" : "root")}}"  mode = "0640" }""");
            }

            text.AppendLine("""link "/srv/app/link-new" { target = "/srv/app/new/n1" }""");

            // Taken over from the administrator: backed up first, restored on undo.
            text.AppendLine($$"""file "{{PreExisting}}" { content = "managed by gen\n" }""");
        }

        return text.ToString();
    }

    /// <summary>2,000 files in 20 folders; every file's content names <paramref name="seed"/>, so changing it changes them all.</summary>
    private static string LargeConfig(int seed)
    {
        var text = new StringBuilder("dir \"/srv/bulk\" { }\n");
        for (var d = 0; d < 20; d++)
        {
            text.AppendLine($$"""dir "/srv/bulk/d{{d}}" { }""");
        }

        for (var i = 0; i < 2000; i++)
        {
            text.AppendLine($$"""file "/srv/bulk/d{{i % 20}}/f{{i}}" { content = "file {{i}} of seed {{seed}} {{new string('x', i % 700)}}\n" }""");
        }

        return text.ToString();
    }

    /// <summary>True once the switch has replaced the first file of the large config (its content names seed 2).</summary>
    private static Func<bool> FirstFileChanged(TestRoot machine)
    {
        var first = machine.Host("/srv/bulk/d0/f0");
        return () =>
        {
            try
            {
                return File.ReadAllText(first).Contains("seed 2", StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
        };
    }

    /// <summary>Runs gen, waits until <paramref name="armed"/> holds, then kills it with SIGKILL <paramref name="delay"/> later unless it ended first.</summary>
    /// <returns>Whether it was killed, and when (since the start) <paramref name="armed"/> first held.</returns>
    private static (bool Killed, TimeSpan? ArmedAt) KillDuring(TestRoot machine, Func<bool> armed, TimeSpan delay, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { GenRunner.GenDll, "--state", machine.State, "--root", machine.Root }.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();

        // Watching the tree is the only way to see the apply phase from outside; the poll is short and ends with the process.
        TimeSpan? armedAt = null;
        while (!process.HasExited)
        {
            if (armed())
            {
                armedAt = clock.Elapsed;
                break;
            }

            process.WaitForExit(TimeSpan.FromMilliseconds(2));
        }

        // The point of this test is a kill at an arbitrary moment, so a timed wait is the mechanism here, not a synchronisation.
        var killed = false;
        if (!process.WaitForExit(delay == TimeSpan.MaxValue ? Timeout.InfiniteTimeSpan : delay))
        {
            process.Kill();
            killed = true;
        }

        process.WaitForExit();
        _ = stdout.Result + stderr.Result;
        return (killed, armedAt);
    }

    private static bool Mount(string folder, string options, out string why)
    {
        var (code, error) = Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", folder);
        why = error.Trim();
        return code == 0;
    }

    private static void Unmount(string folder) => Run("umount", folder);

    private static (int Code, string Error) Run(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            _ = stdout.Result;
            return (process.ExitCode, error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
