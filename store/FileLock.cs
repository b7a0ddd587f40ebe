using System.Diagnostics;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace GenStore.Store;

/// <summary>An exclusive advisory lock (flock) on a lock file, held until disposed; one switch at a time (DESIGN §9).</summary>
/// <remarks>
/// flock belongs to the open file, so the lock ends when this object is disposed or the process dies, even by
/// <c>kill -9</c>: a stale lock file never blocks anyone. The file is opened close-on-exec, so child processes
/// (triggers, useradd) do not inherit the lock and cannot keep it alive after gen exits. The holder writes its
/// process id into the file so a waiting caller can say who it waits for. The file is opened with libc's open
/// rather than <see cref="FileStream"/>, because .NET takes flocks of its own on files it opens, which would
/// make a second process's open fail instead of wait.
/// </remarks>
public sealed class FileLock : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly SafeFileHandle _handle;

    private FileLock(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>Takes the lock on <paramref name="path"/> (created 0600 if absent), waiting up to <paramref name="waitSeconds"/>; null when another holder kept it all that time.</summary>
    /// <param name="path">The lock file.</param>
    /// <param name="waitSeconds">How long to wait; 0 tries once, <see cref="double.PositiveInfinity"/> waits for ever.</param>
    /// <param name="onWaiting">Called once, with the holder's process id if known, when the first try finds the lock taken: the place to print "waiting for …".</param>
    public static FileLock? TryAcquire(string path, double waitSeconds = 0, Action<int?>? onWaiting = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(waitSeconds);
        var handle = Posix.OpenOrCreateRaw(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            var clock = Stopwatch.StartNew();
            var told = false;
            while (!Posix.Flock(handle, exclusive: true, wait: false, path))
            {
                if (!told)
                {
                    onWaiting?.Invoke(ReadHolder(handle));
                    told = true;
                }

                var left = waitSeconds - clock.Elapsed.TotalSeconds;
                if (left <= 0)
                {
                    handle.Dispose();
                    return null;
                }

                // Polling rather than a blocking flock keeps the wait bounded without a helper thread.
                Thread.Sleep(TimeSpan.FromSeconds(Math.Min(left, PollInterval.TotalSeconds)));
            }

            WriteHolder(handle);
            return new FileLock(path, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Takes the lock on <paramref name="path"/>, waiting as long as it takes.</summary>
    public static FileLock Acquire(string path, Action<int?>? onWaiting = null) =>
        TryAcquire(path, double.PositiveInfinity, onWaiting)!;

    /// <inheritdoc/>
    public void Dispose() => _handle.Dispose();

    private static void WriteHolder(SafeFileHandle handle)
    {
        try
        {
            var text = Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n");
            RandomAccess.SetLength(handle, 0);
            RandomAccess.Write(handle, text, 0);
        }
        catch (IOException)
        {
            // The pid is only a courtesy for waiting callers; the lock itself is held.
        }
    }

    private static int? ReadHolder(SafeFileHandle handle)
    {
        try
        {
            Span<byte> buffer = stackalloc byte[32];
            var read = RandomAccess.Read(handle, buffer, 0);
            return int.TryParse(Encoding.ASCII.GetString(buffer[..read]).Trim(), out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
