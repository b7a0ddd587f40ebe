namespace GenStore.Store.Tests.Blake3;

/// <summary>Every SIMD level, thread count and input split gives the official digests, and agrees with the plain chunk-by-chunk path on large inputs.</summary>
public sealed class Blake3PathTests
{
    private static readonly Mode[] Modes = [Mode.Hash, Mode.KeyedHash, Mode.DeriveKey];

    [Theory]
    [MemberData(nameof(HashingPaths.Levels), MemberType = typeof(HashingPaths))]
    public void Every_official_vector_matches_in_all_modes_one_shot_and_in_every_split_and_thread_count(string level)
    {
        using var _ = HashingPaths.Force(level);
        foreach (var length in TestVectors.AllLengths)
        {
            var input = TestVectors.Input(length);
            var vector = TestVectors.For(length);
            foreach (var mode in Modes)
            {
                var expected = Convert.FromHexString(mode switch
                {
                    Mode.Hash => vector.Hash,
                    Mode.KeyedHash => vector.KeyedHash,
                    _ => vector.DeriveKey,
                });
                Assert.Equal(expected, HashingPaths.OneShot(mode, input, expected.Length));
                foreach (var (split, pieces) in HashingPaths.Splits(length))
                {
                    foreach (var threads in HashingPaths.ThreadCounts)
                    {
                        var actual = HashingPaths.Hash(mode, input, pieces, threads, expected.Length);
                        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{mode} of {length} bytes, split {split}, {threads} threads, {level}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(HashingPaths.Levels), MemberType = typeof(HashingPaths))]
    public void Large_inputs_hash_the_same_in_every_split_and_thread_count_as_chunk_by_chunk(string level)
    {
        // Pieces of at most one chunk never reach the subtree, SIMD or thread code, so they are the reference.
        // Kept small: tests run unoptimised builds, where the scalar path is slow.
        int[] lengths = [(256 * 1024) - 1, (512 * 1024) + 1025, (1024 * 1024) + 1];
        foreach (var length in lengths)
        {
            var input = HashingPaths.RandomBytes(length, length);
            var chunkwise = Enumerable.Repeat(1000, length / 1000).Append(length % 1000).ToArray();
            foreach (var mode in Modes)
            {
                var expected = HashingPaths.Hash(mode, input, chunkwise, 1, 40);
                using var _ = HashingPaths.Force(level);
                Assert.Equal(expected, HashingPaths.OneShot(mode, input, 40));
                var splits = mode == Mode.Hash ? HashingPaths.Splits(length) : HashingPaths.Splits(length).Take(1);
                foreach (var (split, pieces) in splits)
                {
                    foreach (var threads in new[] { 1, 3 })
                    {
                        var actual = HashingPaths.Hash(mode, input, pieces, threads, 40);
                        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{mode} of {length} bytes, split {split}, {threads} threads, {level}");
                        var promised = HashingPaths.Hash(mode, input, pieces, threads, 40, promiseMore: true);
                        Assert.True(expected.AsSpan().SequenceEqual(promised), $"{mode} of {length} bytes, split {split}, more input promised, {threads} threads, {level}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Extended_output_read_from_an_offset_equals_the_same_bytes_of_one_long_output()
    {
        var input = HashingPaths.RandomBytes(5000, 5);
        var hasher = new GenStore.Store.Blake3Hasher();
        hasher.Update(input);
        var whole = new byte[1000];
        hasher.Finalize(whole);
        foreach (var seek in new[] { 0, 1, 63, 64, 65, 500 })
        {
            var part = new byte[300];
            hasher.FinalizeSeek((ulong)seek, part);
            Assert.Equal(whole.AsSpan(seek, 300).ToArray(), part);
        }
    }

    [Fact]
    public void Finalize_leaves_the_hasher_able_to_take_more_input()
    {
        var input = HashingPaths.RandomBytes(300_000, 6);
        var hasher = new GenStore.Store.Blake3Hasher { Threads = 2 };
        hasher.Update(input.AsSpan(0, 100_000));
        _ = hasher.FinalizeId();
        hasher.Update(input.AsSpan(100_000));
        Assert.Equal(GenStore.Store.Blake3.Hash(input), hasher.FinalizeId());
    }

    [Fact]
    public void A_thread_count_below_one_is_refused()
    {
        var hasher = new GenStore.Store.Blake3Hasher();
        Assert.Throws<ArgumentOutOfRangeException>(() => hasher.Threads = 0);
    }
}
