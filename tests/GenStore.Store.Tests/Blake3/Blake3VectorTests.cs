namespace GenStore.Store.Tests.Blake3;

using Blake3 = GenStore.Store.Blake3;

public sealed class Blake3VectorTests
{
    [Theory]
    [MemberData(nameof(TestVectors.Lengths), MemberType = typeof(TestVectors))]
    public void One_shot_hash_matches_the_official_vector(int length)
    {
        var expected = Convert.FromHexString(TestVectors.For(length).Hash);
        var output = new byte[expected.Length];
        Blake3.Hash(TestVectors.Input(length), output);
        Assert.Equal(expected, output);
        Assert.Equal(expected[..32], Blake3.Hash(TestVectors.Input(length)).ToArray());
    }

    [Theory]
    [MemberData(nameof(TestVectors.Lengths), MemberType = typeof(TestVectors))]
    public void Keyed_hash_matches_the_official_vector(int length)
    {
        var expected = Convert.FromHexString(TestVectors.For(length).KeyedHash);
        var output = new byte[expected.Length];
        Blake3.KeyedHash(TestVectors.Key, TestVectors.Input(length), output);
        Assert.Equal(expected, output);
    }

    [Theory]
    [MemberData(nameof(TestVectors.Lengths), MemberType = typeof(TestVectors))]
    public void Derive_key_matches_the_official_vector(int length)
    {
        var expected = Convert.FromHexString(TestVectors.For(length).DeriveKey);
        var output = new byte[expected.Length];
        Blake3.DeriveKey(TestVectors.Context, TestVectors.Input(length), output);
        Assert.Equal(expected, output);
    }
}
