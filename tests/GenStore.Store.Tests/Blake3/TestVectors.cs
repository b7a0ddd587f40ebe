using System.Text.Json;
using GenStore.Testing;

namespace GenStore.Store.Tests.Blake3;

/// <summary>The official BLAKE3 test vectors, read from the shared test data.</summary>
public static class TestVectors
{
    private static readonly Lazy<Document> Doc = new(Load);

    /// <summary>The 32-byte key of the keyed_hash cases.</summary>
    public static byte[] Key => System.Text.Encoding.ASCII.GetBytes(Doc.Value.Key);

    /// <summary>The context string of the derive_key cases.</summary>
    public static string Context => Doc.Value.ContextString;

    /// <summary>Every case, as xunit theory data: input length.</summary>
    public static TheoryData<int> Lengths()
    {
        var data = new TheoryData<int>();
        foreach (var c in Doc.Value.Cases)
        {
            data.Add(c.InputLen);
        }

        return data;
    }

    /// <summary>The input length of every case.</summary>
    public static IEnumerable<int> AllLengths => Doc.Value.Cases.Select(c => c.InputLen);

    /// <summary>The case for one input length.</summary>
    public static Case For(int inputLen) => Doc.Value.Cases.Single(c => c.InputLen == inputLen);

    /// <summary>The input of a case: the repeating bytes 0..250.</summary>
    public static byte[] Input(int length)
    {
        var input = new byte[length];
        for (var i = 0; i < length; i++)
        {
            input[i] = (byte)(i % 251);
        }

        return input;
    }

    private static Document Load()
    {
        var path = Path.Combine(RepoPaths.SharedTestData, "blake3", "test_vectors.json");
        return JsonSerializer.Deserialize<Document>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })
            ?? throw new InvalidDataException(path);
    }

    /// <summary>The JSON file as a whole.</summary>
    public sealed record Document(string Key, string ContextString, List<Case> Cases);

    /// <summary>One case: an input length and the extended outputs of the three modes, in hex.</summary>
    public sealed record Case(int InputLen, string Hash, string KeyedHash, string DeriveKey);
}
