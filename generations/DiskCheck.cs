using GenStore.Apply;
using GenStore.Journal;
using GenStore.Store;

namespace GenStore.Generations;

/// <summary>Compares managed paths on disk with the steps that made them: the drift check of preflight and <c>gen verify</c>.</summary>
/// <remarks>A file whose size, mtime, inode, mode and owner match the path cache is trusted without reading it, unless the check is full.</remarks>
internal sealed class DiskCheck(RootFs fs, Accounts accounts, IReadOnlyDictionary<string, PathCacheEntry> cache, bool full)
{
    /// <summary>Every step of <paramref name="steps"/> whose path no longer matches, in order.</summary>
    public List<Drift> CheckAll(IEnumerable<Step> steps)
    {
        var drifts = new List<Drift>();
        foreach (var step in steps)
        {
            if (Check(step) is { } drift)
            {
                drifts.Add(drift);
            }
        }

        return drifts;
    }

    /// <summary>How the disk differs from <paramref name="step"/>, or null when it matches (accounts and triggers always match).</summary>
    public Drift? Check(Step step)
    {
        switch (step)
        {
            case MkdirStep dir:
            {
                var host = fs.HostPath(dir.Path);
                if (!Posix.TryLstat(host, out var s))
                {
                    return new Drift(dir.Path, "a directory", "nothing");
                }

                return !s.IsDirectory ? new Drift(dir.Path, "a directory", KindOf(s))
                    : Attributes(dir.Path, s, dir.Mode, dir.Owner, dir.Group);
            }

            case CopyStep copy:
            {
                var host = fs.HostPath(copy.Path);
                if (!Posix.TryLstat(host, out var s))
                {
                    return new Drift(copy.Path, "a file", "nothing");
                }

                if (!s.IsFile)
                {
                    return new Drift(copy.Path, "a file", KindOf(s));
                }

                if (Attributes(copy.Path, s, copy.Mode, copy.Owner, copy.Group) is { } attributes)
                {
                    return attributes;
                }

                if (!full && cache.TryGetValue(copy.Path, out var c) && c.Object == copy.Payload
                    && c.Size == s.Size && c.MtimeNs == s.MtimeNs && c.Inode == (long)s.Inode)
                {
                    return null;
                }

                var found = FileHasher.HashFileNoFollow(host);
                return found == copy.Payload ? null : new Drift(copy.Path, $"content {copy.Payload}", $"content {found}");
            }

            case LinkStep link:
            {
                var host = fs.HostPath(link.Path);
                if (!Posix.TryLstat(host, out var s))
                {
                    return new Drift(link.Path, $"a link to {link.Target}", "nothing");
                }

                if (!s.IsSymlink)
                {
                    return new Drift(link.Path, $"a link to {link.Target}", KindOf(s));
                }

                var target = new FileInfo(host).LinkTarget;
                return target == link.Target ? null : new Drift(link.Path, $"a link to {link.Target}", $"a link to {target}");
            }

            default:
                return null;
        }
    }

    private Drift? Attributes(string path, FileStatus s, int mode, string owner, string group)
    {
        var foundMode = (int)s.Mode & 0xFFF;
        if (foundMode != mode)
        {
            return new Drift(path, $"mode {JournalSyntax.FormatMode(mode)}", $"mode {JournalSyntax.FormatMode(foundMode)}");
        }

        var uid = accounts.Uid(owner);
        var gid = accounts.Gid(group);
        if (uid is { } u && u != s.Uid)
        {
            return new Drift(path, $"owner {owner} ({u})", $"uid {s.Uid}");
        }

        if (gid is { } g && g != s.Gid)
        {
            return new Drift(path, $"group {group} ({g})", $"gid {s.Gid}");
        }

        return null;
    }

    private static string KindOf(FileStatus s) => s.Kind switch
    {
        FileKind.File => "a file",
        FileKind.Directory => "a directory",
        FileKind.Symlink => "a symlink",
        _ => "a special file",
    };
}
