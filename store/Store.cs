using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace GenStore.Store;

/// <summary>The content-addressed object store: immutable files named by their BLAKE3 digest under <c>objects/ab/cdef…</c>, re-verified on every read.</summary>
/// <remarks>
/// <para>Layout: <c>objects/</c> holds one folder per first byte of the id (two hex digits) and in it one file per
/// object named by the other 62 hex digits; <c>tmp/</c> holds writes in progress. Folders are 0700 and object
/// files 0444, both set explicitly rather than through the umask (DESIGN §14).</para>
/// <para>Concurrency: any number of threads and processes may add, read and delete at once. An object appears
/// under its name only complete: <see cref="AddBytes"/> writes an unnamed file (<c>O_TMPFILE</c>) in the object's
/// fan-out folder and gives it the name with <c>linkat(2)</c> (a second writer of the same content finds the name
/// taken and keeps the first); the other adds, and file systems without <c>O_TMPFILE</c>, <c>rename(2)</c> a
/// complete temp file from <c>tmp/</c> (the later rename replaces the earlier file with identical bytes). Either way
/// two writers of the same content end with exactly one object. Temp names hold the process and thread id, so
/// writers never share one.</para>
/// <para>Durability: by default an add is durable when it returns (fsync of the file, rename, fsync of its
/// folder). With <c>durable: false</c> the fsyncs are skipped and <see cref="Sync"/> must be called once after
/// the batch and before anything records a reference to the new objects (DESIGN §8: one batch sync, not one
/// fsync per file). A crash before that sync can leave a named object empty or short; the next add of the same
/// content notices the wrong size and replaces it, and <see cref="Verify"/> reports any other damage.</para>
/// </remarks>
public sealed class Store
{
    /// <summary>The mode of every store folder: owner only (0700).</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The mode of every object file: read-only (0444); the folder modes keep others out.</summary>
    public const UnixFileMode ObjectMode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const int BufferSize = 256 * 1024;

    // A temp file this old belongs to a writer that died; live writers finish in far less.
    private static readonly TimeSpan StaleTempAge = TimeSpan.FromHours(1);

    // Which fan-out folders are known to exist, so a hot add path costs no mkdir call.
    private readonly bool[] _fanoutExists = new bool[256];

    // Set once the file system has refused O_TMPFILE; adds then go through a named temp file.
    private bool _noUnnamedFiles;

    private Store(string folder)
    {
        Folder = folder;
        ObjectsFolder = Path.Combine(folder, "objects");
        TempFolder = Path.Combine(folder, "tmp");
    }

    /// <summary>The store's root folder.</summary>
    public string Folder { get; }

    /// <summary>The folder that holds the fan-out folders of objects.</summary>
    public string ObjectsFolder { get; }

    /// <summary>The folder that holds writes in progress.</summary>
    public string TempFolder { get; }

    /// <summary>Opens the store in <paramref name="folder"/>, creating its layout (mode 0700) when <paramref name="create"/> is true.</summary>
    /// <exception cref="InputException"><paramref name="create"/> is false and there is no store there.</exception>
    /// <exception cref="IOException">A store folder is a symlink or not a folder.</exception>
    public static Store Open(string folder, bool create = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var store = new Store(Path.GetFullPath(folder));
        if (create)
        {
            var parent = Path.GetDirectoryName(store.Folder);
            if (parent is not null && !Directory.Exists(parent))
            {
                Directory.CreateDirectory(parent, FolderMode);
            }

            foreach (var dir in new[] { store.Folder, store.ObjectsFolder, store.TempFolder })
            {
                if (!Posix.Mkdir(dir, FolderMode))
                {
                    RequireFolder(dir, fixMode: true);
                }
            }
        }
        else
        {
            if (!Posix.TryLstat(store.ObjectsFolder, out _))
            {
                throw new InputException("there is no store here; run 'gen init' first or pass the right --state", store.Folder);
            }

            RequireFolder(store.Folder, fixMode: false);
            RequireFolder(store.ObjectsFolder, fixMode: false);
            RequireFolder(store.TempFolder, fixMode: false);
        }

        return store;
    }

    /// <summary>Stores everything readable from <paramref name="content"/> and returns its id; content already present is not stored twice.</summary>
    /// <param name="content">The content. A seekable stream is hashed first, so content already in the store is never written again.</param>
    /// <param name="durable">True: the object is on disk when this returns. False: call <see cref="Sync"/> after the batch.</param>
    public ObjectId Add(Stream content, bool durable = true)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanSeek)
        {
            return AddFrom((buffer, _) => content.Read(buffer, 0, buffer.Length), prehash: false, durable);
        }

        var start = content.Position;
        return AddFrom(
            (buffer, offset) =>
            {
                // Offset 0 starts a pass: the hashing pass first, then the writing pass if one is needed.
                if (offset == 0)
                {
                    content.Position = start;
                }

                return content.Read(buffer, 0, buffer.Length);
            },
            prehash: true,
            durable);
    }

    /// <summary>Stores the file at <paramref name="path"/> and returns its id. A symlink is refused, never followed (DESIGN §14).</summary>
    /// <exception cref="IOException">The path is a symlink, not a regular file, or cannot be read.</exception>
    public ObjectId AddFile(string path, bool durable = true)
    {
        using var handle = Posix.OpenReadNoFollow(path);
        if (!Posix.Fstat(handle).IsFile)
        {
            throw new IOException($"{path}: not a regular file, so it cannot be stored");
        }

        // Positional reads on the handle: no FileStream, no seeks between the two passes.
        return AddFrom((buffer, offset) => RandomAccess.Read(handle, buffer, offset), prehash: true, durable);
    }

    /// <summary>Stores <paramref name="content"/> and returns its id; content already present is not written again.</summary>
    public ObjectId AddBytes(ReadOnlySpan<byte> content, bool durable = true)
    {
        var id = Hash(content);
        if (HasIntactLooking(id, content.Length, durable) || TryAddUnnamed(id, content, durable))
        {
            return id;
        }

        var (temp, handle) = DurableFile.CreateTemp(TempFolder);
        try
        {
            using (handle)
            {
                RandomAccess.Write(handle, content, 0);
                DurableFile.Finish(handle, temp, ObjectMode, durable, owner: null);
            }

            Publish(temp, id, durable);
            return id;
        }
        catch
        {
            DurableFile.TryDelete(temp);
            throw;
        }
    }

    /// <summary>Stores each file in order as one batch, made durable by a single <see cref="Sync"/> at the end; returns their ids in the same order.</summary>
    public IReadOnlyList<ObjectId> AddFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var ids = new List<ObjectId>();
        foreach (var path in paths)
        {
            ids.Add(AddFile(path, durable: false));
        }

        Sync();
        return ids;
    }

    /// <summary>Makes every earlier <c>durable: false</c> add and every delete durable with one <c>syncfs</c> of the store's file system.</summary>
    public void Sync() => Posix.SyncFs(Folder);

    /// <summary>True when an object file for <paramref name="id"/> is present (its content is not checked here).</summary>
    public bool Contains(ObjectId id) => Posix.TryLstat(PathOf(id), out var status) && status.IsFile;

    /// <summary>True when an object file for <paramref name="id"/> is present, with its size (its content is not checked here).</summary>
    public bool TryGetSize(ObjectId id, out long size)
    {
        var present = Posix.TryLstat(PathOf(id), out var status) && status.IsFile;
        size = present ? status.Size : 0;
        return present;
    }

    /// <summary>The size in bytes of the object <paramref name="id"/>.</summary>
    /// <exception cref="MissingObjectException">The object is not in the store.</exception>
    public long SizeOf(ObjectId id) =>
        Posix.TryLstat(PathOf(id), out var status) && status.IsFile ? status.Size : throw new MissingObjectException(id);

    /// <summary>Where the object <paramref name="id"/> lives (or would live): <c>objects/ab/cdef…</c>. Reading it directly skips verification; prefer <see cref="OpenRead"/>.</summary>
    public string PathOf(ObjectId id)
    {
        // Hex digits by hand: Convert's vectorised encoder is a generic method a new process JIT-compiles first.
        Span<byte> bytes = stackalloc byte[ObjectId.Size];
        id.CopyTo(bytes);
        Span<char> name = stackalloc char[(2 * ObjectId.Size) + 1];
        for (int i = 0, at = 0; i < bytes.Length; i++)
        {
            name[at++] = HexDigits[bytes[i] >> 4];
            name[at++] = HexDigits[bytes[i] & 0xF];
            if (i == 0)
            {
                name[at++] = '/';
            }
        }

        return Path.Join(ObjectsFolder, name);
    }

    private static ReadOnlySpan<char> HexDigits => "0123456789abcdef";

    /// <summary>Opens the object for reading through a stream that re-hashes what it returns and throws <see cref="CorruptObjectException"/> at the end if the digest differs.</summary>
    /// <remarks>The content is only known good once a read has returned 0 (end of stream) without throwing. Callers
    /// must not commit to anything they read (rename a temp file into place, record a success) before that.</remarks>
    /// <exception cref="MissingObjectException">The object is not in the store.</exception>
    public Stream OpenRead(ObjectId id)
    {
        var path = PathOf(id);
        var handle = OpenObject(id, path);
        return new VerifyingStream(new FileStream(handle, FileAccess.Read, bufferSize: 0), id, path);
    }

    /// <summary>Copies the object to <paramref name="destination"/>, verifying it; throws <see cref="CorruptObjectException"/> after the copy if the content is wrong.</summary>
    /// <param name="id">The object.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="verifyFirst">True checks the digest before writing a single byte (reading the object twice), for destinations
    /// that cannot be taken back, such as standard output. False streams once and reports corruption at the end, for
    /// destinations the caller discards on error (a temp file that is only renamed into place on success).</param>
    /// <exception cref="MissingObjectException">The object is not in the store.</exception>
    public void CopyTo(ObjectId id, Stream destination, bool verifyFirst = false)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (verifyFirst && !Check(id))
        {
            throw new CorruptObjectException(id, PathOf(id), "its content does not match its id");
        }

        // Verified again while copying: the first check proves nothing about bytes read later.
        using var source = OpenRead(id);
        source.CopyTo(destination, BufferSize);
    }

    /// <summary>The whole content of the object, returned only after its digest has been verified.</summary>
    /// <exception cref="MissingObjectException">The object is not in the store.</exception>
    /// <exception cref="CorruptObjectException">The content does not match the id.</exception>
    public byte[] ReadAllBytes(ObjectId id) =>
        ReadAllBytesUpTo(id, Array.MaxLength) ?? throw new IOException($"store object {id} is too large to read into memory; stream it with OpenRead");

    /// <summary>The whole content of the object, verified, when it is at most <paramref name="limit"/> bytes long; null, having read nothing, when it is longer.</summary>
    /// <remarks>One open and one fstat decide, where asking <see cref="SizeOf"/> first cost a second lookup of the object's
    /// path for every file a switch writes.</remarks>
    /// <exception cref="MissingObjectException">The object is not in the store.</exception>
    /// <exception cref="CorruptObjectException">The content does not match the id.</exception>
    public byte[]? ReadAllBytesUpTo(ObjectId id, long limit)
    {
        var path = PathOf(id);
        using var handle = OpenObject(id, path);
        var length = RandomAccess.GetLength(handle);
        if (length > Math.Min(limit, Array.MaxLength))
        {
            return null;
        }

        var content = new byte[length];
        var total = 0;
        int read;
        while (total < content.Length && (read = RandomAccess.Read(handle, content.AsSpan(total), total)) > 0)
        {
            total += read;
        }

        if (total != content.Length || Hash(content) != id)
        {
            throw new CorruptObjectException(id, path, "its content does not match its id");
        }

        return content;
    }

    /// <summary>True when the object's content matches its id, false when it is corrupt.</summary>
    /// <exception cref="MissingObjectException">The object is not in the store.</exception>
    public bool Check(ObjectId id)
    {
        var path = PathOf(id);
        using var handle = OpenObject(id, path);
        return HashHandle(handle) == id;
    }

    /// <summary>Every object id in the store, in id order within each fan-out folder.</summary>
    public IEnumerable<ObjectId> Enumerate()
    {
        foreach (var (id, _) in EnumerateEntries(strays: null))
        {
            yield return id;
        }
    }

    /// <summary>Removes the object; false when it was not there. Not synced: call <see cref="Sync"/> if the removal must survive a crash.</summary>
    public bool Delete(ObjectId id)
    {
        // A reader that already opened the object keeps reading it; the name is gone for everyone else.
        var removed = Posix.Unlink(PathOf(id));
        return removed;
    }

    /// <summary>Re-hashes every object (in parallel) and reports the corrupt ones, stray files and stale temp files; changes nothing.</summary>
    /// <param name="threads">How many objects to hash at once; 0 means one per core.</param>
    public StoreVerifyResult Verify(int threads = 0)
    {
        var strays = new List<string>();
        var corrupt = new ConcurrentBag<ObjectId>();
        long checkedCount = 0;
        long bytes = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.ForEach(EnumerateEntries(strays), options, entry =>
        {
            var (id, path) = entry;
            long size = 0;
            bool intact;
            try
            {
                using var handle = Posix.OpenReadNoFollow(path);
                size = RandomAccess.GetLength(handle);
                intact = HashHandle(handle) == id;
            }
            catch (FileNotFoundException)
            {
                // Deleted while we looked (gc running beside us): nothing to report.
                return;
            }
            catch (IOException)
            {
                // A symlink in place of an object, or an unreadable file: either way its content cannot be trusted.
                intact = false;
            }

            Interlocked.Increment(ref checkedCount);
            Interlocked.Add(ref bytes, size);
            if (!intact)
            {
                corrupt.Add(id);
            }
        });

        var corruptSorted = corrupt.ToList();
        corruptSorted.Sort();
        strays.Sort(StringComparer.Ordinal);
        return new StoreVerifyResult((int)checkedCount, bytes, corruptSorted, strays, StaleTemps(StaleTempAge).Count);
    }

    /// <summary>The number of objects and their total size in bytes (walks the store; for metrics and <c>gen status</c>).</summary>
    public StoreStatistics Statistics()
    {
        long count = 0;
        long bytes = 0;
        foreach (var (_, path) in EnumerateEntries(strays: null))
        {
            if (Posix.TryLstat(path, out var status))
            {
                count++;
                bytes += status.Size;
            }
        }

        return new StoreStatistics(count, bytes);
    }

    /// <summary>Removes temp files left in <c>tmp/</c> by writers that died, those older than <paramref name="olderThan"/> (default one hour); returns how many.</summary>
    public int CleanTemp(TimeSpan? olderThan = null)
    {
        var removed = 0;
        foreach (var path in StaleTemps(olderThan ?? StaleTempAge))
        {
            if (Posix.Unlink(path))
            {
                removed++;
            }
        }

        return removed;
    }

    private List<string> StaleTemps(TimeSpan olderThan)
    {
        var cutoff = DateTime.UtcNow - olderThan;
        var stale = new List<string>();
        foreach (var file in new DirectoryInfo(TempFolder).EnumerateFiles())
        {
            if (file.LastWriteTimeUtc < cutoff)
            {
                stale.Add(file.FullName);
            }
        }

        return stale;
    }

    // The one add path. `read(buffer, offset)` fills the buffer from the source at that offset (a stream may
    // ignore the offset except to restart at 0). With `prehash` the source is read twice: once to hash, so
    // content already stored costs no write at all (most adds re-store unchanged payloads, and a read from the
    // page cache is far cheaper than writing, syncing and deleting a temp file), then once to write.
    private ObjectId AddFrom(Func<byte[], long, int> read, bool prehash, bool durable)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            if (prehash)
            {
                var hasher = new Blake3Hasher();
                long length = 0;
                int n;
                while ((n = read(buffer, length)) > 0)
                {
                    hasher.Update(buffer.AsSpan(0, n));
                    length += n;
                }

                var known = hasher.FinalizeId();
                if (HasIntactLooking(known, length, durable))
                {
                    return known;
                }
            }

            return WriteObject(read, buffer, checkExisting: !prehash, durable);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private ObjectId WriteObject(Func<byte[], long, int> read, byte[] buffer, bool checkExisting, bool durable)
    {
        var (temp, handle) = DurableFile.CreateTemp(TempFolder);
        try
        {
            ObjectId id;
            using (handle)
            {
                var hasher = new Blake3Hasher();
                long offset = 0;
                int n;
                while ((n = read(buffer, offset)) > 0)
                {
                    // The id is the digest of exactly the bytes written, even if the source changed since the hashing pass.
                    hasher.Update(buffer.AsSpan(0, n));
                    RandomAccess.Write(handle, buffer.AsSpan(0, n), offset);
                    offset += n;
                }

                id = hasher.FinalizeId();
                if (checkExisting && HasIntactLooking(id, offset, durable))
                {
                    handle.Dispose();
                    DurableFile.TryDelete(temp);
                    return id;
                }

                DurableFile.Finish(handle, temp, ObjectMode, durable, owner: null);
            }

            Publish(temp, id, durable);
            return id;
        }
        catch
        {
            DurableFile.TryDelete(temp);
            throw;
        }
    }

    // The fast way to add: an unnamed file (O_TMPFILE) in the object's own fan-out folder, written, set read-only, then
    // linked in under its name. The name appears only with the whole content behind it (after an fsync when durable),
    // as with a rename, but there is no temp name to create and remove, no rename across folders (which serialises on
    // a per-file-system lock), and nothing left behind if the process dies. False when the file system has no
    // O_TMPFILE, or when a file of the wrong size holds the name (left short by a crash before a batch sync): a link
    // cannot replace it, the rename path can.
    private bool TryAddUnnamed(ObjectId id, ReadOnlySpan<byte> content, bool durable)
    {
        if (Volatile.Read(ref _noUnnamedFiles))
        {
            return false;
        }

        var fanout = EnsureFanout(id, durable);
        var path = PathOf(id);
        SafeFileHandle? handle;
        try
        {
            handle = Posix.TryCreateUnnamed(fanout);
        }
        catch (IOException e) when (e.HResult == 2)
        {
            // The fan-out folder vanished after we cached it (someone cleaned the store by hand): the rename path makes it again.
            _fanoutExists[FanoutIndex(id)] = false;
            return false;
        }

        if (handle is null)
        {
            Volatile.Write(ref _noUnnamedFiles, true);
            return false;
        }

        using (handle)
        {
            RandomAccess.Write(handle, content, 0);
            Posix.Fchmod(handle, ObjectMode, path);
            if (durable)
            {
                Posix.Fsync(handle, path);
            }

            bool linked;
            try
            {
                linked = Posix.TryLink(handle, path);
            }
            catch (IOException)
            {
                // No usable link here (no /proc in a chroot, say), or the fan-out folder vanished: the rename path copes with both.
                if (Directory.Exists(fanout))
                {
                    Volatile.Write(ref _noUnnamedFiles, true);
                }

                _fanoutExists[FanoutIndex(id)] = false;
                return false;
            }

            if (!linked)
            {
                // Another writer published it first: that one is complete, unless a crash left it short.
                return HasIntactLooking(id, content.Length, durable);
            }
        }

        if (durable)
        {
            Posix.FsyncDirectory(fanout);
        }

        return true;
    }

    // Moves a finished temp file to its object name. If another writer got there first, the rename replaces
    // its file with the same bytes, which is harmless and keeps exactly one object.
    private void Publish(string temp, ObjectId id, bool durable)
    {
        var path = PathOf(id);
        var fanout = EnsureFanout(id, durable);
        try
        {
            Posix.Rename(temp, path);
        }
        catch (IOException e) when (e.HResult == 2)
        {
            // The fan-out folder vanished after we cached it (someone cleaned the store by hand): make it again.
            _fanoutExists[FanoutIndex(id)] = false;
            EnsureFanout(id, durable);
            Posix.Rename(temp, path);
        }

        if (durable)
        {
            Posix.FsyncDirectory(fanout);
        }
    }

    // True when an object of the right size is already there, so an add has nothing to write. A wrong size
    // means a crash left it short (see the class remarks); then the add goes on and replaces it. For a durable
    // add the existing object, which may have come from another process's unsynced batch, is synced too.
    private bool HasIntactLooking(ObjectId id, long length, bool durable)
    {
        var path = PathOf(id);
        if (!Posix.TryLstat(path, out var status) || !status.IsFile || status.Size != length)
        {
            return false;
        }

        if (durable)
        {
            try
            {
                using var handle = Posix.OpenReadNoFollow(path);
                Posix.Fsync(handle, path);
                Posix.FsyncDirectory(Path.GetDirectoryName(path)!);
            }
            catch (FileNotFoundException)
            {
                // Deleted between the check and the sync (gc): write it anew.
                return false;
            }
        }

        return true;
    }

    private string EnsureFanout(ObjectId id, bool durable)
    {
        var index = FanoutIndex(id);
        var folder = Path.GetDirectoryName(PathOf(id))!;
        if (!Volatile.Read(ref _fanoutExists[index]))
        {
            if (Posix.Mkdir(folder, FolderMode) && durable)
            {
                // A new folder is itself an entry of objects/, which must be durable before the object in it is.
                Posix.FsyncDirectory(ObjectsFolder);
            }

            Volatile.Write(ref _fanoutExists[index], true);
        }

        return folder;
    }

    private static int FanoutIndex(ObjectId id)
    {
        Span<byte> bytes = stackalloc byte[ObjectId.Size];
        id.CopyTo(bytes);
        return bytes[0];
    }

    private IEnumerable<(ObjectId Id, string Path)> EnumerateEntries(List<string>? strays)
    {
        var fanouts = Directory.GetDirectories(ObjectsFolder);
        Array.Sort(fanouts, StringComparer.Ordinal);
        foreach (var fanout in fanouts)
        {
            var prefix = Path.GetFileName(fanout);
            string[] files;
            try
            {
                files = Directory.GetFileSystemEntries(fanout);
            }
            catch (DirectoryNotFoundException)
            {
                continue;
            }

            Array.Sort(files, StringComparer.Ordinal);
            foreach (var file in files)
            {
                var name = Path.GetFileName(file);
                if (prefix.Length == 2 && name.Length == 62 && IsLowerHex(prefix) && IsLowerHex(name)
                    && ObjectId.TryParseHex(prefix + name, out var id))
                {
                    yield return (id, file);
                }
                else
                {
                    strays?.Add(file);
                }
            }
        }
    }

    private static bool IsLowerHex(string text) => !text.AsSpan().ContainsAnyExcept("0123456789abcdef");

    private static SafeFileHandle OpenObject(ObjectId id, string path)
    {
        try
        {
            return Posix.OpenReadNoFollow(path);
        }
        catch (FileNotFoundException)
        {
            throw new MissingObjectException(id);
        }
        catch (IOException e) when (e.HResult == 40)
        {
            throw new CorruptObjectException(id, path, "it is a symlink, not a file");
        }
    }

    private static ObjectId Hash(ReadOnlySpan<byte> content) => Blake3.Hash(content);

    private static ObjectId HashHandle(SafeFileHandle handle)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var hasher = new Blake3Hasher();
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(handle, buffer, offset)) > 0)
            {
                hasher.Update(buffer.AsSpan(0, read));
                offset += read;
            }

            return hasher.FinalizeId();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void RequireFolder(string path, bool fixMode)
    {
        var status = Posix.Lstat(path);
        if (!status.IsDirectory)
        {
            throw new IOException($"{path}: store folder is a {status.Kind.ToString().ToLowerInvariant()}, not a real folder; move it away and run the command again");
        }

        if (fixMode && status.Mode != FolderMode)
        {
            Posix.Chmod(path, FolderMode);
        }
    }

    /// <summary>Hashes what passes through and checks the digest when the underlying file is exhausted.</summary>
    private sealed class VerifyingStream(FileStream inner, ObjectId id, string path) : Stream
    {
        private readonly Blake3Hasher _hasher = new();
        private bool _verified;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => throw new NotSupportedException("a verifying stream reads straight through");
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            return Account(buffer[..read]);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return Account(buffer.Span[..read]);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a verifying stream reads straight through");

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Account(ReadOnlySpan<byte> data)
        {
            if (!data.IsEmpty)
            {
                _hasher.Update(data);
            }
            else if (!_verified)
            {
                if (_hasher.FinalizeId() != id)
                {
                    throw new CorruptObjectException(id, path, "its content does not match its id");
                }

                _verified = true;
            }

            return data.Length;
        }
    }
}

/// <summary>What <see cref="Store.Verify"/> found: how much it checked, the corrupt objects, and files that do not belong.</summary>
/// <param name="Checked">The number of objects re-hashed.</param>
/// <param name="Bytes">Their total size.</param>
/// <param name="Corrupt">The ids whose content does not match, in id order.</param>
/// <param name="Strays">Files in <c>objects/</c> whose names are not object ids.</param>
/// <param name="StaleTemps">Temp files older than an hour in <c>tmp/</c>, left by writers that died (<see cref="Store.CleanTemp"/> removes them).</param>
public sealed record StoreVerifyResult(int Checked, long Bytes, IReadOnlyList<ObjectId> Corrupt, IReadOnlyList<string> Strays, int StaleTemps)
{
    /// <summary>True when no object is corrupt.</summary>
    public bool IsClean => Corrupt.Count == 0;
}

/// <summary>The size of the store, for metrics (<c>gen_store_objects</c>, <c>gen_store_bytes</c>) and status.</summary>
/// <param name="ObjectCount">The number of objects.</param>
/// <param name="TotalBytes">Their total size in bytes.</param>
public readonly record struct StoreStatistics(long ObjectCount, long TotalBytes);
