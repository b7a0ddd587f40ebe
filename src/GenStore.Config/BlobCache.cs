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
/// <para>Crash safety: records are appended only after the objects they name have been made durable (one store sync).
/// The append itself is not fsynced: losing it to a crash only means hashing those files again, and a torn or
/// corrupt record fails its check and is ignored, and a file whose length is not a multiple of the record size is
/// rewritten without its torn tail. (An fsync here was one of the few disk waits of a one-file-change compile.)</para>
/// <para>A record is trusted only while the store still holds its object (gc deletes objects). Checking that with one
/// <c>stat</c> per record was most of a one-file-change compile, so a second file, <c>git-blob-b3.checked</c>, remembers
/// for each of the 256 fan-out folders of the store the change time (ctime) and inode it had when every record naming an
/// object in it was last seen present, and how many records of the cache file that covers. Removing (or adding) a file
/// changes its folder's ctime, which no user can set, so a folder whose ctime and inode are unchanged still holds every
/// covered record's object; only the records in changed folders and the records appended since are checked one by one.
/// A ctime is remembered only once it is old enough (50 ms; 2 s where times have whole seconds) that a removal right after
/// the check could not have been given the same time. Damage inside an object file that keeps its folder untouched is
/// not seen here, as it was not by a size check either: every store read verifies the digest.</para>
/// </remarks>
internal sealed class BlobCache
{
    private const int RecordSize = 80;
    private const string FileName = "git-blob-b3";
    private const string CheckedFileName = "git-blob-b3.checked";
    private const int Fanouts = 256;

    // "gen-bc2\n", records covered (8), BLAKE3 of the covered records (32), per fan-out folder ctime (8) and inode (8), check (8).
    private const int CheckedSize = 8 + 8 + ObjectId.Size + (Fanouts * 16) + 8;
    private const int FoldersAt = 8 + 8 + ObjectId.Size;
    private static readonly byte[] CheckedMagic = "gen-bc2\n"u8.ToArray();

    private readonly Store.Store _store;
    private readonly string _path;
    private readonly EntryList _records = new();

    // Key -> index of its latest record, open addressing (slot = index + 1, 0 = empty). A framework Dictionary over
    // ObjectId is a generic instantiation no ReadyToRun image holds, so every new process JIT-compiled it first.
    private int[] _slots = new int[64];
    private int _keys;

    // Per record: its object was found missing (or of another length) by Confirm.
    private bool[] _missingRecords = [];
    private bool _anyMissing;
    private FolderClaims? _claims;
    private FolderClaims? _observed;
    private int _loadedRecords;

    // Per fan-out folder: Confirm knew every record naming it to have its object (vouched for or checked one by one),
    // whether or not its ctime was settled enough to claim. Null until Confirm, and after a Record that had to rewrite.
    private bool[]? _complete;
    private int _coveredByRecord = -1;

    // The file's bytes as this cache knows them (loaded, then appended), to hash the part the claims cover.
    private byte[] _content = [];

    private BlobCache(Store.Store store, string path)
    {
        _store = store;
        _path = path;
    }

    /// <summary>The cache file's path.</summary>
    public string Path => _path;

    /// <summary>How many keys the cache knows.</summary>
    public int Count => _keys;

    /// <summary>How many objects the last <see cref="Confirm"/> had to <c>stat</c> one by one.</summary>
    public int ObjectsChecked { get; private set; }

    private string CheckedPath => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(_path)!, CheckedFileName);

    /// <summary>Loads the cache of <paramref name="store"/> (empty when there is none yet).</summary>
    public static BlobCache Open(Store.Store store)
    {
        var cache = new BlobCache(store, System.IO.Path.Combine(store.Folder, "cache", FileName));
        if (DurableFile.TryReadAll(cache._path) is not { } bytes)
        {
            return cache;
        }

        var records = bytes.Length / RecordSize;
        var damaged = bytes.Length % RecordSize != 0;

        // Records the claims cover were checked when the claims were written, and one hash over all of them proves
        // they are unchanged: far cheaper than checking 20,000 records one by one.
        var claims = FolderClaims.Load(cache.CheckedPath);
        if (claims is not null && (claims.Covered > records || Blake3.Hash(bytes.AsSpan(0, claims.Covered * RecordSize)) != claims.Digest))
        {
            claims = null;
        }

        var proven = claims?.Covered ?? 0;
        Span<byte> check = stackalloc byte[8];
        var hasher = new Blake3Hasher();
        cache._records.Capacity = records;
        cache.Reserve(records);
        for (var i = 0; i < records; i++)
        {
            var record = bytes.AsSpan(i * RecordSize, RecordSize);
            if (i >= proven)
            {
                Check(hasher, record[..72], check);
                if (!check.SequenceEqual(record[72..]))
                {
                    damaged = true;
                    continue;
                }
            }

            cache.Add(new ObjectId(record[..32]), new ObjectId(record[32..64]), BinaryPrimitives.ReadInt64LittleEndian(record[64..72]), record[32]);
        }

        if (damaged)
        {
            // The rewritten file numbers its records differently, so what the folder claims covered is void.
            cache.Rewrite();
        }
        else
        {
            cache._claims = claims;
            cache._content = bytes;
            cache._loadedRecords = cache._records.Count;
        }

        return cache;
    }

    /// <summary>The record (its index, object id and length) for <paramref name="contentKey"/>, if any.</summary>
    public bool TryGet(string contentKey, out int record, out ObjectId id, out long length)
    {
        record = Find(KeyOf(contentKey));
        if (record >= 0)
        {
            (id, length) = (_records[record].Id, _records[record].Length);
            return true;
        }

        id = default;
        length = 0;
        return false;
    }

    /// <summary>For each of <paramref name="wanted"/> (record indexes from <see cref="TryGet"/>): whether the store still holds its object.</summary>
    /// <remarks>Objects in fan-out folders unchanged since they were last checked are vouched for by the folder; the records
    /// of changed folders are each checked with a <c>stat</c>, all of them, so the folder can be vouched for again.</remarks>
    public bool[] Confirm(IReadOnlyList<int> wanted, int threads)
    {
        var now = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        var observed = new FolderClaims(_records.Count);
        var exists = new bool[Fanouts];
        var trusted = new bool[Fanouts];
        for (var i = 0; i < Fanouts; i++)
        {
            if (TryStatFanout(i, out var status))
            {
                exists[i] = true;
                observed.Ctime[i] = status.CtimeNs;
                observed.Inode[i] = status.Inode;
                trusted[i] = _claims is { } c && c.Inode[i] == status.Inode && c.Ctime[i] == status.CtimeNs;
            }
        }

        // Records appended after the claims were written are not covered by them.
        for (var r = _claims?.Covered ?? 0; r < _records.Count; r++)
        {
            trusted[_records[r].Fanout] = false;
        }

        // Every record of a changed folder is checked, used now or not, so that the folder can be vouched for afterwards.
        // All records of one object share its folder, so a record's own flag says whether its object is there.
        _missingRecords = new bool[_records.Count];
        var toCheck = new List<int>();
        for (var r = 0; r < _records.Count; r++)
        {
            var fanout = _records[r].Fanout;
            if (!trusted[fanout])
            {
                if (exists[fanout])
                {
                    toCheck.Add(r);
                }
                else
                {
                    _missingRecords[r] = true;
                }
            }
        }

        void CheckOne(int i)
        {
            var record = _records[toCheck[i]];
            _missingRecords[toCheck[i]] = !(_store.TryGetSize(record.Id, out var size) && size == record.Length);
        }

        // A few hundred stats cost less than starting the thread pool's workers.
        if (toCheck.Count < 1024)
        {
            for (var i = 0; i < toCheck.Count; i++)
            {
                CheckOne(i);
            }
        }
        else
        {
            Parallel.For(0, toCheck.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, CheckOne);
        }

        ObjectsChecked = toCheck.Count;
        var gone = new bool[Fanouts];
        for (var r = 0; r < _records.Count; r++)
        {
            if (_missingRecords[r])
            {
                gone[_records[r].Fanout] = true;
                _anyMissing = true;
            }
        }

        var complete = new bool[Fanouts];
        for (var i = 0; i < Fanouts; i++)
        {
            complete[i] = !gone[i];
            if (!exists[i] || gone[i] || !SettledBefore(observed.Ctime[i], now))
            {
                observed.Inode[i] = 0;
                observed.Ctime[i] = 0;
            }
        }

        _observed = observed;
        _complete = complete;
        var result = new bool[wanted.Count];
        for (var i = 0; i < wanted.Count; i++)
        {
            result[i] = !_missingRecords[wanted[i]];
        }

        return result;
    }

    /// <summary>Records new entries, then what <see cref="Confirm"/> found. Call only once the objects they name are durable in the store.</summary>
    public void Record(IReadOnlyList<LearnedHash> items)
    {
        if (_anyMissing)
        {
            // gc removed objects the cache names: write the file again without them, so that their folders can be vouched for.
            foreach (var (key, id, length) in items)
            {
                Add(KeyOf(key), id, length, FanoutOf(id));
            }

            Rewrite();
            SaveClaims(_records.Count);
            _complete = null;
            return;
        }

        var covered = Append(items) ? _loadedRecords + items.Count : _loadedRecords;
        SaveClaims(covered);
        _coveredByRecord = covered;
    }

    /// <summary>After <see cref="Record"/>, vouches again for the fan-out folders whose ctime moved since <see cref="Confirm"/>,
    /// when the only possible cause is this compile's own additions; the next compile then stats none of their objects.</summary>
    /// <remarks>
    /// <para>Call only when no object can have left the store since <see cref="Confirm"/>: the caller has held the
    /// generation lock since before the compile, and gc, the one thing that deletes objects, takes that lock. Then a
    /// folder whose records all had their objects at Confirm still has them, plus the ones this compile added (durable
    /// before Record), whatever its ctime says now. Additions by a compile running beside this one (which takes no
    /// lock) change nothing that is claimed: they only add objects.</para>
    /// <para>Without this, a compile that added objects to most folders (a first deploy, a change of many files) left
    /// them unclaimed: their ctimes were seconds old at Record, not settled, so the next compile stat'ed all 20,000 objects
    /// again (~60 ms). The settle rule still holds here: a folder changed in the last 50 ms stays unclaimed.</para>
    /// </remarks>
    public void Reclaim()
    {
        if (_complete is not { } complete || _coveredByRecord < 0 || _records.Count == 0)
        {
            return;
        }

        var now = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        var claims = new FolderClaims(_coveredByRecord);
        for (var i = 0; i < Fanouts; i++)
        {
            if (complete[i] && TryStatFanout(i, out var status) && SettledBefore(status.CtimeNs, now))
            {
                claims.Ctime[i] = status.CtimeNs;
                claims.Inode[i] = status.Inode;
            }
        }

        _observed = claims;
        SaveClaims(_coveredByRecord);
    }

    /// <summary>Appends records; true when the file then holds exactly what this cache loaded plus them (no other writer appended).</summary>
    private bool Append(IReadOnlyList<LearnedHash> items)
    {
        if (items.Count == 0)
        {
            return File.Exists(_path) ? new FileInfo(_path).Length == (long)_loadedRecords * RecordSize : _loadedRecords == 0;
        }

        var buffer = new byte[items.Count * RecordSize];
        for (var i = 0; i < items.Count; i++)
        {
            var (key, id, length) = items[i];
            var keyId = KeyOf(key);
            var record = buffer.AsSpan(i * RecordSize, RecordSize);
            WriteRecord(record, keyId, id, length);
            Add(keyId, id, length, record[32]);
        }

        var folder = System.IO.Path.GetDirectoryName(_path)!;
        var created = !Directory.Exists(folder);
        Directory.CreateDirectory(folder, Store.Store.FolderMode);

        // One write with O_APPEND: concurrent compilers append whole records and never interleave inside one.
        long end;
        using (var stream = new FileStream(_path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(buffer);
            stream.Flush();
            end = stream.Position;
        }

        if (created)
        {
            SyncFolder(System.IO.Path.GetDirectoryName(folder)!);
        }

        _content = [.. _content, .. buffer];
        return end == ((long)_loadedRecords + items.Count) * RecordSize;
    }

    private void Add(ObjectId key, ObjectId id, long length, byte fanout)
    {
        _records.Add(new Entry(id, length, fanout, key));
        Reserve(_keys + 1);
        var mask = _slots.Length - 1;
        for (var slot = key.GetHashCode() & mask; ; slot = (slot + 1) & mask)
        {
            if (_slots[slot] == 0)
            {
                _slots[slot] = _records.Count;
                _keys++;
                return;
            }

            if (_records[_slots[slot] - 1].Key == key)
            {
                // A later record for the same key wins.
                _slots[slot] = _records.Count;
                return;
            }
        }
    }

    private int Find(ObjectId key)
    {
        var mask = _slots.Length - 1;
        for (var slot = key.GetHashCode() & mask; _slots[slot] != 0; slot = (slot + 1) & mask)
        {
            if (_records[_slots[slot] - 1].Key == key)
            {
                return _slots[slot] - 1;
            }
        }

        return -1;
    }

    // Keeps the table at most half full, so probes stay short.
    private void Reserve(int keys)
    {
        if (keys * 2 <= _slots.Length)
        {
            return;
        }

        var size = _slots.Length;
        while (keys * 2 > size)
        {
            size *= 2;
        }

        var old = _slots;
        _slots = new int[size];
        var mask = size - 1;
        foreach (var index in old)
        {
            if (index != 0)
            {
                var slot = _records[index - 1].Key.GetHashCode() & mask;
                while (_slots[slot] != 0)
                {
                    slot = (slot + 1) & mask;
                }

                _slots[slot] = index;
            }
        }
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'a' + value - 10);

    /// <summary>The status of fan-out folder <paramref name="index"/> (<c>objects/00</c> … <c>objects/ff</c>); false when it is not a folder.</summary>
    private bool TryStatFanout(int index, out FileStatus status)
    {
        Span<char> name = [HexDigit(index >> 4), HexDigit(index & 0xF)];
        return Posix.TryLstat(System.IO.Path.Join(_store.ObjectsFolder, name), out status) && status.IsDirectory;
    }

    private void SaveClaims(int covered)
    {
        if (_observed is not { } observed || _records.Count == 0)
        {
            return;
        }

        observed.Covered = Math.Min(covered, Math.Min(_records.Count, _content.Length / RecordSize));
        observed.Digest = Blake3.Hash(_content.AsSpan(0, observed.Covered * RecordSize));
        if (_claims is { } old && old.SameAs(observed))
        {
            return;
        }

        // Not synced: a lost or torn claims file only means checking every record once more.
        try
        {
            DurableFile.Write(CheckedPath, observed.ToBytes(), UnixFileMode.UserRead | UnixFileMode.UserWrite, sync: false);
            _claims = observed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only speed is lost.
        }
    }

    private void Rewrite()
    {
        // First void the claims: they count records of the file being replaced.
        try
        {
            File.Delete(CheckedPath);
        }
        catch (DirectoryNotFoundException)
        {
        }

        _claims = null;
        var kept = new Entry[_keys];
        var keptCount = 0;
        foreach (var index in _slots)
        {
            if (index != 0 && !(index - 1 < _missingRecords.Length && _missingRecords[index - 1]))
            {
                kept[keptCount++] = _records[index - 1];
            }
        }

        Array.Resize(ref kept, keptCount);
        Array.Sort(kept, (a, b) => a.Key.CompareTo(b.Key));
        var buffer = new byte[kept.Length * RecordSize];
        _records.Clear();
        Array.Clear(_slots);
        _keys = 0;
        _missingRecords = [];
        _anyMissing = false;
        for (var i = 0; i < kept.Length; i++)
        {
            var record = buffer.AsSpan(i * RecordSize, RecordSize);
            WriteRecord(record, kept[i].Key, kept[i].Id, kept[i].Length);
            Add(kept[i].Key, kept[i].Id, kept[i].Length, kept[i].Fanout);
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(_path)!, Store.Store.FolderMode);
        DurableFile.Write(_path, buffer, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _loadedRecords = _records.Count;
        _content = buffer;
    }

    private static bool SettledBefore(long ctimeNs, long nowNs)
    {
        // A file system with whole-second times could give a removal right after our stat the same ctime for up to a second.
        var margin = ctimeNs % 1_000_000_000 == 0 ? 2_000_000_000L : 50_000_000L;
        return ctimeNs < nowNs - margin;
    }

    private static byte FanoutOf(ObjectId id)
    {
        Span<byte> bytes = stackalloc byte[ObjectId.Size];
        id.CopyTo(bytes);
        return bytes[0];
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
        if (contentKey.Length is 40 or 64 && TryDecodeHex(contentKey, bytes))
        {
            // A 20-byte SHA-1 leaves 12 zero bytes; mark it so it can never equal a 32-byte key.
            if (contentKey.Length == 40)
            {
                bytes[31] = 1;
            }

            return new ObjectId(bytes);
        }

        return Blake3.Hash(Encoding.UTF8.GetBytes(contentKey));
    }

    // A plain loop: Convert.FromHexString is a generic method a new process JIT-compiles before its first use.
    private static bool TryDecodeHex(string hex, Span<byte> into)
    {
        for (var i = 0; i < hex.Length / 2; i++)
        {
            var high = Nibble(hex[2 * i]);
            var low = Nibble(hex[(2 * i) + 1]);
            if ((high | low) < 0)
            {
                return false;
            }

            into[i] = (byte)((high << 4) | low);
        }

        return true;
    }

    private static int Nibble(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

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

    /// <summary>A growable array of records (not <c>List&lt;Entry&gt;</c>: a framework generic over a struct of this assembly is JIT-compiled in every process).</summary>
    private sealed class EntryList
    {
        private Entry[] _items = new Entry[16];

        public int Count { get; private set; }

        public int Capacity
        {
            set
            {
                if (value > _items.Length)
                {
                    var larger = new Entry[value];
                    _items.AsSpan(0, Count).CopyTo(larger);
                    _items = larger;
                }
            }
        }

        public Entry this[int index] => index < Count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));

        public void Add(Entry entry)
        {
            if (Count == _items.Length)
            {
                Capacity = _items.Length * 2;
            }

            _items[Count++] = entry;
        }

        public void Clear() => Count = 0;
    }

    /// <summary>One cache record as loaded: the object, its length, its fan-out folder (first id byte) and its key.</summary>
    private readonly record struct Entry(ObjectId Id, long Length, byte Fanout, ObjectId Key);

    /// <summary>What <c>git-blob-b3.checked</c> holds: how many records it covers (and the last one's check), and each fan-out folder's ctime and inode (0: not vouched for).</summary>
    private sealed class FolderClaims(int covered)
    {
        public int Covered { get; set; } = covered;

        public ObjectId Digest { get; set; }

        public long[] Ctime { get; } = new long[Fanouts];

        public ulong[] Inode { get; } = new ulong[Fanouts];

        public static FolderClaims? Load(string path)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }

            Span<byte> check = stackalloc byte[8];
            if (bytes.Length != CheckedSize || !bytes.AsSpan(0, 8).SequenceEqual(CheckedMagic))
            {
                return null;
            }

            Check(new Blake3Hasher(), bytes.AsSpan(0, CheckedSize - 8), check);
            if (!check.SequenceEqual(bytes.AsSpan(CheckedSize - 8)))
            {
                return null;
            }

            var covered = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
            if (covered is < 0 or > int.MaxValue / RecordSize)
            {
                return null;
            }

            var claims = new FolderClaims((int)covered) { Digest = new ObjectId(bytes.AsSpan(16, ObjectId.Size)) };
            for (var i = 0; i < Fanouts; i++)
            {
                claims.Ctime[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(FoldersAt + (i * 16)));
                claims.Inode[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(FoldersAt + 8 + (i * 16)));
            }

            return claims;
        }

        public byte[] ToBytes()
        {
            var bytes = new byte[CheckedSize];
            CheckedMagic.CopyTo(bytes, 0);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), Covered);
            Digest.CopyTo(bytes.AsSpan(16));
            for (var i = 0; i < Fanouts; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(FoldersAt + (i * 16)), Ctime[i]);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(FoldersAt + 8 + (i * 16)), Inode[i]);
            }

            Check(new Blake3Hasher(), bytes.AsSpan(0, CheckedSize - 8), bytes.AsSpan(CheckedSize - 8));
            return bytes;
        }

        public bool SameAs(FolderClaims other) =>
            Covered == other.Covered && Digest == other.Digest && Ctime.AsSpan().SequenceEqual(other.Ctime) && Inode.AsSpan().SequenceEqual(other.Inode);
    }
}

/// <summary>What a compile learnt: the object id and length of the content under a content key (a git blob id).</summary>
internal sealed record LearnedHash(string ContentKey, ObjectId Id, long Length);
