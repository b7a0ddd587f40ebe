using System.Collections.Concurrent;
using GenStore.Config;

namespace GenStore.Git;

/// <summary>The file tree of one commit, as a thread-safe <see cref="ISourceTree"/>; entries carry their git blob id as content key.</summary>
/// <remarks>
/// Each thread reads through its own libgit2 repository handle (libgit2 handles are not meant to be shared by
/// threads). Listings are cached per folder for the life of the tree.
/// </remarks>
public sealed class GitTree : ISourceTree, IDisposable
{
    private readonly string _gitFolder;
    private readonly GitCommit _commit;
    private readonly ConcurrentBag<NativeRepository> _all = [];
    private readonly ThreadLocal<NativeRepository> _repository;
    private readonly ConcurrentDictionary<string, IReadOnlyList<SourceEntry>?> _listings = new(StringComparer.Ordinal);

    internal GitTree(string gitFolder, GitCommit commit)
    {
        _gitFolder = gitFolder;
        _commit = commit;
        _repository = new ThreadLocal<NativeRepository>(() =>
        {
            var repository = new NativeRepository(_gitFolder);
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
    public Stream OpenRead(SourceEntry file) => new MemoryStream(ReadAllBytes(file), writable: false);

    /// <inheritdoc/>
    public T ReadContent<T>(SourceEntry file, ContentReader<T> use)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(use);
        if (file.Kind != SourceEntryKind.File || file.ContentKey is null)
        {
            throw new ArgumentException($"'{file.Path}' is not a file of {Name}", nameof(file));
        }

        return _repository.Value!.ReadBlob(file.ContentKey, content => use(content));
    }

    /// <summary>The regular files of this tree whose content differs from <paramref name="baseCommit"/>'s, with their new
    /// content keys; null when anything else differs between the two (see <see cref="NativeRepository.ContentChanges"/>)
    /// or more than <paramref name="limit"/> files changed.</summary>
    public IReadOnlyList<SourceEntry>? ContentChangesSince(GitCommit baseCommit, int limit)
    {
        ArgumentNullException.ThrowIfNull(baseCommit);
        var changes = _repository.Value!.ContentChanges(baseCommit.Sha, _commit.Sha, limit);
        return changes?.Select(c => new SourceEntry(c.Name, SourceEntryKind.File, c.Mode == 0x81ED, c.Id)).ToList();
    }

    /// <summary>The raw bytes of a file entry.</summary>
    public byte[] ReadAllBytes(SourceEntry file) => ReadContent(file, content => content.ToArray());

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
        var entries = repository.ListTree(_commit.Sha, directory);
        if (entries is null)
        {
            return null;
        }

        var prefix = directory.Length == 0 ? string.Empty : directory + "/";
        var names = new string[entries.Count];
        var result = new SourceEntry[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var (name, mode, id) = entries[i];
            var path = prefix + name;
            names[i] = name;
            result[i] = mode switch
            {
                0x4000 => new SourceEntry(path, SourceEntryKind.Directory),
                0x81A4 or 0x81B4 => new SourceEntry(path, SourceEntryKind.File, false, id), // 100644, 100664
                0x81ED => new SourceEntry(path, SourceEntryKind.File, true, id), // 100755
                0xA000 => new SourceEntry(path, SourceEntryKind.Symlink, false, id, LinkTarget(repository, id)), // 120000
                _ => new SourceEntry(path, SourceEntryKind.Other), // 160000: a submodule commit
            };
        }

        // git sorts trees bytewise with '/' appended to folder names; the compiler wants plain ordinal order by name.
        // Sorted by the bare names: SourceEntry.Name cuts a new string on every call.
        Array.Sort(names, result, StringComparer.Ordinal);
        return result;
    }

    // Raw content: a symlink blob holds the target bytes, never filtered through attributes or line endings.
    private static string LinkTarget(NativeRepository repository, string id) =>
        repository.ReadBlob(id, content => System.Text.Encoding.UTF8.GetString(content));

    private static string Normalize(string path) => path.Trim('/');
}
