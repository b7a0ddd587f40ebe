using GenStore.Store;

namespace GenStore.Generations;

/// <summary>The machine-wide "one switch at a time" lock (<c>/var/lib/gen/lock</c>, DESIGN §9), held until disposed.</summary>
/// <remarks>
/// Built on <see cref="FileLock"/> (flock): the kernel drops the lock when the holder exits, even by <c>kill -9</c>,
/// so there is never a stale lock to clean up; the intent log, not the lock, tells whether a switch was interrupted.
/// </remarks>
public sealed class GenerationLock : IDisposable
{
    /// <summary>The lock file's name inside the state folder.</summary>
    public const string FileName = "lock";

    private readonly FileLock _lock;

    private GenerationLock(FileLock fileLock) => _lock = fileLock;

    /// <summary>The lock file.</summary>
    public string Path => _lock.Path;

    /// <summary>Takes the lock on <paramref name="path"/>, waiting up to <paramref name="waitSeconds"/> for another gen to finish.</summary>
    /// <param name="path">The lock file, normally <c>/var/lib/gen/lock</c>; created 0600 if absent.</param>
    /// <param name="waitSeconds">How long to wait: 0 tries once, <see cref="double.PositiveInfinity"/> waits for ever.</param>
    /// <param name="onWaiting">Receives one line such as "waiting for another gen (pid 123) to finish …" when the lock is taken at first try.</param>
    /// <exception cref="BusyException">Another process still held the lock at the end of the wait.</exception>
    public static GenerationLock Acquire(string path, double waitSeconds, Action<string>? onWaiting = null)
    {
        int? holder = null;
        var fileLock = FileLock.TryAcquire(path, waitSeconds, pid =>
        {
            holder = pid;
            onWaiting?.Invoke(WaitingMessage(path, pid, waitSeconds));
        });
        return fileLock is null ? throw new BusyException(path, holder, waitSeconds) : new GenerationLock(fileLock);
    }

    /// <inheritdoc/>
    public void Dispose() => _lock.Dispose();

    private static string WaitingMessage(string path, int? pid, double waitSeconds)
    {
        var who = pid is { } p ? $"another gen (pid {p})" : "another gen";
        var limit = double.IsPositiveInfinity(waitSeconds) ? "" : $" (up to {waitSeconds:0.#} s)";
        return $"waiting for {who} to finish{limit}; it holds {path}";
    }
}
