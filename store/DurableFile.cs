using Microsoft.Win32.SafeHandles;

namespace GenStore.Store;

/// <summary>The one way GenStore writes a file that must survive a crash whole: temp file beside the target, explicit mode, fsync, rename, fsync the folder.</summary>
/// <remarks>
/// <para>The order of the steps is what makes the write atomic and durable:</para>
/// <list type="number">
/// <item>The temp file is created in the target's own folder, so it is on the same file system and the final
/// rename is atomic. It is created with O_EXCL and O_NOFOLLOW under a fresh name, so nothing that was already
/// there (a planted symlink, another writer's temp file) is ever opened.</item>
/// <item>The content is written.</item>
/// <item>Owner, then mode, are set on the open file: chown clears setuid/setgid bits, so chmod comes after it, and
/// the mode is set explicitly so it never depends on the umask.</item>
/// <item>The file is fsynced before it gets its final name. Without this a crash shortly after the rename can
/// leave the target name pointing at an empty or partly written file (delayed allocation).</item>
/// <item><c>rename(2)</c> replaces the target atomically: a reader sees the whole old file or the whole new one,
/// and a symlink at the target is replaced, not followed.</item>
/// <item>The folder is fsynced, which makes the rename itself (the new directory entry) durable.</item>
/// </list>
/// <para>Batching: with <c>sync: false</c> steps 4 and 6 are skipped and the caller must call
/// <see cref="Posix.SyncFs"/> once on that file system after the batch. That is safe only when nothing records
/// or relies on the new files (no database commit, no intent cleared, no acknowledgement) before that syncfs
/// returns, and when a crash before it is acceptable to repair by writing the batch again: a crash can leave
/// each file either old, new, or (rarely) new-named but empty or short.</para>
/// </remarks>
public static class DurableFile
{
    private const string TempPrefix = ".gen-tmp-";
    private static long _counter;

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="content"/> and mode <paramref name="mode"/>.</summary>
    /// <param name="path">The target; its folder must exist.</param>
    /// <param name="content">The new content.</param>
    /// <param name="mode">The permission bits, set exactly.</param>
    /// <param name="sync">False skips the fsyncs so the caller can make a batch durable with one <see cref="Posix.SyncFs"/>.</param>
    /// <param name="owner">When given, the owner and group the file gets before it appears under its name.</param>
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode, bool sync = true, (uint Uid, uint Gid)? owner = null)
    {
        var folder = FolderOf(path);
        var (temp, handle) = CreateTemp(folder);
        try
        {
            using (handle)
            {
                RandomAccess.Write(handle, content, 0);
                Finish(handle, temp, mode, sync, owner);
            }

            Publish(temp, path, folder, sync);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Atomically replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is given.</summary>
    /// <param name="path">The target; its folder must exist.</param>
    /// <param name="mode">The permission bits, set exactly.</param>
    /// <param name="write">Writes the content; if it throws, the target is left as it was and the temp file removed.</param>
    /// <param name="sync">False skips the fsyncs so the caller can make a batch durable with one <see cref="Posix.SyncFs"/>.</param>
    /// <param name="owner">When given, the owner and group the file gets before it appears under its name.</param>
    public static void Write(string path, UnixFileMode mode, Action<Stream> write, bool sync = true, (uint Uid, uint Gid)? owner = null)
    {
        ArgumentNullException.ThrowIfNull(write);
        var folder = FolderOf(path);
        var (temp, handle) = CreateTemp(folder);
        try
        {
            using (handle)
            {
                using (var stream = new FileStream(handle, FileAccess.Write, bufferSize: 64 * 1024))
                {
                    // The callback may dispose what it is given (a StreamWriter does by default), but the
                    // handle must stay open for chmod and fsync, so it gets a wrapper whose Dispose only flushes.
                    using (var shield = new FlushOnDisposeStream(stream))
                    {
                        write(shield);
                    }

                    stream.Flush();
                    Finish(handle, temp, mode, sync, owner);
                }
            }

            Publish(temp, path, folder, sync);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Atomically replaces <paramref name="path"/> with everything readable from <paramref name="source"/>.</summary>
    public static void WriteFrom(string path, Stream source, UnixFileMode mode, bool sync = true, (uint Uid, uint Gid)? owner = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        Write(path, mode, target => source.CopyTo(target, 256 * 1024), sync, owner);
    }

    /// <summary>Creates a new, empty, uniquely named file (mode 0600) in <paramref name="folder"/> with O_EXCL; the caller owns the handle and the file.</summary>
    /// <remarks>The name starts with <c>.gen-tmp-</c> and holds the process id, so leftovers of a crashed process can be recognised and removed.</remarks>
    public static (string Path, SafeFileHandle Handle) CreateTemp(string folder)
    {
        for (var attempt = 0; ; attempt++)
        {
            var name = $"{TempPrefix}{Environment.ProcessId}-{Environment.CurrentManagedThreadId}-{Interlocked.Increment(ref _counter)}-{Random.Shared.Next():x8}";
            var temp = Path.Combine(folder, name);
            try
            {
                return (temp, Posix.CreateExclusive(temp));
            }
            catch (IOException e) when (e.HResult == 17 && attempt < 8)
            {
                // Name taken (a recycled pid's leftover, or a name planted by someone who can write here: O_EXCL
                // and O_NOFOLLOW never open it): pick another random suffix. The suffix only has to be hard to
                // guess, not secret, so it comes from Random.Shared: the cryptographic generator loads OpenSSL on
                // first use, 5-10 ms of a short command's start-up.
            }
        }
    }

    /// <summary>True for names <see cref="CreateTemp"/> makes.</summary>
    public static bool IsTempName(string fileName) => fileName.StartsWith(TempPrefix, StringComparison.Ordinal);

    /// <summary>Sets owner and mode on the written temp file and, when <paramref name="sync"/>, makes its content durable.</summary>
    internal static void Finish(SafeFileHandle handle, string temp, UnixFileMode mode, bool sync, (uint Uid, uint Gid)? owner)
    {
        if (owner is { } o)
        {
            Posix.Fchown(handle, o.Uid, o.Gid, temp);
        }

        Posix.Fchmod(handle, mode, temp);
        if (sync)
        {
            Posix.Fsync(handle, temp);
        }
    }

    private static void Publish(string temp, string path, string folder, bool sync)
    {
        Posix.Rename(temp, path);
        if (sync)
        {
            Posix.FsyncDirectory(folder);
        }
    }

    /// <summary>The whole content of <paramref name="path"/>, or null when it or its folder does not exist: for the
    /// optional files (caches, memos) that are written with this class and read back in one piece.</summary>
    public static byte[]? TryReadAll(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the caller is already failing with the error that matters; a leftover temp file is recognisable.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FolderOf(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.GetDirectoryName(full) ?? throw new ArgumentException($"{path} has no parent folder", nameof(path));
    }

    /// <summary>Passes writes through to the temp file and turns the callback's Dispose into a Flush.</summary>
    private sealed class FlushOnDisposeStream(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

        public override void WriteByte(byte value) => inner.WriteByte(value);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Flush();
            }

            base.Dispose(disposing);
        }
    }
}
