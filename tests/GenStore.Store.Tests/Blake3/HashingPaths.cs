using GenStore.Store;

namespace GenStore.Store.Tests.Blake3;

using Blake3 = GenStore.Store.Blake3;

/// <summary>The ways a test can drive BLAKE3: SIMD levels, thread counts, input splits and modes.</summary>
public static class HashingPaths
{
    /// <summary>The thread counts every path is run with.</summary>
    public static readonly int[] ThreadCounts = [1, 2, 3, 8];

    /// <summary>The SIMD levels this CPU supports, as theory data (level names).</summary>
    public static TheoryData<string> Levels()
    {
        var data = new TheoryData<string>();
        foreach (var level in Blake3Simd.Supported)
        {
            data.Add(level.ToString());
        }

        return data;
    }

    /// <summary>The names of the SIMD levels this CPU supports.</summary>
    public static IEnumerable<string> LevelNames => Blake3Simd.Supported.Select(level => level.ToString());

    /// <summary>Forces hashing in this test onto the named SIMD level until disposed.</summary>
    internal static IDisposable Force(string level) => Blake3Simd.Force(Enum.Parse<SimdLevel>(level));

    /// <summary>Named ways of cutting an input of <paramref name="length"/> bytes into <c>Update</c> calls, as piece lengths.</summary>
    public static IEnumerable<(string Name, int[] Pieces)> Splits(int length)
    {
        yield return ("whole", [length]);
        if (length <= 8192)
        {
            yield return ("one byte at a time", Enumerable.Repeat(1, length).ToArray());
        }

        yield return ("odd sizes", Cut(length, [7, 1023, 1025, 31, 4097, 65537]));
        yield return ("1024-aligned", Cut(length, [1024, 2048, 16384, 3072, 262144]));
        yield return ("one byte, then the rest", Cut(length, [1, int.MaxValue]));
        yield return ("one chunk and a byte, then the rest", Cut(length, [1025, int.MaxValue]));
        var random = new Random(length);
        yield return ("random", Cut(length, Enumerable.Range(0, 64).Select(_ => random.Next(1, 300_000)).ToArray()));
    }

    /// <summary>Hashes <paramref name="input"/> in <paramref name="mode"/> with the given pieces and threads into <paramref name="outputLength"/> bytes.</summary>
    public static byte[] Hash(Mode mode, byte[] input, int[] pieces, int threads, int outputLength) =>
        Hash(mode, input, pieces, threads, outputLength, promiseMore: false);

    /// <summary>As <see cref="Hash(Mode, byte[], int[], int, int)"/>; with <paramref name="promiseMore"/> every piece but the last
    /// tells the hasher that more input follows.</summary>
    public static byte[] Hash(Mode mode, byte[] input, int[] pieces, int threads, int outputLength, bool promiseMore)
    {
        var hasher = mode switch
        {
            Mode.Hash => new Blake3Hasher(),
            Mode.KeyedHash => Blake3Hasher.NewKeyed(TestVectors.Key),
            _ => Blake3Hasher.NewDeriveKey(TestVectors.Context),
        };
        hasher.Threads = threads;
        var offset = 0;
        foreach (var piece in pieces)
        {
            hasher.Update(input.AsSpan(offset, piece), moreFollows: promiseMore && offset + piece < input.Length);
            offset += piece;
        }

        Assert.Equal(input.Length, offset);
        var output = new byte[outputLength];
        hasher.Finalize(output);
        return output;
    }

    /// <summary>One-shot hashing in <paramref name="mode"/>.</summary>
    public static byte[] OneShot(Mode mode, byte[] input, int outputLength)
    {
        var output = new byte[outputLength];
        switch (mode)
        {
            case Mode.Hash:
                Blake3.Hash(input, output);
                break;
            case Mode.KeyedHash:
                Blake3.KeyedHash(TestVectors.Key, input, output);
                break;
            default:
                Blake3.DeriveKey(TestVectors.Context, input, output);
                break;
        }

        return output;
    }

    /// <summary>Random bytes, the same for the same seed.</summary>
    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static int[] Cut(int length, int[] cycle)
    {
        var pieces = new List<int>();
        var left = length;
        for (var i = 0; left > 0; i++)
        {
            var piece = Math.Min(cycle[i % cycle.Length], left);
            pieces.Add(piece);
            left -= piece;
        }

        return pieces.Count == 0 ? [0] : [.. pieces];
    }
}

/// <summary>The three BLAKE3 modes.</summary>
public enum Mode
{
    /// <summary>Plain hashing.</summary>
    Hash,

    /// <summary>Keyed hashing under the test vectors' key.</summary>
    KeyedHash,

    /// <summary>Key derivation in the test vectors' context.</summary>
    DeriveKey,
}
