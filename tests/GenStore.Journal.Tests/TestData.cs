using GenStore.Store;

namespace GenStore.Journal.Tests;

/// <summary>Paths of the sample journals and small builders shared by the tests.</summary>
internal static class TestData
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "testdata");

    public static string PathOf(string name) => Path.Combine(Dir, name);

    public static string Read(string name) => File.ReadAllText(PathOf(name));

    public static ObjectId Id(int n)
    {
        var bytes = new byte[ObjectId.Size];
        BitConverter.TryWriteBytes(bytes, n);
        return new ObjectId(bytes);
    }

    public static Journal Parse(string text)
    {
        var result = JournalParser.Parse(text, "test.journal");
        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        return result.Journal;
    }
}
