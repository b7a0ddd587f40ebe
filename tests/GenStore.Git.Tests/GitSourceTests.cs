using System.Text;
using GenStore.Config;
using GenStore.Testing;

namespace GenStore.Git.Tests;

public sealed class GitSourceTests
{
    private static TestRepo ThreeCommits(out string[] shas)
    {
        var repo = new TestRepo();
        var first = repo.Write("a.txt", "one\n").Commit("first");
        repo.Git("tag v1");
        var second = repo.Write("a.txt", "two\n").Commit("second");
        repo.Git("tag -a v2 -m release-two");
        var third = repo.Write("a.txt", "three\n").Commit("third");
        shas = [first, second, third];
        return repo;
    }

    [Fact]
    public void Every_revision_form_resolves_to_its_commit()
    {
        using var repo = ThreeCommits(out var shas);
        using var source = GitSource.Open(repo.Path);

        Assert.Equal(shas[2], source.Resolve("HEAD").Sha);
        Assert.Equal(shas[2], source.Resolve("main").Sha);
        Assert.Equal(shas[0], source.Resolve("v1").Sha);
        Assert.Equal(shas[1], source.Resolve("v2").Sha);
        Assert.Equal(shas[1], source.Resolve(shas[1]).Sha);
        Assert.Equal(shas[1], source.Resolve(shas[1][..7]).Sha);
        Assert.Equal(shas[0], source.Resolve("HEAD~2").Sha);
        Assert.Equal(shas[1], source.Resolve("main^").Sha);
        Assert.Equal("second", source.Resolve("v2").Summary);
    }

    [Theory]
    [InlineData("no-such-branch")]
    [InlineData("0123456789abcdef0123456789abcdef01234567")]
    [InlineData("HEAD~10")]
    [InlineData("")]
    public void An_unknown_revision_is_a_one_line_input_error(string revision)
    {
        using var repo = ThreeCommits(out _);
        using var source = GitSource.Open(repo.Path);

        var error = Assert.Throws<InputException>(() => source.Resolve(revision));
        Assert.Contains($"'{revision}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_revision_naming_a_tree_is_not_a_commit()
    {
        using var repo = ThreeCommits(out _);
        using var source = GitSource.Open(repo.Path);

        var error = Assert.Throws<InputException>(() => source.Resolve("HEAD^{tree}"));
        Assert.Contains("not a commit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_full_hash_of_a_tree_is_not_a_commit_either()
    {
        // Full hashes skip LibGit2Sharp's revision parser and go straight to libgit2: the answer must be the same.
        using var repo = ThreeCommits(out _);
        using var source = GitSource.Open(repo.Path);
        var tree = repo.Git("rev-parse HEAD^{tree}").Trim();

        var error = Assert.Throws<InputException>(() => source.Resolve(tree));
        Assert.Contains("names a tree, not a commit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_that_is_not_a_repository_is_an_input_error()
    {
        using var dir = new TempDir();
        var error = Assert.Throws<InputException>(() => GitSource.Open(dir.Path));
        Assert.Contains("not a git repository", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Files_folders_exec_bits_and_symlinks_are_read_at_a_commit()
    {
        using var repo = new TestRepo();
        repo.Write("etc/motd", "hello\n")
            .Write("bin/run.sh", "#!/bin/sh\necho hi\n", executable: true)
            .Write("bin/zz/deep.txt", "deep\n")
            .Symlink("etc/link", "../bin/run.sh");
        var sha = repo.Commit();
        using var source = GitSource.Open(repo.Path);
        using var tree = source.TreeAt(source.Resolve(sha));

        Assert.Equal(["bin", "etc"], tree.List("").Select(e => e.Name));
        Assert.All(tree.List(""), e => Assert.Equal(SourceEntryKind.Directory, e.Kind));

        var bin = tree.List("bin");
        Assert.Equal(["bin/run.sh", "bin/zz"], bin.Select(e => e.Path));
        Assert.True(bin[0].Executable);
        Assert.Equal(SourceEntryKind.Directory, bin[1].Kind);

        var motd = tree.Find("etc/motd")!;
        Assert.Equal(SourceEntryKind.File, motd.Kind);
        Assert.False(motd.Executable);
        Assert.Equal(repo.Git("rev-parse HEAD:etc/motd").Trim(), motd.ContentKey);
        Assert.Equal("hello\n", Encoding.UTF8.GetString(tree.ReadAllBytes(motd)));

        var link = tree.Find("etc/link")!;
        Assert.Equal(SourceEntryKind.Symlink, link.Kind);
        Assert.Equal("../bin/run.sh", link.LinkTarget);

        Assert.Null(tree.Find("etc/missing"));
        Assert.Null(tree.Find("nope/deeper"));
        Assert.Throws<InputException>(() => tree.List("nope"));
    }

    [Fact]
    public void An_older_commit_shows_its_own_content()
    {
        using var repo = ThreeCommits(out var shas);
        using var source = GitSource.Open(repo.Path);
        using var tree = source.TreeAt(source.Resolve(shas[0]));

        using var stream = tree.OpenRead(tree.Find("a.txt")!);
        Assert.Equal("one\n", new StreamReader(stream).ReadToEnd());
    }

    [Fact]
    public void Binary_content_is_read_byte_for_byte()
    {
        using var repo = new TestRepo();
        var bytes = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 31)).ToArray();
        repo.WriteBytes("blob.bin", bytes).Commit();
        using var source = GitSource.Open(repo.Path);
        using var tree = source.TreeAt(source.Resolve("HEAD"));

        Assert.Equal(bytes, tree.ReadAllBytes(tree.Find("blob.bin")!));
    }

    [Fact]
    public void A_bare_repository_is_read_like_a_work_tree()
    {
        using var work = new TestRepo();
        var sha = work.Write("dir/file.txt", "bare content\n").Commit();
        using var bare = new TestRepo(bare: true);
        work.Git($"push -q {bare.Path} main");

        using var source = GitSource.Open(bare.Path);
        using var tree = source.TreeAt(source.Resolve("main"));

        Assert.Equal(sha, tree.Commit.Sha);
        Assert.Equal("bare content\n", Encoding.UTF8.GetString(tree.ReadAllBytes(tree.Find("dir/file.txt")!)));
    }

    [Fact]
    public void A_commit_fetched_with_the_git_cli_is_readable_after_the_fetch()
    {
        using var upstream = new TestRepo();
        upstream.Write("f.txt", "v1\n").Commit();
        using var mirror = new TestRepo(bare: true);
        mirror.Git($"fetch -q {upstream.Path} +refs/heads/*:refs/heads/*");

        using var source = GitSource.Open(mirror.Path);
        Assert.Equal(upstream.Git("rev-parse HEAD").Trim(), source.Resolve("main").Sha);

        var second = upstream.Write("f.txt", "v2\n").Commit();
        mirror.Git($"fetch -q {upstream.Path} +refs/heads/*:refs/heads/*");

        // A new handle sees the new refs and the newly fetched pack.
        using var after = GitSource.Open(mirror.Path);
        var commit = after.Resolve("main");
        Assert.Equal(second, commit.Sha);
        using var tree = after.TreeAt(commit);
        Assert.Equal("v2\n", Encoding.UTF8.GetString(tree.ReadAllBytes(tree.Find("f.txt")!)));
    }

    [Fact]
    public void Many_threads_read_blobs_of_one_tree_at_once()
    {
        using var repo = new TestRepo();
        for (var i = 0; i < 64; i++)
        {
            repo.Write($"f/{i:D2}.txt", $"content {i}\n");
        }

        repo.Commit();
        using var source = GitSource.Open(repo.Path);
        using var tree = source.TreeAt(source.Resolve("HEAD"));
        var files = tree.List("f");
        var texts = new string[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            texts[i] = Encoding.UTF8.GetString(tree.ReadAllBytes(files[i])));

        Assert.Equal(Enumerable.Range(0, 64).Select(i => $"content {i}\n"), texts);
    }
}
