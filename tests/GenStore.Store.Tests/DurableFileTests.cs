using System.Text;
using GenStore.Testing;

namespace GenStore.Store.Tests;

public sealed class DurableFileTests : IDisposable
{
    private static readonly UnixFileMode Mode0640 = (UnixFileMode)Convert.ToInt32("0640", 8);
    private static readonly UnixFileMode Mode4755 = (UnixFileMode)Convert.ToInt32("4755", 8);

    private readonly TempDir _dir = new("gen-durable");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Write_creates_the_file_with_exactly_the_mode_asked_for()
    {
        var path = _dir.Combine("new");

        DurableFile.Write(path, "hello"u8, Mode0640);

        Assert.Equal("hello", File.ReadAllText(path));
        Assert.Equal(Mode0640, Posix.Lstat(path).Mode);
        AssertNoTempFiles();
    }

    [Fact]
    public void Write_replaces_an_existing_file_with_a_new_inode()
    {
        var path = _dir.Combine("file");
        File.WriteAllText(path, "old content that is longer");
        var before = Posix.Lstat(path).Inode;

        DurableFile.Write(path, "new"u8, Mode0640);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.NotEqual(before, Posix.Lstat(path).Inode);
    }

    [Fact]
    public void Write_replaces_a_symlink_at_the_target_and_leaves_what_it_pointed_to_alone()
    {
        var victim = _dir.Combine("victim");
        File.WriteAllText(victim, "keep");
        var path = _dir.Combine("link");
        File.CreateSymbolicLink(path, victim);

        DurableFile.Write(path, "written"u8, Mode0640);

        Assert.Equal(FileKind.File, Posix.Lstat(path).Kind);
        Assert.Equal("written", File.ReadAllText(path));
        Assert.Equal("keep", File.ReadAllText(victim));
    }

    [Fact]
    public void A_callback_that_disposes_its_stream_still_produces_a_complete_file()
    {
        var path = _dir.Combine("text");

        DurableFile.Write(path, Mode0640, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false));
            for (var i = 0; i < 10_000; i++)
            {
                writer.WriteLine($"line {i}");
            }
        });

        var lines = File.ReadAllLines(path);
        Assert.Equal(10_000, lines.Length);
        Assert.Equal("line 9999", lines[^1]);
        AssertNoTempFiles();
    }

    [Fact]
    public void A_failing_callback_leaves_the_old_file_and_no_temp_file()
    {
        var path = _dir.Combine("file");
        File.WriteAllText(path, "old");

        var error = Assert.Throws<InvalidOperationException>(() => DurableFile.Write(path, Mode0640, stream =>
        {
            stream.Write("partial"u8);
            throw new InvalidOperationException("generator failed");
        }));

        Assert.Equal("generator failed", error.Message);
        Assert.Equal("old", File.ReadAllText(path));
        AssertNoTempFiles();
    }

    [Fact]
    public void WriteFrom_copies_a_whole_stream_larger_than_its_buffers()
    {
        var content = new byte[(3 * 1024 * 1024) + 7];
        new Random(7).NextBytes(content);
        var path = _dir.Combine("big");

        DurableFile.WriteFrom(path, new MemoryStream(content), Mode0640);

        Assert.Equal(content, File.ReadAllBytes(path));
    }

    [Fact]
    public void Setuid_survives_because_the_mode_is_set_after_the_owner()
    {
        var path = _dir.Combine("tool");
        var owner = Environment.IsPrivilegedProcess ? (1234u, 5678u) : (Posix.Lstat(_dir.Path).Uid, Posix.Lstat(_dir.Path).Gid);

        DurableFile.Write(path, "#!/bin/sh\n"u8, Mode4755, owner: owner);

        var status = Posix.Lstat(path);
        Assert.Equal(Mode4755, status.Mode);
        Assert.Equal(owner, (status.Uid, status.Gid));
    }

    [Fact]
    public void A_batch_written_without_sync_is_complete_and_one_SyncFs_makes_it_durable()
    {
        for (var i = 0; i < 20; i++)
        {
            DurableFile.Write(_dir.Combine($"f{i}"), Encoding.ASCII.GetBytes($"file {i}"), Mode0640, sync: false);
        }

        Posix.SyncFs(_dir.Path);

        Assert.Equal("file 13", File.ReadAllText(_dir.Combine("f13")));
        Assert.Equal(20, Directory.GetFiles(_dir.Path).Length);
    }

    [Fact]
    public void Writing_into_a_missing_folder_fails_naming_the_path()
    {
        var path = _dir.Combine("missing", "file");

        var error = Assert.ThrowsAny<IOException>(() => DurableFile.Write(path, "x"u8, Mode0640));

        Assert.Contains(_dir.Combine("missing"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Temp_names_are_unique_and_recognisable()
    {
        var (first, h1) = DurableFile.CreateTemp(_dir.Path);
        var (second, h2) = DurableFile.CreateTemp(_dir.Path);
        h1.Dispose();
        h2.Dispose();

        Assert.NotEqual(first, second);
        Assert.True(DurableFile.IsTempName(Path.GetFileName(first)));
        Assert.Contains($"-{Environment.ProcessId}-", Path.GetFileName(first), StringComparison.Ordinal);
        Assert.False(DurableFile.IsTempName("nginx.conf"));
    }

    private void AssertNoTempFiles() =>
        Assert.DoesNotContain(Directory.GetFiles(_dir.Path), f => DurableFile.IsTempName(Path.GetFileName(f)));
}
