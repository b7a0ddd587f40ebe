using GenStore.Store;

namespace GenStore.Apply;

/// <summary>The filesystem under a Root, seen through journal paths: maps them to host paths and refuses to be led outside by symlinks.</summary>
public sealed class RootFs
{
    private const int MaxSymlinkHops = 40;

    /// <summary>ENOTDIR: the <see cref="IOException.HResult"/> of <see cref="HostPath"/> when a parent is not a directory.</summary>
    public const int NotADirectory = 20;

    // Parents already checked in this run: a 20,000-file deploy shares a few hundred folders.
    private readonly HashSet<string> _safeFolders = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, string> _devices = [];
    private readonly HashSet<string> _touchedFolders = new(StringComparer.Ordinal);

    // The entries changed so far, kept only while few: a small change is made durable with an fsync per entry and
    // folder, because a syncfs flushes every dirty page of the file system, whoever wrote it.
    private const int FsyncEachLimit = 64;
    private readonly List<string> _touchedEntries = [];

    /// <summary>The filesystem under <paramref name="root"/> (<c>/</c> in production).</summary>
    public RootFs(string root)
    {
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        if (Root.Length == 0)
        {
            Root = "/";
        }
    }

    /// <summary>The absolute host path of the root.</summary>
    public string Root { get; }

    /// <summary>The host path of journal path <paramref name="path"/>, after checking that no parent is a symlink leading elsewhere.</summary>
    /// <remarks>
    /// A parent symlink is followed only when root owns it and it resolves inside the root: Debian's merged /usr
    /// (/lib → usr/lib) keeps working, and a link a user planted in a world-writable folder does not.
    /// </remarks>
    public string HostPath(string path)
    {
        var parent = ParentOf(path);
        var hostParent = parent is null ? Root : ResolveFolder(parent);
        return Path.Join(hostParent, NameOf(path));
    }

    /// <summary>Remembers the filesystem of <paramref name="hostPath"/>'s folder so that <see cref="SyncAll"/> flushes it.</summary>
    public void Touched(string hostPath)
    {
        var folder = Path.GetDirectoryName(hostPath) ?? Root;
        if (_touchedEntries.Count <= FsyncEachLimit)
        {
            _touchedEntries.Add(hostPath);
        }

        // A deploy writes thousands of files into a few hundred folders: look at each folder's device once.
        if (_touchedFolders.Add(folder) && Posix.TryLstat(folder, out var status))
        {
            _devices.TryAdd(status.Device, folder);
        }
    }

    /// <summary>Makes every write under the root durable, with one <c>syncfs</c> per filesystem touched.</summary>
    /// <param name="fsyncEach">True lets a change of at most a few dozen files and folders (and no symlinks) be made
    /// durable with an fsync of each changed entry and of each folder they are in instead; the caller passes it only
    /// when every change went through <see cref="Touched"/> (no accounts, no other writes).</param>
    public void SyncAll(bool fsyncEach = false)
    {
        if (fsyncEach && _touchedEntries.Count <= FsyncEachLimit && TrySyncEach())
        {
            return;
        }

        if (_devices.Count == 0)
        {
            Posix.SyncFs(Root);
        }

        foreach (var folder in _devices.Values)
        {
            if (Directory.Exists(folder))
            {
                Posix.SyncFs(folder);
            }
            else
            {
                Posix.SyncFs(Root);
            }
        }
    }

    /// <summary>fsyncs each touched entry (its content and attributes) and each folder holding one (its names); false,
    /// having changed nothing that matters, when an entry is a symlink or cannot be opened, so the caller syncfs'es.</summary>
    private bool TrySyncEach()
    {
        foreach (var entry in _touchedEntries)
        {
            // A symlink cannot be opened to fsync it; whether its folder's fsync covers it depends on the file system.
            if (Posix.TryLstat(entry, out var status) && !(status.IsFile || status.IsDirectory))
            {
                return false;
            }
        }

        try
        {
            foreach (var entry in _touchedEntries)
            {
                if (!Posix.TryLstat(entry, out var status))
                {
                    // Removed: its folder's fsync below makes the removal durable.
                    continue;
                }

                using var handle = status.IsDirectory ? Posix.OpenDirectory(entry) : Posix.OpenReadNoFollow(entry);
                Posix.Fsync(handle, entry);
            }

            foreach (var folder in _touchedEntries.Select(e => Path.GetDirectoryName(e) ?? Root).Distinct(StringComparer.Ordinal))
            {
                if (Directory.Exists(folder))
                {
                    Posix.FsyncDirectory(folder);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file gen may not read back (a write-only mode without root), or one replaced meanwhile: syncfs instead.
            return false;
        }

        return true;
    }

    private string ResolveFolder(string path)
    {
        if (_safeFolders.Contains(path))
        {
            return Path.Join(Root, path);
        }

        var resolved = Resolve(path, 0);
        if (resolved == Path.Join(Root, path))
        {
            _safeFolders.Add(path);
        }

        return resolved;
    }

    private string Resolve(string path, int hops)
    {
        // Walk from the root down; the first missing component ends the walk (the rest will be created).
        var host = Root;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Join(host, parts[i]);
            if (!Posix.TryLstat(next, out var status))
            {
                return Path.Join([next, .. parts[(i + 1)..]]);
            }

            if (status.IsSymlink)
            {
                if (hops >= MaxSymlinkHops)
                {
                    throw new IOException($"{next}: too many levels of symbolic links");
                }

                if (status.Uid != 0)
                {
                    throw new IOException($"{next} is a symlink owned by uid {status.Uid}; gen only follows symlinks owned by root");
                }

                var linkTarget = new FileInfo(next).LinkTarget ?? throw new IOException($"{next}: cannot read the symlink");
                var journalTarget = linkTarget.StartsWith('/')
                    ? linkTarget
                    : "/" + Path.GetRelativePath(Root, Path.GetFullPath(Path.Join(host, linkTarget)));
                if (journalTarget.StartsWith("/..", StringComparison.Ordinal))
                {
                    throw new IOException($"{next} points outside the root ({linkTarget})");
                }

                var rest = string.Join('/', parts[(i + 1)..]);
                return Resolve(Normalise(journalTarget + "/" + rest), hops + 1);
            }

            if (!status.IsDirectory)
            {
                throw new IOException($"{next} is not a directory", NotADirectory);
            }

            host = next;
        }

        return host;
    }

    private static string Normalise(string path)
    {
        var stack = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (stack.Count > 0)
                {
                    stack.RemoveAt(stack.Count - 1);
                }
            }
            else if (part != ".")
            {
                stack.Add(part);
            }
        }

        return "/" + string.Join('/', stack);
    }

    private static string? ParentOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? null : path[..slash];
    }

    private static string NameOf(string path) => path[(path.LastIndexOf('/') + 1)..];
}
