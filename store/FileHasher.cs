using System.IO.MemoryMappedFiles;
using System.Numerics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace GenStore.Store;

/// <summary>Hashes files and streams with BLAKE3 in constant memory, and reports them the way b3sum does.</summary>
public static partial class FileHasher
{
    // Reads go through one buffer this big: large enough that each Update hands whole subtrees to the SIMD
    // kernels and the threads, small enough to keep memory flat.
    private const int BufferSize = 4 << 20;

    // Regular files at least this long are hashed through memory-mapped windows of WindowSize bytes instead of
    // read(): the kernel's page cache is hashed in place, with no copy, and only one window is mapped at a time,
    // so resident memory stays near WindowSize however large the file is.
    private const long MapThreshold = 1 << 20;
    private const long WindowSize = 16 << 20;

    /// <summary>The digest of everything readable from <paramref name="stream"/>, from its current position, hashed on up to <paramref name="threads"/> threads.</summary>
    public static ObjectId Hash(Stream stream, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var hasher = new Blake3Hasher { Threads = threads };
        if (stream is FileStream { CanSeek: true } file && file.Length - file.Position >= MapThreshold)
        {
            UpdateMapped(hasher, file);
        }
        else
        {
            UpdateRead(hasher, stream);
        }

        return hasher.FinalizeId();
    }

    /// <summary>The digest of the file at <paramref name="path"/>, hashed on up to <paramref name="threads"/> threads.</summary>
    public static ObjectId HashFile(string path, int threads = 1)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        return Hash(stream, threads);
    }

    /// <summary>The digest of the regular file at <paramref name="path"/>, refusing to follow a symlink there (for paths under a root gen manages).</summary>
    public static ObjectId HashFileNoFollow(string path)
    {
        using var handle = Posix.OpenReadNoFollow(path);
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        return Hash(stream);
    }

    private static void UpdateRead(Blake3Hasher hasher, Stream stream)
    {
        // Reading one buffer ahead tells whether more input follows the current one, which lets the hasher
        // take each full buffer as whole subtrees; a short seekable stream gets buffers of its own size.
        var size = stream.CanSeek ? (int)Math.Clamp(stream.Length - stream.Position + 1, 4096, BufferSize) : BufferSize;
        var current = new byte[size];
        var next = new byte[size];
        var read = stream.ReadAtLeast(current, size, throwOnEndOfStream: false);
        while (read > 0)
        {
            var readNext = stream.ReadAtLeast(next, size, throwOnEndOfStream: false);
            hasher.Update(current.AsSpan(0, read), moreFollows: readNext > 0);
            (current, next) = (next, current);
            read = readNext;
        }
    }

    private static unsafe void UpdateMapped(Blake3Hasher hasher, FileStream file)
    {
        var offset = file.Position;
        var end = file.Length;
        using var map = MemoryMappedFile.CreateFromFile(file.SafeFileHandle, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);

        if (hasher.Threads > 1 && hasher.IsEmpty)
        {
            offset = HashSubtrees(hasher, map, offset, end);
        }

        for (; offset < end; offset += WindowSize)
        {
            var size = (int)Math.Min(WindowSize, end - offset);
            using var window = new Window(map, offset, size);
            hasher.Update(new ReadOnlySpan<byte>(window.Pointer, size), moreFollows: offset + size < end);
        }

        file.Position = end;
    }

    /// <summary>Hashes the bytes from <paramref name="offset"/> to <paramref name="end"/> but the last chunk as complete
    /// subtrees, on up to the hasher's thread count, and appends their chaining values in order.</summary>
    /// <returns>Where the rest starts: at most one chunk, for the hasher to finish as the root.</returns>
    /// <remarks>The subtrees are whole windows, then the ever smaller runs of chunks the hasher itself would cut the last
    /// window into, so no subtree is the root. Each thread maps, faults in and hashes whole subtrees of its own, largest
    /// first; the threads share nothing but a counter, so none waits for another until the end, and at most one window
    /// per thread is mapped at a time, which keeps resident memory near threads × WindowSize.</remarks>
    private static unsafe long HashSubtrees(Blake3Hasher hasher, MemoryMappedFile map, long offset, long end)
    {
        var start = offset;
        var subtrees = new List<(long Offset, long Chunks)>();
        for (; end - offset > WindowSize; offset += WindowSize)
        {
            subtrees.Add((offset, WindowSize / Blake3.ChunkLen));
        }

        while (end - offset > Blake3.ChunkLen)
        {
            var chunks = 1L << BitOperations.Log2((ulong)((end - offset - 1) / Blake3.ChunkLen));
            subtrees.Add((offset, chunks));
            offset += chunks * Blake3.ChunkLen;
        }

        if (subtrees.Count == 0)
        {
            return offset;
        }

        var level = Blake3Simd.Current;
        var cvs = new uint[subtrees.Count * 8];
        var next = -1;
        ExceptionDispatchInfo? failure = null;

        void Work()
        {
            try
            {
                int k;
                while ((k = Interlocked.Increment(ref next)) < subtrees.Count && failure is null)
                {
                    var (at, chunks) = subtrees[k];
                    using var window = new Window(map, at, (int)(chunks * Blake3.ChunkLen));
                    hasher.HashSubtree(window.Pointer, chunks, (ulong)(at - start) / Blake3.ChunkLen, level, cvs.AsSpan(k * 8, 8));
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
            }
        }

        // Plain threads, not the pool: they start at once in a fresh process, and only these few ever run.
        var helpers = new Thread[Math.Min(hasher.Threads, subtrees.Count) - 1];
        for (var i = 0; i < helpers.Length; i++)
        {
            helpers[i] = new Thread(Work) { IsBackground = true, Name = "gen-hash" };
            helpers[i].UnsafeStart();
        }

        Work();
        foreach (var helper in helpers)
        {
            helper.Join();
        }

        failure?.Throw();
        for (var k = 0; k < subtrees.Count; k++)
        {
            hasher.AppendSubtree(cvs.AsSpan(k * 8, 8), subtrees[k].Chunks);
        }

        return offset;
    }

    /// <summary>One mapped, faulted-in window of a file, unmapped on dispose.</summary>
    private readonly unsafe struct Window : IDisposable
    {
        private readonly MemoryMappedViewAccessor _view;

        public Window(MemoryMappedFile map, long offset, int size)
        {
            _view = map.CreateViewAccessor(offset, size, MemoryMappedFileAccess.Read);
            byte* start = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            Pointer = start + _view.PointerOffset;

            // Maps the window's pages in one call rather than taking a page fault every few pages. Besides saving
            // the faults, this lets the kernels' prefetches work: a prefetch of a page not yet mapped is dropped.
            // Kernels before 5.14 refuse the advice harmlessly and the pages fault in as they are read.
            _ = Madvise(start, (nuint)(size + _view.PointerOffset), MadvisePopulateRead);
        }

        public byte* Pointer { get; }

        public void Dispose()
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
    }

    /// <summary>Prints <c>hex  path</c> for each file (<c>-</c> is standard input); a file that fails is reported and the rest still hashed.</summary>
    /// <returns>0 when every file was hashed, 1 otherwise (b3sum's convention).</returns>
    public static int HashAll(IEnumerable<string> paths, int threads, TextWriter output, TextWriter errors)
    {
        var failed = false;
        foreach (var path in paths)
        {
            try
            {
                var id = path == "-" ? Hash(Console.OpenStandardInput(), threads) : HashFile(path, threads);
                output.WriteLine($"{id.ToHex()}  {path}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.WriteLine($"gen: {path}: {Describe(path, e)}");
                failed = true;
            }
        }

        return failed ? 1 : 0;
    }

    private const int MadvisePopulateRead = 22;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static unsafe partial int Madvise(byte* address, nuint length, int advice);

    private static string Describe(string path, Exception e) => e switch
    {
        _ when Directory.Exists(path) => "is a directory",
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };
}
