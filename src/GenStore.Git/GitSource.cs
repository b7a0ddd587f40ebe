using GenStore.Config;
using LibGit2Sharp;

namespace GenStore.Git;

/// <summary>A commit that a revision resolved to: its full hash and the first line of its message.</summary>
public sealed record GitCommit(string Sha, string Summary)
{
    /// <summary>The abbreviated hash (12 hex digits) used in messages.</summary>
    public string ShortSha => Sha[..12];
}

/// <summary>A local git repository (bare or with a work tree), read through libgit2: revisions, trees and blobs at a commit.</summary>
/// <remarks>
/// Revision names and expressions (branches, tags, short hashes, <c>HEAD~2</c>) are resolved by LibGit2Sharp. A full
/// commit hash, which is what the agent, rollbacks and scripts pass, needs no revision parsing, so it is looked up
/// straight in Debian's libgit2 (<see cref="NativeGit"/>), like listing trees and reading blobs: LibGit2Sharp's
/// start-up (its native bootstrap and repository object) costs 35-60 ms of a process that only needs one lookup.
/// </remarks>
public sealed class GitSource : IDisposable
{
    // libgit2 error codes (include/git2/errors.h) and object types (include/git2/types.h).
    private const int NotFound = -3;
    private const int ObjectCommit = 1;

    private readonly string _gitFolder;
    private IntPtr _repository;
    private Repository? _names;

    private GitSource(string path, string gitFolder, IntPtr repository)
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
        NativeGit.Init();
        NativeGit.BoundPackMapping();
        NativeGit.DisableHashVerification();
        var full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            throw new InputException("no such folder; pass --repo with the path of a git repository", full);
        }

        // Like `git`: the folder itself or the nearest parent that is (or holds) a repository.
        var code = NativeGit.RepositoryOpenExt(out var repository, full, 0, null);
        if (code == NotFound)
        {
            throw new InputException("not a git repository; pass --repo with the path of a git repository", full);
        }

        if (code < 0)
        {
            throw new InputException($"cannot open the git repository: {NativeGit.LastError()}", full);
        }

        return new GitSource(full, NativeGit.RepositoryPath(repository), repository);
    }

    /// <summary>Resolves a revision (branch, tag, short or full hash, <c>HEAD~2</c>, …) to the commit it names.</summary>
    /// <exception cref="InputException">The revision names nothing, or something that is not a commit.</exception>
    public GitCommit Resolve(string revision)
    {
        ArgumentNullException.ThrowIfNull(revision);
        ObjectDisposedException.ThrowIf(_repository == IntPtr.Zero, this);
        if (!IsFullHash(revision))
        {
            return ResolveName(revision);
        }

        if (NativeGit.RevparseSingle(out var found, _repository, revision) < 0)
        {
            throw NoCommit(revision, "names no commit");
        }

        try
        {
            var type = NativeGit.ObjectType(found);

            // An annotated tag is peeled to the commit it tags; a tree or a blob is not a commit.
            if (type is not (ObjectCommit or 4) || NativeGit.ObjectPeel(out var commit, found, ObjectCommit) < 0)
            {
                var what = type switch { 2 => "tree", 3 => "blob", 4 => "tag of something else", _ => "object" };
                throw NoCommit(revision, $"names a {what}, not a commit");
            }

            try
            {
                return new GitCommit(NativeGit.CommitSha(commit), NativeGit.CommitSummary(commit));
            }
            finally
            {
                NativeGit.ObjectFree(commit);
            }
        }
        finally
        {
            NativeGit.ObjectFree(found);
        }
    }

    private GitCommit ResolveName(string revision)
    {
        GitObject? found;
        try
        {
            _names ??= new Repository(_gitFolder);
            found = revision.Length == 0 ? null : _names.Lookup(revision);
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
            var what = found switch
            {
                null => "names no commit",
                Tree => "names a tree, not a commit",
                Blob => "names a blob, not a commit",
                _ => "names a tag of something else, not a commit",
            };
            throw NoCommit(revision, what);
        }

        return new GitCommit(commit.Sha, commit.MessageShort);
    }

    private static bool IsFullHash(string revision) =>
        revision.Length == 40 && revision.All(char.IsAsciiHexDigit);

    /// <summary>The file tree at a commit, for the compiler to read.</summary>
    public GitTree TreeAt(GitCommit commit)
    {
        ArgumentNullException.ThrowIfNull(commit);
        return new GitTree(_gitFolder, commit);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _names?.Dispose();
        _names = null;
        if (_repository != IntPtr.Zero)
        {
            NativeGit.RepositoryFree(_repository);
            _repository = IntPtr.Zero;
        }
    }

    private InputException NoCommit(string revision, string what) =>
        new($"revision '{revision}' {what} in {Path}; give a branch, tag, commit hash or an expression like HEAD~2 (run 'gen fetch' if it is new)");
}
