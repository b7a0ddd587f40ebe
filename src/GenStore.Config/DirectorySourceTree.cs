namespace GenStore.Config;

/// <summary>A plain folder read as a config source tree, for tests and tooling; it has no content keys, so nothing is cached.</summary>
/// <remarks>A top-level <c>.git</c> folder is left out, as git would.</remarks>
public sealed class DirectorySourceTree : ISourceTree
{
    private readonly string _root;

    /// <summary>Reads the folder at <paramref name="root"/>.</summary>
    public DirectorySourceTree(string root)
    {
        _root = Path.GetFullPath(root);
    }

    /// <inheritdoc/>
    public string Name => $"folder {_root}";

    /// <inheritdoc/>
    public SourceEntry? Find(string path)
    {
        path = path.Trim('/');
        if (path.Length == 0)
        {
            return new SourceEntry(string.Empty, SourceEntryKind.Directory);
        }

        if (path == ".git" || path.StartsWith(".git/", StringComparison.Ordinal))
        {
            return null;
        }

        var full = Path.Combine(_root, path);
        FileSystemInfo info = new FileInfo(full);
        if (!info.Exists)
        {
            info = new DirectoryInfo(full);
            if (!info.Exists && new FileInfo(full).LinkTarget is null)
            {
                return null;
            }
        }

        return Describe(path, info);
    }

    /// <inheritdoc/>
    public IReadOnlyList<SourceEntry> List(string directory)
    {
        directory = directory.Trim('/');
        var full = Path.Combine(_root, directory);
        if (!Directory.Exists(full) || new DirectoryInfo(full).LinkTarget is not null)
        {
            throw new InputException($"no folder '{directory}' in {Name}");
        }

        var prefix = directory.Length == 0 ? string.Empty : directory + "/";
        var result = new List<SourceEntry>();
        foreach (var info in new DirectoryInfo(full).EnumerateFileSystemInfos())
        {
            if (directory.Length == 0 && info.Name == ".git")
            {
                continue;
            }

            result.Add(Describe(prefix + info.Name, info));
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    /// <inheritdoc/>
    public Stream OpenRead(SourceEntry file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new FileStream(Path.Combine(_root, file.Path), FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
    }

    /// <inheritdoc/>
    public T ReadContent<T>(SourceEntry file, ContentReader<T> use)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(use);
        return use(File.ReadAllBytes(Path.Combine(_root, file.Path)));
    }

    private static SourceEntry Describe(string path, FileSystemInfo info)
    {
        if (info.LinkTarget is { } target)
        {
            return new SourceEntry(path, SourceEntryKind.Symlink, LinkTarget: target);
        }

        if (info is DirectoryInfo || (info.Attributes & FileAttributes.Directory) != 0)
        {
            return new SourceEntry(path, SourceEntryKind.Directory);
        }

        var regular = (info.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) == 0;
        return regular
            ? new SourceEntry(path, SourceEntryKind.File, (info.UnixFileMode & UnixFileMode.UserExecute) != 0)
            : new SourceEntry(path, SourceEntryKind.Other);
    }
}
