using System.Diagnostics;
using GenStore.Testing;

namespace GenStore.Generations.Tests;

// flock(2) locks belong to an open file description, so a second GenerationLock in the same process (its own
// open of the file) is excluded exactly as another process would be; one test also uses util-linux flock(1)
// as a genuinely separate holder process.
public sealed class GenerationLockTests : IDisposable
{
    private readonly TempDir _dir = new("gen-genlock");

    public void Dispose() => _dir.Dispose();

    private string LockPath => _dir.Combine(GenerationLock.FileName);

    [Fact]
    public void A_second_caller_is_told_who_it_waits_for_and_gets_a_busy_error_after_the_wait()
    {
        var messages = new List<string>();
        using var first = GenerationLock.Acquire(LockPath, 0);

        var e = Assert.Throws<BusyException>(() => GenerationLock.Acquire(LockPath, 0.2, messages.Add));

        Assert.Equal(Environment.ProcessId, e.HolderPid);
        Assert.Equal(LockPath, e.LockPath);
        Assert.IsAssignableFrom<GenException>(e);
        Assert.Contains($"pid {Environment.ProcessId}", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        var message = Assert.Single(messages);
        Assert.StartsWith($"waiting for another gen (pid {Environment.ProcessId}) to finish", message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_lock_is_free_again_once_the_holder_disposes_it()
    {
        using (GenerationLock.Acquire(LockPath, 0))
        {
        }

        using var again = GenerationLock.Acquire(LockPath, 0);
        Assert.Equal(LockPath, again.Path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LockPath));
    }

    [Fact]
    public void A_waiting_caller_proceeds_when_the_holder_finishes_within_the_wait()
    {
        var messages = new List<string>();
        var first = GenerationLock.Acquire(LockPath, 0);
        var release = new Thread(() =>
        {
            Thread.Sleep(200);
            first.Dispose();
        });
        release.Start();

        using var second = GenerationLock.Acquire(LockPath, 30, messages.Add);

        release.Join();
        Assert.Single(messages);
    }

    [Fact]
    public void A_lock_held_by_another_process_makes_gen_busy()
    {
        File.WriteAllText(LockPath, "");
        using var holder = Process.Start(new ProcessStartInfo("flock", ["--exclusive", LockPath, "sleep", "30"]) { RedirectStandardError = true })!;
        try
        {
            // Wait until the child really holds it: a zero-wait try then fails.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (true)
            {
                try
                {
                    using var probe = GenerationLock.Acquire(LockPath, 0);
                }
                catch (BusyException)
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, "flock(1) never took the lock");
                Thread.Sleep(20);
            }

            var e = Assert.Throws<BusyException>(() => GenerationLock.Acquire(LockPath, 0.2));
            Assert.Equal(LockPath, e.LockPath);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }

        // The kernel drops a dead holder's lock: nothing stale remains.
        using var mine = GenerationLock.Acquire(LockPath, 5);
    }
}
