using System.Diagnostics;
using GenStore.Testing;

namespace GenStore.Store.Tests;

public sealed class PosixTests : IDisposable
{
    private readonly TempDir _dir = new("gen-posix");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Lstat_reports_kind_mode_size_owner_inode_and_device_of_a_file_as_stat_does()
    {
        var path = _dir.Combine("file");
        File.WriteAllBytes(path, new byte[1234]);
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("4751", 8));
        var mtime = new DateTime(2021, 3, 4, 5, 6, 7, 891, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, mtime);

        var status = Posix.Lstat(path);

        Assert.Equal(FileKind.File, status.Kind);
        Assert.Equal((UnixFileMode)Convert.ToInt32("4751", 8), status.Mode);
        Assert.Equal(1234, status.Size);
        Assert.Equal(1u, status.LinkCount);
        Assert.Equal((mtime - DateTime.UnixEpoch).Ticks * 100, status.MtimeNs);
        var fields = RunStat("%i %d %u %g %Z", path).Split(' ');
        Assert.Equal(ulong.Parse(fields[0]), status.Inode);
        Assert.Equal(ulong.Parse(fields[1]), status.Device);
        Assert.Equal(uint.Parse(fields[2]), status.Uid);
        Assert.Equal(uint.Parse(fields[3]), status.Gid);
        Assert.Equal(long.Parse(fields[4]), status.CtimeNs / 1_000_000_000);
    }

    [Fact]
    public void Lstat_describes_a_symlink_itself_and_a_folder_as_a_folder()
    {
        var target = _dir.Combine("target");
        File.WriteAllText(target, "content");
        var link = _dir.Combine("link");
        File.CreateSymbolicLink(link, target);

        var linkStatus = Posix.Lstat(link);

        Assert.Equal(FileKind.Symlink, linkStatus.Kind);
        Assert.Equal(target.Length, linkStatus.Size);
        Assert.NotEqual(Posix.Lstat(target).Inode, linkStatus.Inode);
        Assert.Equal(FileKind.Directory, Posix.Lstat(_dir.Path).Kind);
        Assert.Equal(FileKind.Other, Posix.Lstat("/dev/null").Kind);
    }

    [Fact]
    public void TryLstat_is_false_for_an_absent_path_and_for_a_path_below_a_file()
    {
        var file = _dir.Combine("file");
        File.WriteAllText(file, "x");

        Assert.False(Posix.TryLstat(_dir.Combine("absent"), out _));
        Assert.False(Posix.TryLstat(Path.Combine(file, "below"), out _));
        Assert.Throws<FileNotFoundException>(() => Posix.Lstat(_dir.Combine("absent")));
    }

    [Fact]
    public void Fstat_of_an_open_file_matches_lstat_of_its_path()
    {
        var path = _dir.Combine("file");
        File.WriteAllText(path, "abc");

        using var handle = Posix.OpenReadNoFollow(path);

        Assert.Equal(Posix.Lstat(path), Posix.Fstat(handle));
    }

    [Fact]
    public void Lchown_changes_the_owner_of_a_symlink_and_not_of_its_target()
    {
        var target = _dir.Combine("target");
        File.WriteAllText(target, "content");
        var link = _dir.Combine("link");
        File.CreateSymbolicLink(link, target);
        var before = Posix.Lstat(target);

        if (!Environment.IsPrivilegedProcess)
        {
            // Only root may give a file away; an ordinary user gets a clear error naming the path.
            var error = Assert.Throws<IOException>(() => Posix.Lchown(link, 4321, 8765));
            Assert.Contains(link, error.Message, StringComparison.Ordinal);
            return;
        }

        Posix.Lchown(link, 4321, 8765);

        var linkStatus = Posix.Lstat(link);
        Assert.Equal((4321u, 8765u), (linkStatus.Uid, linkStatus.Gid));
        var after = Posix.Lstat(target);
        Assert.Equal((before.Uid, before.Gid), (after.Uid, after.Gid));
    }

    [Fact]
    public void Rename_replaces_a_symlink_at_the_target_instead_of_writing_through_it()
    {
        var victim = _dir.Combine("victim");
        File.WriteAllText(victim, "keep me");
        var link = _dir.Combine("link");
        File.CreateSymbolicLink(link, victim);
        var source = _dir.Combine("source");
        File.WriteAllText(source, "new");

        Posix.Rename(source, link);

        Assert.Equal(FileKind.File, Posix.Lstat(link).Kind);
        Assert.Equal("new", File.ReadAllText(link));
        Assert.Equal("keep me", File.ReadAllText(victim));
        Assert.False(File.Exists(source));
    }

    [Fact]
    public void Rename_replaces_an_empty_folder_with_a_folder_and_refuses_a_full_one()
    {
        var from = Directory.CreateDirectory(_dir.Combine("from")).FullName;
        File.WriteAllText(Path.Combine(from, "inside"), "x");
        var empty = Directory.CreateDirectory(_dir.Combine("empty")).FullName;
        var full = Directory.CreateDirectory(_dir.Combine("full")).FullName;
        File.WriteAllText(Path.Combine(full, "other"), "y");

        Posix.Rename(from, empty);

        Assert.True(File.Exists(Path.Combine(empty, "inside")));
        var error = Assert.Throws<IOException>(() => Posix.Rename(empty, full));
        Assert.Contains(full, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateExclusive_refuses_an_existing_file_and_a_dangling_symlink()
    {
        var file = _dir.Combine("file");
        File.WriteAllText(file, "x");
        var dangling = _dir.Combine("dangling");
        File.CreateSymbolicLink(dangling, _dir.Combine("nowhere"));

        Assert.Equal(17, Assert.Throws<IOException>(() => Posix.CreateExclusive(file)).HResult);
        Assert.Equal(17, Assert.Throws<IOException>(() => Posix.CreateExclusive(dangling)).HResult);
        Assert.False(File.Exists(_dir.Combine("nowhere")));
    }

    [Fact]
    public void OpenReadNoFollow_refuses_a_symlink_and_names_it()
    {
        var target = _dir.Combine("target");
        File.WriteAllText(target, "x");
        var link = _dir.Combine("link");
        File.CreateSymbolicLink(link, target);

        var error = Assert.Throws<IOException>(() => Posix.OpenReadNoFollow(link));

        Assert.Contains("symlink", error.Message, StringComparison.Ordinal);
        Assert.Contains(link, error.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => Posix.OpenReadNoFollow(_dir.Combine("absent")));
    }

    [Fact]
    public void Mkdir_sets_the_exact_mode_and_reports_an_existing_folder()
    {
        var path = _dir.Combine("sub");
        var mode = (UnixFileMode)Convert.ToInt32("0770", 8);

        Assert.True(Posix.Mkdir(path, mode));
        Assert.False(Posix.Mkdir(path, mode));
        Assert.Equal(mode, Posix.Lstat(path).Mode);
    }

    [Fact]
    public void Fsync_FsyncDirectory_and_SyncFs_succeed_on_real_files_and_name_a_missing_folder()
    {
        var path = _dir.Combine("file");
        File.WriteAllText(path, "x");
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            Posix.Fsync(handle, path);
        }

        Posix.FsyncDirectory(_dir.Path);
        Posix.SyncFs(_dir.Path);

        var missing = _dir.Combine("missing");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => Posix.FsyncDirectory(missing)).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => Posix.SyncFs(missing));
    }

    [Fact]
    public void An_unnamed_file_appears_only_when_linked_and_never_replaces_what_has_the_name()
    {
        var folder = _dir.Combine("unnamed");
        Directory.CreateDirectory(folder);
        var taken = Path.Combine(folder, "taken");
        File.WriteAllText(taken, "first");

        using (var handle = Posix.TryCreateUnnamed(folder))
        {
            Assert.NotNull(handle);
            RandomAccess.Write(handle, "second"u8, 0);

            // Written but nameless: the folder shows nothing new.
            Assert.Equal([taken], Directory.GetFileSystemEntries(folder));
            Assert.False(Posix.TryLink(handle, taken));
            Assert.Equal("first", File.ReadAllText(taken));

            Assert.True(Posix.TryLink(handle, Path.Combine(folder, "new")));
        }

        Assert.Equal("second", File.ReadAllText(Path.Combine(folder, "new")));
        Assert.Equal(2, Directory.GetFileSystemEntries(folder).Length);
    }

    [Fact]
    public void An_unnamed_file_that_is_never_linked_leaves_nothing_behind()
    {
        var folder = _dir.Combine("unlinked");
        Directory.CreateDirectory(folder);

        using (var handle = Posix.TryCreateUnnamed(folder))
        {
            Assert.NotNull(handle);
            RandomAccess.Write(handle, new byte[100_000], 0);
        }

        Assert.Empty(Directory.GetFileSystemEntries(folder));
        Assert.Throws<IOException>(() => Posix.TryCreateUnnamed(_dir.Combine("no-such-folder")));
    }

    [Fact]
    public void Unlink_removes_a_symlink_not_its_target_and_is_false_when_nothing_is_there()
    {
        var target = _dir.Combine("target");
        File.WriteAllText(target, "x");
        var link = _dir.Combine("link");
        File.CreateSymbolicLink(link, target);

        Assert.True(Posix.Unlink(link));
        Assert.False(Posix.Unlink(link));
        Assert.True(File.Exists(target));
    }

    private static string RunStat(string format, string path)
    {
        var info = new ProcessStartInfo("stat") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(format);
        info.ArgumentList.Add(path);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }
}
