using System.Buffers.Binary;
using System.Text;
using GenStore.Store;

namespace GenStore.Config;

/// <summary>The compiler's incremental cache: which store object a source file's content key (its git blob id) hashes to.</summary>
/// <remarks>
/// <para>One append-only file, <c>STORE/cache/git-blob-b3</c>, of 80-byte records: the content key (32 bytes: a git blob id's own bytes, padded),
/// the object id (32), the object's length (8, little-endian) and a check (the first 8 bytes of BLAKE3 over the
/// preceding 72). Loading reads the whole file at once, which for tens of thousands of files costs a few milliseconds,
/// where one small file per blob would cost one open per file on every compile.</para>
/// <para>Crash safety: records are appended only after the objects they name have been made durable (one store sync),
/// and the append is fsynced. A torn or corrupt record fails its check and is ignored, and a file whose length is not
/// a multiple of the record size is rewritten without its torn tail. A record is trusted only while the store still
/// holds an object of the recorded length (gc may delete objects); otherwise the file is hashed again.</para>
/// </remarks>
internal sealed class BlobCache
{
    private const int RecordSize = 80;
    private const string FileName = "git-blob-b3";

    private readonly string _path;
    private readonly Dictionary<ObjectId, (ObjectId Id, long Length)> _entries = [];

    private BlobCache(string path)
    {
        _path = path;
    }

    /// <summary>The cache file's path.</summary>
    public string Path => _path;

    /// <summary>How many keys the cache knows.</summary>
    public int Count => _entries.Count;

    /// <summary>Loads the cache of <paramref name="store"/> (empty when there is none yet).</summary>
    public static BlobCache Open(Store.Store store)
    {
        var cache = new BlobCache(System.IO.Path.Combine(store.Folder, "cache", FileName));
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(cache._path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return cache;
        }

        var records = bytes.Length / RecordSize;
        var damaged = bytes.Length % RecordSize != 0;
        Span<byte> check = stackalloc byte[8];
        var hasher = new Blake3Hasher();
        for (var i = 0; i < records; i++)
        {
            var record = bytes.AsSpan(i * RecordSize, RecordSize);
            Check(hasher, record[..72], check);
            if (!check.SequenceEqual(record[72..]))
            {
                damaged = true;
                continue;
            }

            cache._entries[new ObjectId(record[..32])] = (new ObjectId(record[32..64]), BinaryPrimitives.ReadInt64LittleEndian(record[64..72]));
        }

        if (damaged)
        {
            cache.Rewrite();
        }

        return cache;
    }

    /// <summary>The object id and length recorded for <paramref name="contentKey"/>, if any.</summary>
    public bool TryGet(string contentKey, out ObjectId id, out long length)
    {
        if (_entries.TryGetValue(KeyOf(contentKey), out var entry))
        {
            (id, length) = entry;
            return true;
        }

        id = default;
        length = 0;
        return false;
    }

    /// <summary>Appends records durably. Call only once the objects they name are durable in the store.</summary>
    public void Append(IReadOnlyList<(string ContentKey, ObjectId Id, long Length)> items)
    {
        if (items.Count == 0)
        {
            return;
        }

        var buffer = new byte[items.Count * RecordSize];
        for (var i = 0; i < items.Count; i++)
        {
            var (key, id, length) = items[i];
            var keyId = KeyOf(key);
            WriteRecord(buffer.AsSpan(i * RecordSize, RecordSize), keyId, id, length);
            _entries[keyId] = (id, length);
        }

        var folder = System.IO.Path.GetDirectoryName(_path)!;
        var created = !Directory.Exists(folder);
        Directory.CreateDirectory(folder, Store.Store.FolderMode);

        // One write with O_APPEND: concurrent compilers append whole records and never interleave inside one.
        using (var stream = new FileStream(_path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(buffer);
            stream.Flush(flushToDisk: true);
        }

        if (created)
        {
            SyncFolder(System.IO.Path.GetDirectoryName(folder)!);
        }
    }

    private void Rewrite()
    {
        var buffer = new byte[_entries.Count * RecordSize];
        var i = 0;
        foreach (var (key, (id, length)) in _entries.OrderBy(e => e.Key))
        {
            WriteRecord(buffer.AsSpan(i++ * RecordSize, RecordSize), key, id, length);
        }

        DurableFile.Write(_path, buffer, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static void WriteRecord(Span<byte> record, ObjectId key, ObjectId id, long length)
    {
        key.CopyTo(record);
        id.CopyTo(record[32..]);
        BinaryPrimitives.WriteInt64LittleEndian(record[64..], length);
        Check(new Blake3Hasher(), record[..72], record[72..]);
    }

    // One reused hasher: loading checks every record, and a fresh hasher per record costs more than the hashing.
    private static void Check(Blake3Hasher hasher, ReadOnlySpan<byte> data, Span<byte> check8)
    {
        hasher.Reset();
        hasher.Update(data);
        hasher.Finalize(check8);
    }

    /// <summary>The 32-byte form of a content key: a git blob id (SHA-1, 40 hex digits, zero-padded; or SHA-256, 64) as
    /// its bytes, any other key as its BLAKE3. Decoding hex is much cheaper than hashing, and this runs once per file.</summary>
    private static ObjectId KeyOf(string contentKey)
    {
        Span<byte> bytes = stackalloc byte[ObjectId.Size];
        bytes.Clear();
        if (contentKey.Length is 40 or 64
            && Convert.FromHexString(contentKey, bytes, out _, out var written) == System.Buffers.OperationStatus.Done
            && written == contentKey.Length / 2)
        {
            // A 20-byte SHA-1 leaves 12 zero bytes; mark it so it can never equal a 32-byte key.
            if (written == 20)
            {
                bytes[31] = 1;
            }

            return new ObjectId(bytes);
        }

        return Blake3.Hash(Encoding.UTF8.GetBytes(contentKey));
    }

    private static void SyncFolder(string folder)
    {
        try
        {
            using var handle = File.OpenHandle(folder, FileMode.Open, FileAccess.Read);
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A folder that cannot be synced still holds the file; losing the cache only costs time.
        }
    }
}
