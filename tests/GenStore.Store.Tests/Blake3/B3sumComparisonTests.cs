using GenStore.Testing;

namespace GenStore.Store.Tests.Blake3;

using Blake3 = GenStore.Store.Blake3;

/// <summary>Random inputs of awkward sizes hash to what the real b3sum prints, in every mode, SIMD level and way of reading a file.</summary>
public sealed class B3sumComparisonTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1023)]
    [InlineData(1024)]
    [InlineData(1025)]
    [InlineData((64 * 1024) - 1)]
    [InlineData(64 * 1024)]
    [InlineData((64 * 1024) + 1)]
    [InlineData((1024 * 1024) + 1)]
    public void A_random_input_hashes_like_b3sum_in_every_mode_and_path(int length)
    {
        using var dir = new TempDir();
        var input = HashingPaths.RandomBytes(length, length + 17);
        var path = dir.Combine("input.bin");
        File.WriteAllBytes(path, input);

        var expected = B3sum.Hex(path);
        foreach (var level in HashingPaths.LevelNames)
        {
            using var _ = HashingPaths.Force(level);
            Assert.Equal(expected, Blake3.Hash(input).ToHex());
            foreach (var threads in new[] { 1, 4 })
            {
                Assert.Equal(expected, FileHasher.HashFile(path, threads).ToHex());
                using var memory = new MemoryStream(input);
                Assert.Equal(expected, FileHasher.Hash(memory, threads).ToHex());
            }
        }

        Assert.Equal(B3sum.Hex(path, TestVectors.Key, "--keyed", "--length", "131"), Convert.ToHexStringLower(HashingPaths.OneShot(Mode.KeyedHash, input, 131)));
        Assert.Equal(B3sum.Hex(path, "--derive-key", TestVectors.Context, "--length", "77"), Convert.ToHexStringLower(HashingPaths.OneShot(Mode.DeriveKey, input, 77)));
    }

    [Fact]
    public void A_100_MiB_file_hashes_like_b3sum_both_mapped_on_threads_and_read_on_one()
    {
        using var dir = new TempDir();
        var path = dir.Combine("big.bin");
        var input = HashingPaths.RandomBytes((100 * 1024 * 1024) + 123, 100);
        File.WriteAllBytes(path, input);

        var expected = B3sum.Hex(path);
        Assert.Equal(expected, FileHasher.HashFile(path, 3).ToHex());
        using var memory = new MemoryStream(input);
        Assert.Equal(expected, FileHasher.Hash(memory, 1).ToHex());
    }

    // Files of 1 MiB and more are hashed in 1 MiB pieces, a piece per thread at a time: these sizes put the last
    // byte just before, on and after a piece edge, and the start of the stream off any chunk boundary.
    [Theory]
    [InlineData(1 << 20, 0)]
    [InlineData((2 << 20) - 1, 0)]
    [InlineData(2 << 20, 0)]
    [InlineData((2 << 20) + 1, 0)]
    [InlineData((3 << 20) + 1, 1000)]
    [InlineData((16 << 20) - 1, 5)]
    [InlineData((48 << 20) + 1, 0)]
    public void A_file_of_several_pieces_hashes_alike_on_any_thread_count(int length, int position)
    {
        using var dir = new TempDir();
        var path = dir.Combine("pieces.bin");
        var input = HashingPaths.RandomBytes(length, length % 1000);
        File.WriteAllBytes(path, input);

        var expected = Blake3.Hash(input.AsSpan(position));
        foreach (var threads in new[] { 1, 2, 3, 8 })
        {
            using var stream = File.OpenRead(path);
            stream.Position = position;
            Assert.Equal(expected, FileHasher.Hash(stream, threads));
        }
    }

    [Fact]
    public void A_file_stream_is_hashed_from_its_current_position()
    {
        using var dir = new TempDir();
        var path = dir.Combine("input.bin");
        var input = HashingPaths.RandomBytes((3 * 1024 * 1024) + 5, 9);
        File.WriteAllBytes(path, input);

        using var stream = File.OpenRead(path);
        stream.Position = 1000;
        Assert.Equal(Blake3.Hash(input.AsSpan(1000)), FileHasher.Hash(stream, 2));
        Assert.Equal(stream.Length, stream.Position);
    }
}
