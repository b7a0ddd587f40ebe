using System.Diagnostics;
using GenStore.Testing;

namespace GenStore.Store.Tests;

public sealed class FileLockTests : IDisposable
{
    private readonly TempDir _dir = new("gen-lock");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_second_holder_is_refused_until_the_first_lets_go()
    {
        var path = _dir.Combine("lock");
        int? reportedHolder = null;
        var told = 0;

        using (var first = FileLock.TryAcquire(path))
        {
            Assert.NotNull(first);
            var second = FileLock.TryAcquire(path, 0.2, holder =>
            {
                told++;
                reportedHolder = holder;
            });
            Assert.Null(second);
        }

        Assert.Equal(1, told);
        Assert.Equal(Environment.ProcessId, reportedHolder);
        using var third = FileLock.TryAcquire(path);
        Assert.NotNull(third);
    }

    [Fact]
    public void A_waiting_caller_gets_the_lock_once_the_holder_releases_it()
    {
        var path = _dir.Combine("lock");
        var first = FileLock.Acquire(path);
        var release = new Thread(() =>
        {
            Thread.Sleep(200);
            first.Dispose();
        });
        release.Start();

        using var second = FileLock.TryAcquire(path, 30);

        Assert.NotNull(second);
        release.Join();
    }

    [Fact]
    public void The_lock_file_is_created_owner_only()
    {
        var path = _dir.Combine("lock");

        using var held = FileLock.Acquire(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Posix.Lstat(path).Mode);
        Assert.Equal(path, held.Path);
    }

    [Fact]
    public void Another_process_cannot_take_the_lock_while_it_is_held_and_can_afterwards()
    {
        var path = _dir.Combine("lock");

        using (FileLock.Acquire(path))
        {
            Assert.Equal(1, RunFlock(path));
        }

        Assert.Equal(0, RunFlock(path));
    }

    [Fact]
    public void A_lock_held_by_another_process_makes_TryAcquire_give_up_after_its_wait()
    {
        var path = _dir.Combine("lock");
        File.WriteAllText(path, string.Empty);
        var info = new ProcessStartInfo("flock") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var arg in new[] { "-x", path, "cat" })
        {
            info.ArgumentList.Add(arg);
        }

        // flock holds the lock while cat waits for its input to close.
        using var holder = Process.Start(info)!;
        try
        {
            Assert.True(SpinWait.SpinUntil(() => RunFlock(path) == 1, TimeSpan.FromSeconds(10)));

            Assert.Null(FileLock.TryAcquire(path, 0.1));
        }
        finally
        {
            holder.StandardInput.Close();
            holder.WaitForExit();
        }

        using var after = FileLock.TryAcquire(path, 10);
        Assert.NotNull(after);
    }

    // flock(1) -n: exit 0 when it could take the lock at once, 1 when another holder has it.
    private static int RunFlock(string path)
    {
        var info = new ProcessStartInfo("flock") { UseShellExecute = false };
        foreach (var arg in new[] { "-n", "-E", "1", path, "true" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
