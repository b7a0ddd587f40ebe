using System.Diagnostics;
using GenStore.Testing;

namespace GenStore.Generations.Tests;

/// <summary>Kills a process that is switching in a loop (SIGKILL, at random moments) and checks what the database kept.</summary>
public sealed class StateDbCrashTests : IDisposable
{
    private readonly TempDir _dir = new("gen-crash");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Kill_9_during_switches_loses_no_commit_or_progress_mark_and_never_leaves_half_a_switch()
    {
        var random = new Random(5);
        var commitsSeen = 0;
        for (var run = 0; run < 3; run++)
        {
            var db = _dir.Combine($"run{run}", StateDb.FileName);
            var (committed, progress) = RunAndKill(db, TimeSpan.FromMilliseconds(random.Next(200, 900)));

            using var state = StateDb.Open(db);
            var current = state.CurrentNumber ?? 0;
            commitsSeen += committed;

            // Whatever the child reported as done was durable against kill -9 ...
            Assert.InRange(current, committed, committed + 1);
            var intent = state.OpenIntent;
            if (intent is not null && progress is { } p && p.Target == intent.Target)
            {
                Assert.True(intent.Done >= p.Done, $"progress {p.Done} was reported but the intent says {intent.Done}");
            }

            // ... and the switch is all or nothing: numbers 1..current, a cache wholly of the current generation.
            Assert.Equal(Enumerable.Range(1, current), state.List().Select(g => g.Number));
            var cache = state.PathCache();
            Assert.Equal(current == 0 ? 0 : CrashChild.CacheSize, cache.Count);
            Assert.All(cache, e => Assert.Equal(current, e.MtimeNs));
            if (intent is not null)
            {
                Assert.Equal(current + 1, intent.Target);
            }
        }

        // The kills must have landed among switches, not before the first one.
        Assert.True(commitsSeen >= 3, $"only {commitsSeen} switches were committed before the kills");
    }

    private static (int Committed, (int Target, int Done)? Progress) RunAndKill(string db, TimeSpan after)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(db)!);
        var start = new ProcessStartInfo("dotnet", [typeof(CrashChild).Assembly.Location, "crash-child", db])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var child = Process.Start(start)!;
        var lines = new List<string>();
        var ready = new ManualResetEventSlim();
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (lines)
            {
                lines.Add(e.Data);
            }

            if (e.Data == "ready")
            {
                ready.Set();
            }
        };
        child.BeginOutputReadLine();
        var stderr = child.StandardError.ReadToEndAsync();
        Assert.True(ready.Wait(TimeSpan.FromSeconds(60)), "the child never became ready: " + (child.HasExited ? stderr.Result : "(still running)"));
        Thread.Sleep(after);
        child.Kill(); // SIGKILL
        child.WaitForExit();

        var committed = 0;
        (int, int)? progress = null;
        lock (lines)
        {
            foreach (var line in lines)
            {
                var parts = line.Split(' ');
                if (parts[0] == "committed")
                {
                    committed = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (parts[0] == "progress")
                {
                    progress = (int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }

        return (committed, progress);
    }
}
