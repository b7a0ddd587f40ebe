using System.Collections.Concurrent;
using GenStore.Config;
using LibGit2Sharp;

namespace GenStore.Git;

/// <summary>The file tree of one commit, as a thread-safe <see cref="ISourceTree"/>; entries carry their git blob id as content key.</summary>
/// <remarks>
/// Each thread reads through its own <see cref="Repository"/> handle: libgit2 is thread-safe per handle, and
/// LibGit2Sharp caches lazily on its wrappers, so sharing one across threads is not.
/// </remarks>
public sealed class GitTree : ISourceTree, IDisposable
{
    private readonly string _repositoryPath;
    private readonly GitCommit _commit;
    private readonly ConcurrentBag<Repository> _all = [];
    private readonly ThreadLocal<Repository> _repository;
    private readonly ConcurrentDictionary<string, IReadOnlyList<SourceEntry>?> _listings = new(StringComparer.Ordinal);

    internal GitTree(string repositoryPath, GitCommit commit)
    {
        _repositoryPath = repositoryPath;
        _commit = commit;
        _repository = new ThreadLocal<Repository>(() =>
        {
            var repository = new Repository(Repository.Discover(_repositoryPath));
            _all.Add(repository);
            return repository;
        });
    }

    /// <summary>The commit this tree belongs to.</summary>
    public GitCommit Commit => _commit;

    /// <inheritdoc/>
    public string Name => $"commit {_commit.ShortSha}";

    /// <inheritdoc/>
    public SourceEntry? Find(string path)
    {
        path = Normalize(path);
        if (path.Length == 0)
        {
            return new SourceEntry(string.Empty, SourceEntryKind.Directory);
        }

        var slash = path.LastIndexOf('/');
        var parent = slash < 0 ? string.Empty : path[..slash];
        var children = ListOrNull(parent);
        if (children is null)
        {
            return null;
        }

        var name = path[(slash + 1)..];
        foreach (var child in children)
        {
            if (string.Equals(child.Name, name, StringComparison.Ordinal))
            {
                return child;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public IReadOnlyList<SourceEntry> List(string directory) =>
        ListOrNull(Normalize(directory)) ?? throw new InputException($"no folder '{directory}' in {Name}");

    /// <inheritdoc/>
    public Stream OpenRead(SourceEntry file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Kind != SourceEntryKind.File || file.ContentKey is null)
        {
            throw new ArgumentException($"'{file.Path}' is not a file of {Name}", nameof(file));
        }

        var blob = _repository.Value!.Lookup<Blob>(new LibGit2Sharp.ObjectId(file.ContentKey));
        return blob.GetContentStream();
    }

    /// <summary>The raw bytes of a file entry; small files are read this way without a stream wrapper.</summary>
    public byte[] ReadAllBytes(SourceEntry file)
    {
        using var stream = OpenRead(file);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var repository in _all)
        {
            repository.Dispose();
        }

        _repository.Dispose();
    }

    private IReadOnlyList<SourceEntry>? ListOrNull(string directory) =>
        _listings.GetOrAdd(directory, Load);

    private IReadOnlyList<SourceEntry>? Load(string directory)
    {
        var repository = _repository.Value!;
        var commit = repository.Lookup<LibGit2Sharp.Commit>(_commit.Sha);
        Tree tree = commit.Tree;
        if (directory.Length > 0)
        {
            if (commit.Tree[directory] is not { TargetType: TreeEntryTargetType.Tree } entry)
            {
                return null;
            }

            tree = (Tree)entry.Target;
        }

        var prefix = directory.Length == 0 ? string.Empty : directory + "/";
        var result = new List<SourceEntry>(tree.Count);
        foreach (var entry in tree)
        {
            var path = prefix + entry.Name;
            result.Add(entry.Mode switch
            {
                Mode.Directory => new SourceEntry(path, SourceEntryKind.Directory),
                Mode.NonExecutableFile or Mode.NonExecutableGroupWritableFile => new SourceEntry(path, SourceEntryKind.File, false, entry.Target.Sha),
                Mode.ExecutableFile => new SourceEntry(path, SourceEntryKind.File, true, entry.Target.Sha),
                Mode.SymbolicLink => new SourceEntry(path, SourceEntryKind.Symlink, false, entry.Target.Sha, LinkTargetOf((Blob)entry.Target)),
                _ => new SourceEntry(path, SourceEntryKind.Other),
            });
        }

        // git sorts trees bytewise with '/' appended to folder names; the compiler wants plain ordinal order by name.
        result.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    private static string LinkTargetOf(Blob blob)
    {
        // Raw content: a symlink blob holds the target bytes, never filtered through attributes or line endings.
        using var stream = blob.GetContentStream();
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static string Normalize(string path) => path.Trim('/');
}
