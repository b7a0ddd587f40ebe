using System.Runtime.CompilerServices;

namespace GenStore.Store;

/// <summary>The instruction sets BLAKE3 can hash many inputs at once with, narrowest first.</summary>
internal enum SimdLevel
{
    /// <summary>One input at a time, no vector instructions.</summary>
    Scalar,

    /// <summary>Four inputs at once in 128-bit vectors.</summary>
    Sse41,

    /// <summary>Eight inputs at once in 256-bit vectors.</summary>
    Avx2,

    /// <summary>Sixteen inputs at once in 512-bit vectors.</summary>
    Avx512,
}

/// <summary>Picks the widest BLAKE3 kernel the CPU runs, and lets tests and benchmarks force a narrower one.</summary>
internal static unsafe class Blake3Simd
{
    // An AsyncLocal, not a plain static, so a test that forces one level cannot change the path a
    // test running at the same time takes; it flows into the tasks of multi-threaded hashing.
    private static readonly AsyncLocal<SimdLevel?> Forced = new();

    /// <summary>The widest level this CPU supports.</summary>
    public static SimdLevel Detected { get; } =
        Blake3Avx512.IsSupported ? SimdLevel.Avx512
        : Blake3Avx2.IsSupported ? SimdLevel.Avx2
        : Blake3Sse41.IsSupported ? SimdLevel.Sse41
        : SimdLevel.Scalar;

    /// <summary>The level hashing uses in the current execution context.</summary>
    public static SimdLevel Current => Forced.Value ?? Detected;

    /// <summary>Every level this CPU can run, narrowest first.</summary>
    /// <remarks>Built on first use, not at type load: hashing never needs it, and a fresh process should not pay for it.</remarks>
    public static IReadOnlyList<SimdLevel> Supported =>
        [.. new[] { SimdLevel.Scalar, SimdLevel.Sse41, SimdLevel.Avx2, SimdLevel.Avx512 }.Where(IsSupported)];

    /// <summary>Whether this CPU can run <paramref name="level"/>.</summary>
    public static bool IsSupported(SimdLevel level) => level switch
    {
        SimdLevel.Scalar => true,
        SimdLevel.Sse41 => Blake3Sse41.IsSupported,
        SimdLevel.Avx2 => Blake3Avx2.IsSupported,
        SimdLevel.Avx512 => Blake3Avx512.IsSupported,
        _ => false,
    };

    /// <summary>Makes hashing in this execution context use <paramref name="level"/> until the returned scope is disposed.</summary>
    public static IDisposable Force(SimdLevel level)
    {
        if (!IsSupported(level))
        {
            throw new PlatformNotSupportedException($"this CPU cannot run the BLAKE3 {level} kernel");
        }

        var previous = Forced.Value;
        Forced.Value = level;
        return new Scope(previous);
    }

    /// <summary>Hashes <paramref name="count"/> inputs of <paramref name="blocks"/> whole blocks each, input i at
    /// <paramref name="input"/> + i * <paramref name="stride"/>, into 32-byte chaining values at <paramref name="output"/> + i * 32.</summary>
    /// <remarks>Chunks use stride 1024 and 16 blocks with an incrementing counter; parents use stride 64 and one block.
    /// The output may overlap the input as long as output i lies at or before input i (parents are merged in place).</remarks>
    public static void HashMany(SimdLevel level, byte* input, int count, nint stride, int blocks, uint* key, ulong counter, bool incrementCounter, uint flags, uint flagsStart, uint flagsEnd, byte* output)
    {
        if (count > 1 && count < Degree(level))
        {
            // The last few parents of a subtree, or the chunks of a small one: one padded call of the wide
            // kernel is as fast as several narrow ones, and keeps the narrow kernels from being compiled at
            // all on a wide machine.
            HashPadded(level, input, count, stride, blocks, key, counter, incrementCounter, flags, flagsStart, flagsEnd, output);
            return;
        }

        while (count >= Blake3Avx512.Degree && level >= SimdLevel.Avx512)
        {
            Blake3Avx512.HashMany(input, stride, blocks, key, counter, incrementCounter, flags, flagsStart, flagsEnd, output);
            Advance(Blake3Avx512.Degree, ref input, ref count, stride, ref counter, incrementCounter, ref output);
        }

        while (count >= Blake3Avx2.Degree && level >= SimdLevel.Avx2)
        {
            Blake3Avx2.HashMany(input, stride, blocks, key, counter, incrementCounter, flags, flagsStart, flagsEnd, output);
            Advance(Blake3Avx2.Degree, ref input, ref count, stride, ref counter, incrementCounter, ref output);
        }

        while (count >= Blake3Sse41.Degree && level >= SimdLevel.Sse41)
        {
            Blake3Sse41.HashMany(input, stride, blocks, key, counter, incrementCounter, flags, flagsStart, flagsEnd, output);
            Advance(Blake3Sse41.Degree, ref input, ref count, stride, ref counter, incrementCounter, ref output);
        }

        while (count > 0)
        {
            HashOne(input, blocks, key, counter, flags, flagsStart, flagsEnd, output);
            Advance(1, ref input, ref count, stride, ref counter, incrementCounter, ref output);
        }
    }

    /// <summary>How many inputs one call of the kernel for <paramref name="level"/> hashes.</summary>
    public static int Degree(SimdLevel level) => level switch
    {
        SimdLevel.Avx512 => Blake3Avx512.Degree,
        SimdLevel.Avx2 => Blake3Avx2.Degree,
        SimdLevel.Sse41 => Blake3Sse41.Degree,
        _ => 1,
    };

    [SkipLocalsInit]
    private static void HashPadded(SimdLevel level, byte* input, int count, nint stride, int blocks, uint* key, ulong counter, bool incrementCounter, uint flags, uint flagsStart, uint flagsEnd, byte* output)
    {
        const int MaxDegree = 16;
        var length = blocks * Blake3.BlockLen;
        var inputs = stackalloc byte[MaxDegree * Blake3.ChunkLen];
        var cvs = stackalloc byte[MaxDegree * 32];
        for (var i = 0; i < count; i++)
        {
            Buffer.MemoryCopy(input + (i * stride), inputs + (i * length), length, length);
        }

        // The padding lanes hash whatever the stack holds; their output is never read.
        HashMany(level, inputs, Degree(level), length, blocks, key, counter, incrementCounter, flags, flagsStart, flagsEnd, cvs);
        Buffer.MemoryCopy(cvs, output, count * 32, count * 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Advance(int n, ref byte* input, ref int count, nint stride, ref ulong counter, bool incrementCounter, ref byte* output)
    {
        input += n * stride;
        output += n * 32;
        count -= n;
        if (incrementCounter)
        {
            counter += (ulong)n;
        }
    }

    [SkipLocalsInit]
    private static void HashOne(byte* input, int blocks, uint* key, ulong counter, uint flags, uint flagsStart, uint flagsEnd, byte* output)
    {
        Span<uint> cv = stackalloc uint[8];
        Span<uint> words = stackalloc uint[16];
        Span<uint> compressed = stackalloc uint[16];
        new ReadOnlySpan<uint>(key, 8).CopyTo(cv);
        var blockFlags = flags | flagsStart;
        for (var block = 0; block < blocks; block++)
        {
            if (block == blocks - 1)
            {
                blockFlags |= flagsEnd;
            }

            Blake3Core.LoadBlock(new ReadOnlySpan<byte>(input + (block * Blake3.BlockLen), Blake3.BlockLen), words);
            Blake3Core.Compress(cv, words, counter, Blake3.BlockLen, blockFlags, compressed);
            compressed[..8].CopyTo(cv);
            blockFlags = flags;
        }

        // Written only after every block is read, so an output that overlaps the input is safe.
        for (var j = 0; j < 8; j++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(output + (j * 4), 4), cv[j]);
        }
    }

    private sealed class Scope(SimdLevel? previous) : IDisposable
    {
        public void Dispose() => Forced.Value = previous;
    }
}
