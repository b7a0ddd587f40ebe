using System.IO.MemoryMappedFiles;
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

        // Whole windows that leave at least one byte after them are complete subtrees that are never the root, so
        // each can be hashed on its own thread from start to end; what is left goes through the hasher as usual.
        var windows = (end - offset - 1) / WindowSize;
        if (hasher.Threads > 1 && windows > 1 && hasher.IsEmpty)
        {
            HashWindows(hasher, map, offset, windows);
            offset += windows * WindowSize;
        }

        for (; offset < end; offset += WindowSize)
        {
            var size = (int)Math.Min(WindowSize, end - offset);
            using var window = new Window(map, offset, size);
            hasher.Update(new ReadOnlySpan<byte>(window.Pointer, size), moreFollows: offset + size < end);
        }

        file.Position = end;
    }

    /// <summary>Hashes <paramref name="count"/> windows from <paramref name="offset"/> on up to the hasher's thread count,
    /// each thread mapping, faulting in and hashing whole windows of its own, then appends their chaining values in order.</summary>
    /// <remarks>Threads share nothing but a window counter, so they never wait on each other until the end; at most one
    /// window per thread is mapped at a time, which keeps resident memory near threads × WindowSize.</remarks>
    private static unsafe void HashWindows(Blake3Hasher hasher, MemoryMappedFile map, long offset, long count)
    {
        const long chunksPerWindow = WindowSize / Blake3.ChunkLen;
        var level = Blake3Simd.Current;
        var cvs = new uint[count * 8];
        var next = -1L;
        ExceptionDispatchInfo? failure = null;

        void Work()
        {
            try
            {
                long k;
                while ((k = Interlocked.Increment(ref next)) < count && failure is null)
                {
                    using var window = new Window(map, offset + (k * WindowSize), (int)WindowSize);
                    hasher.HashSubtree(window.Pointer, chunksPerWindow, (ulong)(k * chunksPerWindow), level, cvs.AsSpan((int)(k * 8), 8));
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
            }
        }

        // Plain threads, not the pool: they start at once in a fresh process, and only these few ever run.
        var helpers = new Thread[Math.Min(hasher.Threads, count) - 1];
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
        for (var k = 0; k < count; k++)
        {
            hasher.AppendSubtree(cvs.AsSpan(k * 8, 8), chunksPerWindow);
        }
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
