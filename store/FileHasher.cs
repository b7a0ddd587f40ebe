using System.Numerics;
using System.Runtime.ExceptionServices;
using Microsoft.Win32.SafeHandles;

namespace GenStore.Store;

/// <summary>Hashes files and streams with BLAKE3 in constant memory, and reports them the way b3sum does.</summary>
public static class FileHasher
{
    // Pipes and small files are read through one buffer this big: large enough that each Update hands whole
    // subtrees to the SIMD kernels and the threads, small enough to keep memory flat.
    private const int BufferSize = 4 << 20;

    // Regular files at least this long are hashed in pieces of PieceSize bytes, each read with pread(2) into a
    // buffer of the thread that hashes it. A piece is a complete BLAKE3 subtree, so the threads need not wait for
    // each other, and it fits in a core's L2 cache, so the kernels hash what the read just brought in. Memory-mapped
    // windows were tried: no copy, but mapping and unmapping every page cost more system time than the copy, and
    // the kernels then streamed from memory (1 GiB on 2 threads, alternated runs: 233 ms mapped, 213 ms in pieces).
    private const long PieceThreshold = 1 << 20;
    private const int PieceSize = 1 << 20;

    /// <summary>The digest of everything readable from <paramref name="stream"/>, from its current position, hashed on up to <paramref name="threads"/> threads.</summary>
    public static ObjectId Hash(Stream stream, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var hasher = new Blake3Hasher { Threads = threads };
        if (stream is FileStream { CanSeek: true } file && file.Length - file.Position >= PieceThreshold)
        {
            UpdatePieces(hasher, file);
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

    private static void UpdatePieces(Blake3Hasher hasher, FileStream file)
    {
        var handle = file.SafeFileHandle;
        var offset = file.Position;
        var end = file.Length;
        offset = HashSubtrees(hasher, handle, offset, end);

        // At most one chunk is left: it may be the root, so it goes through the hasher, which finalizes it.
        var rest = new byte[end - offset];
        ReadExactly(handle, rest, offset);
        hasher.Update(rest);
        file.Position = end;
    }

    /// <summary>Hashes the bytes from <paramref name="offset"/> to <paramref name="end"/> but the last chunk as complete
    /// subtrees, on up to the hasher's thread count, and appends their chaining values in order.</summary>
    /// <returns>Where the rest starts: at most one chunk, for the hasher to finish as the root.</returns>
    /// <remarks>The subtrees are whole pieces, then the ever smaller runs of chunks the hasher itself would cut the last
    /// piece into, so no subtree is the root. Each thread reads and hashes whole subtrees of its own, largest first; the
    /// threads share nothing but a counter, so none waits for another until the end, and each holds one piece.</remarks>
    private static unsafe long HashSubtrees(Blake3Hasher hasher, SafeFileHandle handle, long offset, long end)
    {
        if (!hasher.IsEmpty)
        {
            throw new InvalidOperationException("pieces are numbered from the first chunk, so the hasher must be empty");
        }

        var start = offset;
        var subtrees = new List<(long Offset, long Chunks)>();
        for (; end - offset > PieceSize; offset += PieceSize)
        {
            subtrees.Add((offset, PieceSize / Blake3.ChunkLen));
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
                // Pinned, so the kernels can take its address while the garbage collector runs on another thread.
                var buffer = GC.AllocateUninitializedArray<byte>(PieceSize, pinned: true);
                int k;
                while ((k = Interlocked.Increment(ref next)) < subtrees.Count && failure is null)
                {
                    var (at, chunks) = subtrees[k];
                    var piece = buffer.AsSpan(0, (int)(chunks * Blake3.ChunkLen));
                    ReadExactly(handle, piece, at);
                    fixed (byte* pointer = piece)
                    {
                        hasher.HashSubtree(pointer, chunks, (ulong)(at - start) / Blake3.ChunkLen, level, cvs.AsSpan(k * 8, 8));
                    }
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

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            var read = RandomAccess.Read(handle, buffer, offset);
            if (read == 0)
            {
                throw new IOException("the file got shorter while it was being hashed; hash it again once nothing writes to it");
            }

            buffer = buffer[read..];
            offset += read;
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

    private static string Describe(string path, Exception e) => e switch
    {
        _ when Directory.Exists(path) => "is a directory",
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };
}
