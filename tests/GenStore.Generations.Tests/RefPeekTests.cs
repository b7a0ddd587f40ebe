using GenStore.Testing;

namespace GenStore.Generations.Tests;

/// <summary>The no-op check's plain reading of ref files agrees with git, and declines what it cannot read plainly.</summary>
public sealed class RefPeekTests
{
    [Fact]
    public void Branches_tags_and_full_hashes_read_from_loose_and_packed_refs_agree_with_git()
    {
        using var repo = new GitRepo();
        var first = repo.Write("a", "1\n").Commit("first");
        repo.Git("tag", "light");
        repo.Git("tag", "-a", "annotated", "-m", "an annotated tag");
        var second = repo.Write("a", "2\n").Commit("second");
        var branch = repo.Git("rev-parse", "--abbrev-ref", "HEAD").Trim();
        repo.Git("branch", "feature/x", first);

        void AgreesWithGit()
        {
            foreach (var name in new[] { branch, "light", "annotated", "feature/x", "HEAD", "heads/" + branch, "tags/light" })
            {
                Assert.Equal(repo.Git("rev-parse", name).Trim(), RefPeek.Peek(repo.Path, name));
            }

            Assert.Equal(second, RefPeek.Peek(repo.Path, second));
        }

        AgreesWithGit();
        repo.Git("pack-refs", "--all");
        Assert.False(File.Exists(Path.Join(repo.Path, ".git", "refs", "tags", "light")));
        AgreesWithGit();

        // A loose ref written after packing wins over its packed line, as in git.
        repo.Git("update-ref", "refs/tags/light", second);
        Assert.Equal(second, RefPeek.Peek(repo.Path, "light"));

        // An annotated tag names the tag object, never the commit: the caller then compiles instead of answering early.
        Assert.NotEqual(first, RefPeek.Peek(repo.Path, "annotated"));
    }

    [Fact]
    public void Expressions_short_hashes_unknown_names_and_describe_output_are_left_to_libgit2()
    {
        using var repo = new GitRepo();
        var commit = repo.Write("a", "1\n").Commit("first");
        repo.Write("a", "2\n").Commit("second");
        foreach (var revision in new[] { "HEAD~1", "main^", commit[..12], "no-such-branch", "v1.0-3-g" + commit[..7], "a..b", "-x", "refs/heads/" })
        {
            Assert.Null(RefPeek.Peek(repo.Path, revision));
        }

        Assert.Null(RefPeek.Peek(Path.Join(repo.Path, "not-a-repo"), "main"));
    }
}
