namespace GenStore.Store;

/// <summary>Hashes complete subtrees of the BLAKE3 tree: many chunks per SIMD call, parents merged a level at a time, halves on other threads.</summary>
internal static unsafe class Blake3Tree
{
    /// <summary>Subtrees up to this many chunks are hashed flat: every chunk, then each parent level, in one stack buffer of their chaining values.</summary>
    public const int LeafChunks = 256;

    /// <summary>The chaining value of the subtree of <paramref name="chunks"/> whole chunks (a power of two) at <paramref name="input"/>,
    /// whose first chunk is number <paramref name="chunkCounter"/>; never the root, so no root flag is set.</summary>
    public static void SubtreeCv(byte* input, long chunks, uint* key, ulong chunkCounter, uint flags, SimdLevel level, int threads, uint* cv)
    {
        if (chunks <= LeafChunks)
        {
            Flat(input, (int)chunks, key, chunkCounter, flags, level, cv);
            return;
        }

        var half = chunks / 2;
        var pair = stackalloc uint[16];
        var right = input + (half * Blake3.ChunkLen);
        if (threads > 1)
        {
            // The right half goes to the pool and the left is hashed here; both stay pinned because this frame waits.
            var rightThreads = threads / 2;
            var (inputAddress, keyAddress, pairAddress) = ((nint)right, (nint)key, (nint)pair);
            var task = Task.Run(() => SubtreeCv((byte*)inputAddress, half, (uint*)keyAddress, chunkCounter + (ulong)half, flags, level, rightThreads, (uint*)pairAddress + 8));
            SubtreeCv(input, half, key, chunkCounter, flags, level, threads - rightThreads, pair);
            task.GetAwaiter().GetResult();
        }
        else
        {
            SubtreeCv(input, half, key, chunkCounter, flags, level, 1, pair);
            SubtreeCv(right, half, key, chunkCounter + (ulong)half, flags, level, 1, pair + 8);
        }

        Blake3Simd.HashMany(SimdLevel.Scalar, (byte*)pair, 1, 64, 1, key, 0, false, flags | Blake3Core.Parent, 0, 0, (byte*)cv);
    }

    private static void Flat(byte* input, int chunks, uint* key, ulong chunkCounter, uint flags, SimdLevel level, uint* cv)
    {
        var cvs = stackalloc byte[chunks * 32];
        Blake3Simd.HashMany(level, input, chunks, Blake3.ChunkLen, Blake3.ChunkLen / Blake3.BlockLen, key, chunkCounter, true, flags, Blake3Core.ChunkStart, Blake3Core.ChunkEnd, cvs);

        // Each parent block is two adjacent chaining values, so a level of parents is hashed in place with stride 64.
        for (var n = chunks; n > 1; n /= 2)
        {
            Blake3Simd.HashMany(level, cvs, n / 2, 64, 1, key, 0, false, flags | Blake3Core.Parent, 0, 0, cvs);
        }

        new ReadOnlySpan<uint>(cvs, 8).CopyTo(new Span<uint>(cv, 8));
    }
}
