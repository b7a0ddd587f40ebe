using GenStore.Store;
using GenStore.Testing;

namespace GenStore.Generations.Tests;

/// <summary>The compile memo that lets a no-op switch skip compiling: it answers only for the exact commit, host and compiler.</summary>
public sealed class CompileMemoTests
{
    private const string CommitA = "1111111111111111111111111111111111111111";
    private const string CommitB = "2222222222222222222222222222222222222222";

    private static readonly ObjectId First = Blake3.Hash("first"u8);
    private static readonly ObjectId Second = Blake3.Hash("second"u8);

    [Fact]
    public void A_remembered_journal_is_found_only_for_the_same_commit_and_host()
    {
        using var dir = new TempDir();
        var memo = new CompileMemo(dir.Combine("compile-memo"));

        memo.Remember(CommitA, "web-01", First);

        Assert.Equal(First, memo.Find(CommitA, "web-01"));
        Assert.Null(memo.Find(CommitA, "web-02"));
        Assert.Null(memo.Find(CommitB, "web-01"));
    }

    [Fact]
    public void Remembering_a_key_again_replaces_its_journal()
    {
        using var dir = new TempDir();
        var memo = new CompileMemo(dir.Combine("compile-memo"));

        memo.Remember(CommitA, "web-01", First);
        memo.Remember(CommitA, "web-01", Second);

        Assert.Equal(Second, memo.Find(CommitA, "web-01"));
        Assert.Single(File.ReadAllLines(dir.Combine("compile-memo")));
    }

    [Fact]
    public void A_missing_or_garbled_file_is_a_miss_and_only_the_newest_entries_are_kept()
    {
        using var dir = new TempDir();
        var path = dir.Combine("compile-memo");
        var memo = new CompileMemo(path);
        Assert.Null(memo.Find(CommitA, "web-01"));

        File.WriteAllText(path, "garbage\n\0\0\0 torn line b3:12\n");
        Assert.Null(memo.Find(CommitA, "web-01"));

        for (var i = 0; i < 100; i++)
        {
            memo.Remember(i.ToString("x40", System.Globalization.CultureInfo.InvariantCulture), "web-01", First);
        }

        Assert.Equal(64, File.ReadAllLines(path).Length);
        Assert.Null(memo.Find(0.ToString("x40", System.Globalization.CultureInfo.InvariantCulture), "web-01"));
        Assert.Equal(First, memo.Find(99.ToString("x40", System.Globalization.CultureInfo.InvariantCulture), "web-01"));
    }
}
