using System.Text;
using GenStore.Testing;

namespace GenStore.Store.Tests;

public sealed class StoreTests : IDisposable
{
    private readonly TempDir _dir = new("gen-store");
    private readonly Store _store;

    public StoreTests()
    {
        _store = Store.Open(_dir.Combine("state", "store"));
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Opening_creates_objects_and_tmp_folders_that_only_the_owner_can_enter()
    {
        foreach (var folder in new[] { _store.Folder, _store.ObjectsFolder, _store.TempFolder })
        {
            var status = Posix.Lstat(folder);
            Assert.Equal(FileKind.Directory, status.Kind);
            Assert.Equal(Store.FolderMode, status.Mode);
        }
    }

    [Fact]
    public void An_added_object_is_a_read_only_file_named_by_its_digest_in_a_0700_fan_out_folder()
    {
        var id = _store.AddBytes("hello\n"u8);

        Assert.Equal("b3:" + Blake3Hex("hello\n"u8), id.ToString());
        var hex = id.ToHex();
        Assert.Equal(Path.Combine(_store.ObjectsFolder, hex[..2], hex[2..]), _store.PathOf(id));
        Assert.Equal(Store.ObjectMode, Posix.Lstat(_store.PathOf(id)).Mode);
        Assert.Equal(Store.FolderMode, Posix.Lstat(Path.GetDirectoryName(_store.PathOf(id))!).Mode);
        Assert.Equal("hello\n", File.ReadAllText(_store.PathOf(id)));
    }

    [Fact]
    public void Adding_the_same_content_twice_keeps_one_object_and_leaves_no_temp_files()
    {
        var source = _dir.Combine("source");
        File.WriteAllText(source, "same");

        var a = _store.AddBytes("same"u8);
        var b = _store.AddFile(source);
        var c = _store.Add(new MemoryStream("same"u8.ToArray()));
        var d = _store.Add(new NonSeekableStream("same"u8.ToArray()));

        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.Equal(a, d);
        Assert.Single(_store.Enumerate());
        Assert.Empty(Directory.GetFileSystemEntries(_store.TempFolder));
    }

    [Fact]
    public void AddBytes_leaves_only_the_object_in_its_fan_out_folder_and_nothing_in_tmp()
    {
        var ids = Enumerable.Range(0, 50).Select(i => _store.AddBytes(Encoding.ASCII.GetBytes($"batch {i}"), durable: i % 2 == 0)).ToList();
        _store.Sync();

        Assert.Equal(ids.Order(), _store.Enumerate());
        var files = Directory.GetDirectories(_store.ObjectsFolder).SelectMany(Directory.GetFileSystemEntries).ToList();
        Assert.Equal(50, files.Count);
        Assert.All(files, f => Assert.Equal(Store.ObjectMode, Posix.Lstat(f).Mode));
        Assert.Empty(Directory.GetFileSystemEntries(_store.TempFolder));
        Assert.True(_store.Verify().IsClean);
    }

    [Fact]
    public void A_name_taken_by_a_short_object_is_replaced_by_a_whole_one_even_from_many_threads()
    {
        // A crash before a batch sync can leave a named object short; a link cannot replace it, so the add renames over it.
        var content = Encoding.ASCII.GetBytes(new string('y', 70_000));
        var id = GenStore.Store.Blake3.Hash(content);
        var path = _store.PathOf(id);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content.AsSpan(0, 1000).ToArray());

        Parallel.For(0, 8, _ => Assert.Equal(id, _store.AddBytes(content, durable: false)));
        _store.Sync();

        Assert.Equal(content, _store.ReadAllBytes(id));
        Assert.Equal(Store.ObjectMode, Posix.Lstat(path).Mode);
        Assert.Empty(Directory.GetFileSystemEntries(_store.TempFolder));
        Assert.Single(Directory.GetFileSystemEntries(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void Re_adding_existing_content_does_not_rewrite_the_object()
    {
        var id = _store.AddBytes("payload"u8);
        var inode = Posix.Lstat(_store.PathOf(id)).Inode;

        _store.AddBytes("payload"u8);
        _store.Add(new MemoryStream("payload"u8.ToArray()));

        Assert.Equal(inode, Posix.Lstat(_store.PathOf(id)).Inode);
    }

    [Fact]
    public void Streamed_content_larger_than_the_buffer_round_trips_and_has_the_one_shot_digest()
    {
        var content = new byte[(1024 * 1024) + 1];
        new Random(42).NextBytes(content);

        var fromStream = _store.Add(new NonSeekableStream(content));

        Assert.Equal(Blake3Hex(content), fromStream.ToHex());
        Assert.Equal(content, _store.ReadAllBytes(fromStream));
        var copy = new MemoryStream();
        _store.CopyTo(fromStream, copy);
        Assert.Equal(content, copy.ToArray());
        Assert.Equal(content.Length, _store.SizeOf(fromStream));
    }

    [Fact]
    public void Reading_up_to_a_limit_returns_an_object_no_longer_than_it_verified_and_leaves_a_longer_one_unread()
    {
        var small = _store.AddBytes("twelve bytes"u8);
        var large = _store.AddBytes("thirteen bytes"u8);

        Assert.Equal("twelve bytes"u8.ToArray(), _store.ReadAllBytesUpTo(small, 12));
        Assert.Null(_store.ReadAllBytesUpTo(large, 12));

        Corrupt(small, flipAt: 3);
        Assert.Equal(small, Assert.Throws<CorruptObjectException>(() => _store.ReadAllBytesUpTo(small, 12)).Id);
    }

    [Fact]
    public void The_empty_content_is_an_object_like_any_other()
    {
        var id = _store.AddBytes(ReadOnlySpan<byte>.Empty);

        Assert.Equal(Blake3Hex([]), id.ToHex());
        Assert.True(_store.Contains(id));
        Assert.Empty(_store.ReadAllBytes(id));
        Assert.True(_store.Check(id));
    }

    [Fact]
    public void Contains_Enumerate_and_Delete_see_exactly_the_objects_present()
    {
        var ids = Enumerable.Range(0, 40).Select(i => _store.AddBytes(Encoding.ASCII.GetBytes($"object {i}"))).ToList();

        Assert.All(ids, id => Assert.True(_store.Contains(id)));
        Assert.Equal(ids.Order(), _store.Enumerate());

        Assert.True(_store.Delete(ids[3]));
        Assert.False(_store.Delete(ids[3]));
        Assert.False(_store.Contains(ids[3]));
        Assert.Equal(ids.Where((_, i) => i != 3).Order(), _store.Enumerate());
        Assert.Equal(new StoreStatistics(39, ids.Where((_, i) => i != 3).Sum(id => _store.SizeOf(id))), _store.Statistics());
    }

    [Fact]
    public void An_object_that_was_never_added_is_missing_for_every_reader()
    {
        var id = Store.Open(_dir.Combine("other")).AddBytes("elsewhere"u8);

        Assert.False(_store.Contains(id));
        Assert.Equal(id, Assert.Throws<MissingObjectException>(() => _store.OpenRead(id)).Id);
        Assert.Throws<MissingObjectException>(() => _store.ReadAllBytes(id));
        Assert.Throws<MissingObjectException>(() => _store.CopyTo(id, Stream.Null));
        Assert.Throws<MissingObjectException>(() => _store.Check(id));
        Assert.Throws<MissingObjectException>(() => _store.SizeOf(id));
    }

    [Fact]
    public void A_flipped_byte_is_caught_by_every_reader_and_by_Verify()
    {
        var good = _store.AddBytes("fine"u8);
        var bad = _store.AddBytes("this object will be damaged on disk"u8);
        Corrupt(bad, flipAt: 5);

        Assert.Equal(bad, Assert.Throws<CorruptObjectException>(() => _store.ReadAllBytes(bad)).Id);
        Assert.Throws<CorruptObjectException>(() => _store.CopyTo(bad, new MemoryStream()));
        Assert.Throws<CorruptObjectException>(() => _store.CopyTo(bad, new MemoryStream(), verifyFirst: true));
        using (var stream = _store.OpenRead(bad))
        {
            Assert.Throws<CorruptObjectException>(() => stream.CopyTo(Stream.Null));
        }

        Assert.False(_store.Check(bad));
        var result = _store.Verify();
        Assert.Equal([bad], result.Corrupt);
        Assert.Equal(2, result.Checked);
        Assert.False(result.IsClean);
        Assert.Equal("fine", Encoding.ASCII.GetString(_store.ReadAllBytes(good)));
    }

    [Fact]
    public void Copying_with_verifyFirst_writes_nothing_from_a_corrupt_object()
    {
        var bad = _store.AddBytes(new byte[100_000]);
        Corrupt(bad, flipAt: 99_999);
        var destination = new MemoryStream();

        Assert.Throws<CorruptObjectException>(() => _store.CopyTo(bad, destination, verifyFirst: true));

        Assert.Equal(0, destination.Length);
    }

    [Fact]
    public void A_truncated_object_is_corrupt_and_adding_its_content_again_repairs_it()
    {
        var content = Encoding.ASCII.GetBytes(new string('x', 5000));
        var id = _store.AddBytes(content);
        var path = _store.PathOf(id);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var file = File.OpenWrite(path))
        {
            file.SetLength(0);
        }

        Assert.Throws<CorruptObjectException>(() => _store.ReadAllBytes(id));

        Assert.Equal(id, _store.AddBytes(content));
        Assert.Equal(content, _store.ReadAllBytes(id));
        Assert.Equal(Store.ObjectMode, Posix.Lstat(path).Mode);
    }

    [Fact]
    public void A_verifying_stream_throws_only_on_reaching_the_end()
    {
        var content = new byte[600_000];
        var id = _store.AddBytes(content);
        Corrupt(id, flipAt: 599_000);
        using var stream = _store.OpenRead(id);
        var buffer = new byte[100_000];

        // The damage lies in the last block, so the first reads succeed: nothing is known good before the end.
        Assert.Equal(100_000, stream.Read(buffer));
        Assert.Equal(content.Length, stream.Length);
        Assert.Throws<CorruptObjectException>(() =>
        {
            while (stream.Read(buffer) > 0)
            {
            }
        });
    }

    [Fact]
    public void Verify_lists_strays_and_a_symlink_posing_as_an_object_without_changing_anything()
    {
        var id = _store.AddBytes("real"u8);
        var fake = Store.Open(_dir.Combine("other")).AddBytes("fake"u8);
        var fakePath = _store.PathOf(fake);
        Directory.CreateDirectory(Path.GetDirectoryName(fakePath)!);
        File.CreateSymbolicLink(fakePath, _store.PathOf(id));
        var stray = Path.Combine(Path.GetDirectoryName(_store.PathOf(id))!, "notes.txt");
        File.WriteAllText(stray, "left here");

        var result = _store.Verify();

        Assert.Equal([fake], result.Corrupt);
        Assert.Equal([stray], result.Strays);
        Assert.True(File.Exists(stray));
        Assert.Throws<CorruptObjectException>(() => _store.ReadAllBytes(fake));
    }

    [Fact]
    public void A_clean_store_verifies_clean()
    {
        for (var i = 0; i < 10; i++)
        {
            _store.AddBytes(Encoding.ASCII.GetBytes($"v{i}"));
        }

        var result = _store.Verify(threads: 2);

        Assert.True(result.IsClean);
        Assert.Equal(10, result.Checked);
        Assert.Empty(result.Strays);
    }

    [Fact]
    public void Sixteen_threads_adding_the_same_content_leave_one_object_and_no_temp_files()
    {
        var content = new byte[200_000];
        new Random(3).NextBytes(content);
        using var start = new Barrier(16);

        var ids = new ObjectId[16];
        var threads = Enumerable.Range(0, 16).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            // Half stream through a non-seekable source so both add paths race each other.
            ids[i] = i % 2 == 0 ? _store.Add(new NonSeekableStream(content)) : _store.AddBytes(content, durable: i % 4 == 1);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.All(ids, id => Assert.Equal(ids[0], id));
        Assert.Equal([ids[0]], _store.Enumerate());
        Assert.Empty(Directory.GetFileSystemEntries(_store.TempFolder));
        Assert.Equal(content, _store.ReadAllBytes(ids[0]));
    }

    [Fact]
    public void Sixteen_threads_adding_different_content_into_the_same_fan_out_all_succeed()
    {
        var ids = new ObjectId[64];
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i =>
            ids[i] = _store.AddBytes(Encoding.ASCII.GetBytes($"distinct {i}"), durable: false));
        _store.Sync();

        Assert.Equal(ids.Order(), _store.Enumerate());
        Assert.Empty(Directory.GetFileSystemEntries(_store.TempFolder));
    }

    [Fact]
    public void A_batch_of_files_is_added_in_order_and_synced_once()
    {
        var paths = Enumerable.Range(0, 5).Select(i =>
        {
            var path = _dir.Combine($"in{i}");
            File.WriteAllText(path, $"batch {i}");
            return path;
        }).ToList();

        var ids = _store.AddFiles(paths);

        Assert.Equal(paths.Select(p => Blake3Hex(File.ReadAllBytes(p))), ids.Select(id => id.ToHex()));
        Assert.All(ids, id => Assert.True(_store.Check(id)));
    }

    [Fact]
    public void AddFile_refuses_a_symlink_and_a_folder()
    {
        var target = _dir.Combine("target");
        File.WriteAllText(target, "secret");
        var link = _dir.Combine("link");
        File.CreateSymbolicLink(link, target);

        Assert.Contains("symlink", Assert.Throws<IOException>(() => _store.AddFile(link)).Message, StringComparison.Ordinal);
        Assert.Contains("not a regular file", Assert.ThrowsAny<IOException>(() => _store.AddFile(_dir.Path)).Message, StringComparison.Ordinal);
        Assert.Empty(_store.Enumerate());
    }

    [Fact]
    public void CleanTemp_removes_only_old_leftovers_and_Verify_counts_them()
    {
        var old = Path.Combine(_store.TempFolder, ".gen-tmp-99999-1-1-deadbeef");
        File.WriteAllText(old, "abandoned");
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddHours(-2));
        var fresh = Path.Combine(_store.TempFolder, ".gen-tmp-99999-1-2-deadbeef");
        File.WriteAllText(fresh, "in progress");

        Assert.Equal(1, _store.Verify().StaleTemps);
        Assert.Equal(1, _store.CleanTemp());

        Assert.False(File.Exists(old));
        Assert.True(File.Exists(fresh));
    }

    [Fact]
    public void Opening_an_existing_store_restores_folder_modes_and_keeps_its_objects()
    {
        var id = _store.AddBytes("kept"u8);
        File.SetUnixFileMode(_store.Folder, (UnixFileMode)Convert.ToInt32("0755", 8));

        var reopened = Store.Open(_store.Folder);

        Assert.Equal(Store.FolderMode, Posix.Lstat(reopened.Folder).Mode);
        Assert.True(reopened.Contains(id));
    }

    [Fact]
    public void Opening_without_create_where_there_is_no_store_says_so()
    {
        var error = Assert.Throws<InputException>(() => Store.Open(_dir.Combine("nothing"), create: false));

        Assert.Contains("no store", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir.Combine("nothing")));
    }

    [Fact]
    public void A_store_folder_that_is_a_symlink_is_refused()
    {
        var real = Directory.CreateDirectory(_dir.Combine("real")).FullName;
        var link = _dir.Combine("linked-store");
        File.CreateSymbolicLink(link, real);

        var error = Assert.Throws<IOException>(() => Store.Open(link));

        Assert.Contains("symlink", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(real));
    }

    private void Corrupt(ObjectId id, int flipAt)
    {
        var path = _store.PathOf(id);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var bytes = File.ReadAllBytes(path);
        bytes[flipAt] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }

    private static string Blake3Hex(ReadOnlySpan<byte> content)
    {
        var hasher = new Blake3Hasher();
        hasher.Update(content);
        return hasher.FinalizeId().ToHex();
    }

    /// <summary>A read-only stream that cannot seek, like a pipe, so the store must hash while writing.</summary>
    private sealed class NonSeekableStream(byte[] content) : Stream
    {
        private readonly MemoryStream _inner = new(content, writable: false);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7919));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
