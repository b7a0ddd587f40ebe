using GenStore.Store;

namespace GenStore.Generations;

/// <summary>While a large plan is applied or a commit compiled, flushes a file system every few hundred milliseconds on a background thread, so the disk writes while gen works.</summary>
/// <remarks>
/// The applier writes without fsyncs and the engine makes the batch durable with one syncfs before the commit (DESIGN
/// §8). A 20,000-file deploy leaves some hundred megabytes dirty, below the kernel's own writeback threshold, so
/// without this the disk idles during the apply and the final syncfs then waits for all of it. Extra syncfs calls only
/// make data durable sooner: they change nothing about what the commit relies on, which is still the final syncfs.
/// </remarks>
internal sealed class EarlyWriteback : IDisposable
{
    private const int MinActions = 1000;
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(300);

    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;

    private EarlyWriteback(string root)
    {
        _thread = new Thread(() =>
        {
            while (!_stop.Wait(Every))
            {
                try
                {
                    Posix.SyncFs(root);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Best effort, and an exception escaping this thread would end the process: the final syncfs
                    // (on the engine's thread) is the one that reports what matters.
                    return;
                }
            }
        })
        {
            IsBackground = true,
            Name = "gen early writeback",
        };
        _thread.Start();
    }

    /// <summary>Starts flushing <paramref name="root"/>'s file system when <paramref name="actions"/> is large enough to be worth it; null otherwise.</summary>
    public static EarlyWriteback? Start(string root, int actions) => actions >= MinActions ? new EarlyWriteback(root) : null;

    /// <summary>Starts flushing the file system of <paramref name="folder"/> (the store's, during a compile) whatever the size of the work.</summary>
    /// <remarks>A compile's size is known only once it has listed the tree, and one that ends within the first period
    /// (a change of a few files) never flushes. A cold compile stores every payload of the commit (277 MB for the
    /// 20,000-file benchmark) and ended with a syncfs that then waited ~0.5 s for all of it.</remarks>
    public static EarlyWriteback Always(string folder) => new(folder);

    /// <inheritdoc/>
    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }
}
