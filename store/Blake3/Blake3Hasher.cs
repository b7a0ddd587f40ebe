using System.Buffers.Binary;
using System.Numerics;

namespace GenStore.Store;

/// <summary>An incremental BLAKE3 hasher: feed input in any split with <see cref="Update"/>, then finalize to any output length.</summary>
public sealed class Blake3Hasher
{
    // Enough for 2^54 chunks, more input than a 64-bit length can express.
    private const int MaxDepth = 54;

    private readonly uint[] _key = new uint[8];
    private readonly uint _flags;
    private readonly uint[] _cvStack = new uint[MaxDepth * 8];
    private int _cvStackLen;

    // The chunk being filled: its chaining value, the partial block and how far it has got.
    private readonly uint[] _chunkCv = new uint[8];
    private readonly byte[] _block = new byte[Blake3.BlockLen];
    private int _blockLen;
    private int _blocksCompressed;
    private ulong _chunkCounter;
    private int _threads = 1;

    /// <summary>A hasher in the default (unkeyed) mode.</summary>
    public Blake3Hasher() : this(Blake3Core.IV, 0)
    {
    }

    internal Blake3Hasher(ReadOnlySpan<uint> key, uint flags)
    {
        key.CopyTo(_key);
        _flags = flags;
        Reset();
    }

    /// <summary>A hasher in keyed mode, under a 32-byte key.</summary>
    public static Blake3Hasher NewKeyed(ReadOnlySpan<byte> key)
    {
        if (key.Length != Blake3.KeyLen)
        {
            throw new ArgumentException($"a BLAKE3 key is {Blake3.KeyLen} bytes, not {key.Length}", nameof(key));
        }

        Span<uint> words = stackalloc uint[8];
        for (var i = 0; i < 8; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt32LittleEndian(key[(i * 4)..]);
        }

        return new Blake3Hasher(words, Blake3Core.KeyedHash);
    }

    /// <summary>A hasher in derive_key mode for a hard-coded, globally unique <paramref name="context"/> string.</summary>
    public static Blake3Hasher NewDeriveKey(string context)
    {
        Span<uint> words = stackalloc uint[8];
        Blake3Core.ContextKey(context, words);
        return new Blake3Hasher(words, Blake3Core.DeriveKeyMaterial);
    }

    /// <summary>Forgets all input, keeping the mode and key.</summary>
    public void Reset()
    {
        _cvStackLen = 0;
        StartChunk(0);
    }

    /// <summary>Adds more input.</summary>
    /// <remarks>Whole subtrees of the input are hashed many chunks at a time with the widest SIMD kernel, and on up to
    /// <see cref="Threads"/> threads; the result is the same for any split of the input and any thread count.</remarks>
    public void Update(ReadOnlySpan<byte> input) => Update(input, moreFollows: false);

    /// <summary>Adds more input; <paramref name="moreFollows"/> promises that at least one more byte will be added before
    /// finalizing, which lets input that ends on a subtree boundary be hashed as whole subtrees right away.</summary>
    internal unsafe void Update(ReadOnlySpan<byte> input, bool moreFollows)
    {
        var level = Blake3Simd.Current;
        fixed (byte* start = input)
        fixed (uint* key = _key)
        {
            var p = start;
            long left = input.Length;
            uint* cv = stackalloc uint[8];
            while (left > 0)
            {
                if (ChunkBytes == Blake3.ChunkLen)
                {
                    // The chunk is complete and more input follows, so it is not the root: fold it into the tree.
                    CompleteChunk();
                }

                if (ChunkBytes == 0 && (left > Blake3.ChunkLen || (moreFollows && left == Blake3.ChunkLen)))
                {
                    // The largest power-of-two run of whole chunks that leaves at least one byte for the last
                    // chunk (which may be the root and so must wait for finalize) unless more input is promised,
                    // and that starts at a multiple of its own size, so it is one complete subtree of the final tree.
                    var chunks = 1UL << BitOperations.Log2((ulong)((moreFollows ? left : left - 1) / Blake3.ChunkLen));
                    while (((chunks - 1) & _chunkCounter) != 0)
                    {
                        chunks /= 2;
                    }

                    Blake3Tree.SubtreeCv(p, (long)chunks, key, _chunkCounter, _flags, level, Threads, cv);
                    PushCv(new ReadOnlySpan<uint>(cv, 8), _chunkCounter + chunks, BitOperations.Log2(chunks));
                    StartChunk(_chunkCounter + chunks);
                    p += (long)chunks * Blake3.ChunkLen;
                    left -= (long)chunks * Blake3.ChunkLen;
                    continue;
                }

                var take = (int)Math.Min(Blake3.ChunkLen - ChunkBytes, left);
                AppendToChunk(new ReadOnlySpan<byte>(p, take));
                p += take;
                left -= take;
            }
        }
    }

    /// <summary>Whether no input has been added since the hasher was made or reset.</summary>
    internal bool IsEmpty => _chunkCounter == 0 && ChunkBytes == 0;

    /// <summary>Computes, on the calling thread only, the chaining value of the complete subtree of <paramref name="chunks"/>
    /// whole chunks (a power of two) at <paramref name="input"/> whose first chunk is number <paramref name="chunkCounter"/>.</summary>
    /// <remarks>The hasher is not changed: callers hash many subtrees at once on threads of their own, then hand the
    /// results to <see cref="AppendSubtree"/> in input order.</remarks>
    internal unsafe void HashSubtree(byte* input, long chunks, ulong chunkCounter, SimdLevel level, Span<uint> cv)
    {
        fixed (uint* key = _key)
        fixed (uint* output = cv)
        {
            Blake3Tree.SubtreeCv(input, chunks, key, chunkCounter, _flags, level, 1, output);
        }
    }

    /// <summary>Adds the chaining value <paramref name="cv"/> of the next <paramref name="chunks"/> chunks of input, as
    /// <see cref="HashSubtree"/> computed it; more input must follow, since a subtree is never the root.</summary>
    internal void AppendSubtree(ReadOnlySpan<uint> cv, long chunks)
    {
        if (ChunkBytes != 0 || !BitOperations.IsPow2(chunks) || (_chunkCounter & (ulong)(chunks - 1)) != 0)
        {
            throw new InvalidOperationException("a subtree must start at a chunk boundary that is a multiple of its own size");
        }

        PushCv(cv, _chunkCounter + (ulong)chunks, BitOperations.Log2((ulong)chunks));
        StartChunk(_chunkCounter + (ulong)chunks);
    }

    /// <summary>How many threads <see cref="Update"/> may use for large inputs; 1 (the default) hashes on the calling thread only.</summary>
    public int Threads
    {
        get => _threads;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "the thread count must be at least 1");
    }

    /// <summary>Fills <paramref name="output"/> with the hash; any length, the first 32 bytes being the default digest.</summary>
    /// <remarks>The hasher is not changed, so more input may follow and finalize be called again.</remarks>
    public void Finalize(Span<byte> output) => FinalizeSeek(0, output);

    /// <summary>Fills <paramref name="output"/> with the extended output starting at byte <paramref name="seek"/>.</summary>
    public void FinalizeSeek(ulong seek, Span<byte> output)
    {
        Span<uint> cv = stackalloc uint[8];
        Span<uint> words = stackalloc uint[16];
        Span<uint> compressed = stackalloc uint[16];

        // The root node: the current chunk when it is the only one, else the parents up the stack.
        _chunkCv.CopyTo(cv);
        ChunkOutput(words, out var counter, out var blockLen, out var flags);
        for (var i = _cvStackLen - 1; i >= 0; i--)
        {
            Blake3Core.Compress(cv, words, counter, blockLen, flags, compressed);
            _cvStack.AsSpan(i * 8, 8).CopyTo(words);
            compressed[..8].CopyTo(words[8..]);
            _key.CopyTo(cv);
            counter = 0;
            blockLen = Blake3.BlockLen;
            flags = _flags | Blake3Core.Parent;
        }

        var blockCounter = seek / Blake3.BlockLen;
        var skip = (int)(seek % Blake3.BlockLen);
        Span<byte> bytes = stackalloc byte[Blake3.BlockLen];
        while (!output.IsEmpty)
        {
            Blake3Core.Compress(cv, words, blockCounter, blockLen, flags | Blake3Core.Root, compressed);
            for (var i = 0; i < 16; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes[(i * 4)..], compressed[i]);
            }

            var take = Math.Min(Blake3.BlockLen - skip, output.Length);
            bytes.Slice(skip, take).CopyTo(output);
            output = output[take..];
            skip = 0;
            blockCounter++;
        }
    }

    /// <summary>The default 32-byte digest as an object id.</summary>
    public ObjectId FinalizeId()
    {
        Span<byte> digest = stackalloc byte[ObjectId.Size];
        Finalize(digest);
        return new ObjectId(digest);
    }

    private uint StartFlag() => _blocksCompressed == 0 ? Blake3Core.ChunkStart : 0;

    private void StartChunk(ulong counter)
    {
        _key.CopyTo(_chunkCv, 0);
        _chunkCounter = counter;
        _blockLen = 0;
        _blocksCompressed = 0;
    }

    private void ChunkOutput(Span<uint> words, out ulong counter, out uint blockLen, out uint flags)
    {
        Blake3Core.LoadBlock(_block.AsSpan(0, _blockLen), words);
        counter = _chunkCounter;
        blockLen = (uint)_blockLen;
        flags = _flags | StartFlag() | Blake3Core.ChunkEnd;
    }

    private int ChunkBytes => (_blocksCompressed * Blake3.BlockLen) + _blockLen;

    private void CompleteChunk()
    {
        Span<uint> words = stackalloc uint[16];
        Span<uint> output = stackalloc uint[16];
        ChunkOutput(words, out var counter, out var blockLen, out var flags);
        Blake3Core.Compress(_chunkCv, words, counter, blockLen, flags, output);
        PushCv(output[..8], _chunkCounter + 1, 0);
        StartChunk(_chunkCounter + 1);
    }

    private void AppendToChunk(ReadOnlySpan<byte> input)
    {
        Span<uint> words = stackalloc uint[16];
        Span<uint> output = stackalloc uint[16];
        while (!input.IsEmpty)
        {
            if (_blockLen == Blake3.BlockLen)
            {
                Blake3Core.LoadBlock(_block, words);
                Blake3Core.Compress(_chunkCv, words, _chunkCounter, Blake3.BlockLen, _flags | StartFlag(), output);
                output[..8].CopyTo(_chunkCv);
                _blocksCompressed++;
                _blockLen = 0;
            }

            var take = Math.Min(Blake3.BlockLen - _blockLen, input.Length);
            input[..take].CopyTo(_block.AsSpan(_blockLen));
            _blockLen += take;
            input = input[take..];
        }
    }

    /// <summary>Pushes the chaining value of a complete subtree of 2^<paramref name="height"/> chunks that ends at chunk
    /// <paramref name="totalChunks"/>, merging every subtree it completes.</summary>
    private void PushCv(ReadOnlySpan<uint> cv, ulong totalChunks, int height)
    {
        // Each trailing zero bit of the chunk count above the subtree's own height closes one more level.
        Span<uint> merged = stackalloc uint[8];
        Span<uint> block = stackalloc uint[16];
        Span<uint> output = stackalloc uint[16];
        cv.CopyTo(merged);
        totalChunks >>= height;
        while ((totalChunks & 1) == 0)
        {
            _cvStackLen--;
            _cvStack.AsSpan(_cvStackLen * 8, 8).CopyTo(block);
            merged.CopyTo(block[8..]);
            Blake3Core.Compress(_key, block, 0, Blake3.BlockLen, _flags | Blake3Core.Parent, output);
            output[..8].CopyTo(merged);
            totalChunks >>= 1;
        }

        merged.CopyTo(_cvStack.AsSpan(_cvStackLen * 8, 8));
        _cvStackLen++;
    }
}
