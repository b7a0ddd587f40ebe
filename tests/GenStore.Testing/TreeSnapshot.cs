using System.Security.Cryptography;
using System.Text;
using GenStore.Store;

namespace GenStore.Testing;

/// <summary>One entry of a <see cref="TreeSnapshot"/>: what lstat and the content say about a path.</summary>
/// <param name="Kind">file, dir, link or special.</param>
/// <param name="Mode">Permission bits (for links: 0, since Linux ignores them).</param>
/// <param name="Uid">Owner.</param>
/// <param name="Gid">Group.</param>
/// <param name="Hash">SHA-256 of a file's content (hex); null for other kinds.</param>
/// <param name="LinkTarget">A symlink's target; null for other kinds.</param>
public sealed record TreeEntry(string Kind, int Mode, long Uid, long Gid, string? Hash, string? LinkTarget)
{
    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        "file" => $"file {Octal(Mode)} {Uid}:{Gid} sha256:{Hash![..16]}",
        "link" => $"link -> {LinkTarget} {Uid}:{Gid}",
        _ => $"{Kind} {Octal(Mode)} {Uid}:{Gid}",
    };

    private static string Octal(int mode) => Convert.ToString(mode, 8).PadLeft(4, '0');
}

/// <summary>Everything under a root folder (kind, mode, owner, content hash, link target per path), comparable with a readable diff.</summary>
/// <remarks>
/// The account files ROOT/etc/{passwd,group,shadow,gshadow} and their '-' backups are left out unless asked for:
/// the shadow tools rewrite them (and shadow records the day of a change), so byte equality is rarely the question.
/// With <c>accounts: true</c>, passwd and group are included, which is how a test checks users and groups.
/// </remarks>
public sealed class TreeSnapshot
{
    private static readonly string[] AccountFiles = ["passwd", "group", "shadow", "gshadow"];

    private TreeSnapshot(string root, SortedDictionary<string, TreeEntry> entries)
    {
        Root = root;
        Entries = entries;
    }

    /// <summary>The folder the snapshot was taken of.</summary>
    public string Root { get; }

    /// <summary>Every entry by its path relative to the root ("/etc/motd"), sorted.</summary>
    public IReadOnlyDictionary<string, TreeEntry> Entries { get; }

    /// <summary>Takes a snapshot of everything under <paramref name="root"/> (the root folder itself is not an entry).</summary>
    /// <param name="root">The folder.</param>
    /// <param name="accounts">Include ROOT/etc/passwd and ROOT/etc/group.</param>
    public static TreeSnapshot Take(string root, bool accounts = false)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var entries = new SortedDictionary<string, TreeEntry>(StringComparer.Ordinal);
        Walk(full, full, accounts, entries);
        return new TreeSnapshot(full, entries);
    }

    /// <summary>The differences from <paramref name="other"/>, one line per path, or null when the trees are equal.</summary>
    public string? DifferenceFrom(TreeSnapshot other, string thisName = "expected", string otherName = "actual")
    {
        var lines = new List<string>();
        foreach (var path in Entries.Keys.Union(other.Entries.Keys).Order(StringComparer.Ordinal))
        {
            var mine = Entries.GetValueOrDefault(path);
            var theirs = other.Entries.GetValueOrDefault(path);
            if (mine != theirs)
            {
                lines.Add($"  {path}: {thisName} {Describe(mine)}, {otherName} {Describe(theirs)}");
            }
        }

        return lines.Count == 0 ? null : $"{lines.Count} path(s) differ between {Root} and {other.Root}:\n{string.Join('\n', lines.Take(40))}" +
            (lines.Count > 40 ? $"\n  ... and {lines.Count - 40} more" : string.Empty);
    }

    /// <summary>True when both snapshots hold the same entries.</summary>
    public bool SameAs(TreeSnapshot other) => DifferenceFrom(other) is null;

    /// <summary>Throws <see cref="TreeMismatchException"/> with a per-path diff unless <paramref name="actual"/> equals <paramref name="expected"/>.</summary>
    public static void AssertEqual(TreeSnapshot expected, TreeSnapshot actual, string? context = null)
    {
        if (expected.DifferenceFrom(actual) is { } difference)
        {
            throw new TreeMismatchException((context is null ? string.Empty : context + ": ") + difference);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join('\n', Entries.Select(e => $"{e.Key}: {e.Value}"));

    private static string Describe(TreeEntry? entry) => entry is null ? "nothing" : entry.ToString();

    private static void Walk(string root, string folder, bool accounts, SortedDictionary<string, TreeEntry> entries)
    {
        foreach (var host in Directory.EnumerateFileSystemEntries(folder))
        {
            var relative = "/" + Path.GetRelativePath(root, host);
            if (IsAccountFile(relative, accounts))
            {
                continue;
            }

            var s = Posix.Lstat(host);
            var mode = (int)s.Mode & 0xFFF;
            switch (s.Kind)
            {
                case FileKind.File:
                    entries[relative] = new TreeEntry("file", mode, s.Uid, s.Gid, HashOf(host), null);
                    break;
                case FileKind.Symlink:
                    entries[relative] = new TreeEntry("link", 0, s.Uid, s.Gid, null, new FileInfo(host).LinkTarget);
                    break;
                case FileKind.Directory:
                    entries[relative] = new TreeEntry("dir", mode, s.Uid, s.Gid, null, null);
                    Walk(root, host, accounts, entries);
                    break;
                default:
                    entries[relative] = new TreeEntry("special", mode, s.Uid, s.Gid, null, null);
                    break;
            }
        }
    }

    private static bool IsAccountFile(string relative, bool accounts)
    {
        if (!relative.StartsWith("/etc/", StringComparison.Ordinal) || relative.IndexOf('/', 5) >= 0)
        {
            return false;
        }

        var name = relative[5..];
        if (accounts && name is "passwd" or "group")
        {
            return false;
        }

        return AccountFiles.Any(a => name.StartsWith(a, StringComparison.Ordinal)) || name is ".pwd.lock" or "subuid" or "subgid" or "subuid-" or "subgid-";
    }

    private static string HashOf(string host)
    {
        using var stream = new FileStream(host, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>Two trees that should be equal are not; the message lists the paths that differ.</summary>
public sealed class TreeMismatchException(string message) : Exception(message);
