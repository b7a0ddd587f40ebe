using GenStore.Config;
using LibGit2Sharp;

namespace GenStore.Git;

/// <summary>A commit that a revision resolved to: its full hash and the first line of its message.</summary>
public sealed record GitCommit(string Sha, string Summary)
{
    /// <summary>The abbreviated hash (12 hex digits) used in messages.</summary>
    public string ShortSha => Sha[..12];
}

/// <summary>A local git repository (bare or with a work tree), read through LibGit2Sharp: revisions, trees and blobs at a commit.</summary>
public sealed class GitSource : IDisposable
{
    private readonly Repository _repository;

    private readonly string _gitFolder;

    private GitSource(string path, string gitFolder, Repository repository)
    {
        Path = path;
        _gitFolder = gitFolder;
        _repository = repository;
    }

    /// <summary>The folder the repository was opened from.</summary>
    public string Path { get; }

    /// <summary>Opens the repository at <paramref name="path"/> (a work tree, a folder inside one, or a bare repository).</summary>
    /// <exception cref="InputException">No git repository is there.</exception>
    public static GitSource Open(string path)
    {
        NativeBinding.Register();
        NativeGit.BoundPackMapping();
        DisableHashVerification();
        var full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            throw new InputException("no such folder; pass --repo with the path of a git repository", full);
        }

        var discovered = Repository.Discover(full);
        if (discovered is null)
        {
            throw new InputException("not a git repository; pass --repo with the path of a git repository", full);
        }

        try
        {
            return new GitSource(full, discovered, new Repository(discovered));
        }
        catch (LibGit2SharpException e)
        {
            throw new InputException($"cannot open the git repository: {e.Message}", full, inner: e);
        }
    }

    private static int _verificationOff;

    /// <summary>
    /// libgit2 re-computes the SHA-1 of every object it reads; the git CLI does not, and zlib's own checksum already
    /// catches damaged objects. For a 270 MB tree that check was a third of a cold compile, so it is turned off
    /// (process-wide; only this assembly uses libgit2). Payloads are hashed with BLAKE3 as they are stored anyway.
    /// </summary>
    private static void DisableHashVerification()
    {
        if (Interlocked.Exchange(ref _verificationOff, 1) == 0)
        {
            GlobalSettings.SetStrictHashVerification(false);
        }
    }

    /// <summary>Resolves a revision (branch, tag, short or full hash, <c>HEAD~2</c>, …) to the commit it names.</summary>
    /// <exception cref="InputException">The revision names nothing, or something that is not a commit.</exception>
    public GitCommit Resolve(string revision)
    {
        ArgumentNullException.ThrowIfNull(revision);
        GitObject? found;
        try
        {
            found = revision.Length == 0 ? null : _repository.Lookup(revision);
        }
        catch (LibGit2SharpException)
        {
            // Ambiguous short hashes and malformed revision syntax end up here.
            found = null;
        }

        var commit = found switch
        {
            Commit c => c,
            TagAnnotation t => t.Target.Peel<Commit>(),
            _ => null,
        };
        if (commit is null)
        {
            var what = found is null ? "names no commit" : $"names a {found.GetType().Name.ToLowerInvariant()}, not a commit";
            throw new InputException($"revision '{revision}' {what} in {Path}; give a branch, tag, commit hash or an expression like HEAD~2 (run 'gen fetch' if it is new)");
        }

        return new GitCommit(commit.Sha, commit.MessageShort);
    }

    /// <summary>The file tree at a commit, for the compiler to read.</summary>
    public GitTree TreeAt(GitCommit commit)
    {
        ArgumentNullException.ThrowIfNull(commit);
        return new GitTree(_gitFolder, commit);
    }

    /// <inheritdoc/>
    public void Dispose() => _repository.Dispose();
}
