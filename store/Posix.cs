using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GenStore.Store;

/// <summary>The kind of a file system entry, as <see cref="Posix.Lstat"/> sees it (symlinks are not followed).</summary>
public enum FileKind
{
    /// <summary>A regular file.</summary>
    File,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (the link itself, not its target).</summary>
    Symlink,

    /// <summary>Anything else: device, FIFO, socket.</summary>
    Other,
}

/// <summary>What <c>lstat</c> says about one file system entry: kind, permission bits, owner, size, times and identity.</summary>
public readonly record struct FileStatus(
    FileKind Kind,
    UnixFileMode Mode,
    uint Uid,
    uint Gid,
    long Size,
    long MtimeNs,
    long CtimeNs,
    ulong Inode,
    ulong Device,
    uint LinkCount)
{
    /// <summary>True for a regular file.</summary>
    public bool IsFile => Kind == FileKind.File;

    /// <summary>True for a directory.</summary>
    public bool IsDirectory => Kind == FileKind.Directory;

    /// <summary>True for a symbolic link.</summary>
    public bool IsSymlink => Kind == FileKind.Symlink;
}

/// <summary>Thin wrappers over the libc calls .NET lacks (lstat, lchown, fsync, syncfs, rename, flock, open flags); each throws <see cref="IOException"/> naming the path and the system error.</summary>
/// <remarks>
/// Linux only. <c>statx</c> is used rather than <c>stat</c> because its buffer layout is the same on every
/// architecture, whereas <c>struct stat</c> differs between x86_64 and arm64. The open flags that differ between
/// architectures (<c>O_DIRECTORY</c>, <c>O_NOFOLLOW</c>) are picked at run time.
/// </remarks>
public static partial class Posix
{
    private const string Libc = "libc";

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;

    private const int ORdOnly = 0;
    private const int OWrOnly = 1;
    private const int ORdWr = 2;
    private const int OCreat = 0x40;
    private const int OExcl = 0x80;
    private const int OCloExec = 0x80000;

    // These two differ between x86_64 and arm64 (asm-generic vs. the arm64 uapi headers).
    private static readonly int ODirectory = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;
    private static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    // O_TMPFILE is __O_TMPFILE (the same on both) together with O_DIRECTORY.
    private static readonly int OTmpFile = 0x400000 | ODirectory;

    private static bool _linkByFd = true;

    private const int AtSymlinkFollow = 0x400;
    private const int EPerm = 1;
    private const int EIsDir = 21;
    private const int EInval = 22;
    private const int EOpNotSupp = 95;
    private const int ENoEnt = 2;
    private const int EExist = 17;
    private const int ENotDir = 20;
    private const int EIntr = 4;
    private const int EWouldBlock = 11;
    private const int ELoop = 40;

    /// <summary>The status of <paramref name="path"/> itself (a symlink is described, not followed).</summary>
    /// <exception cref="FileNotFoundException">Nothing is at <paramref name="path"/>.</exception>
    public static FileStatus Lstat(string path)
    {
        if (TryLstat(path, out var status))
        {
            return status;
        }

        throw new FileNotFoundException($"{path}: no such file or directory", path);
    }

    /// <summary>The status of <paramref name="path"/> itself; false when nothing is there (or a parent is not a directory).</summary>
    public static unsafe bool TryLstat(string path, out FileStatus status)
    {
        byte* buffer = stackalloc byte[StatxSize];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENoEnt or ENotDir)
            {
                status = default;
                return false;
            }

            throw Error("lstat", path, errno);
        }

        status = Decode(buffer);
        return true;
    }

    /// <summary>The status of the open file <paramref name="handle"/>, for checking that what was opened is what was expected.</summary>
    public static unsafe FileStatus Fstat(SafeFileHandle handle)
    {
        byte* buffer = stackalloc byte[StatxSize];
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (statx((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath | AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
            {
                throw Error("fstat", $"fd {handle.DangerousGetHandle()}", Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        return Decode(buffer);
    }

    /// <summary>The effective user and group ids of this process.</summary>
    public static (uint Uid, uint Gid) EffectiveIds() => (geteuid(), getegid());

    /// <summary>Sets the owner of <paramref name="path"/> itself; a symlink's own owner changes, not its target's.</summary>
    public static void Lchown(string path, uint uid, uint gid)
    {
        if (lchown(path, uid, gid) != 0)
        {
            throw Error("lchown", path, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Sets the owner of the open file <paramref name="handle"/> (<paramref name="path"/> is only for the message).</summary>
    public static void Fchown(SafeFileHandle handle, uint uid, uint gid, string path)
    {
        if (fchown(handle, uid, gid) != 0)
        {
            throw Error("fchown", path, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Sets the permission bits of the open file <paramref name="handle"/> exactly, with no umask involved.</summary>
    public static void Fchmod(SafeFileHandle handle, UnixFileMode mode, string path)
    {
        if (fchmod(handle, (uint)mode) != 0)
        {
            throw Error("fchmod", path, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Sets the permission bits of <paramref name="path"/> exactly. Follows a symlink, so call it only on paths gen created.</summary>
    public static void Chmod(string path, UnixFileMode mode)
    {
        if (chmod(path, (uint)mode) != 0)
        {
            throw Error("chmod", path, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Creates the directory <paramref name="path"/> and sets its mode exactly; false when something is already there.</summary>
    public static bool Mkdir(string path, UnixFileMode mode)
    {
        // mkdir's mode is filtered by the umask, so chmod afterwards to get exactly the bits asked for.
        if (mkdir(path, (uint)mode) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EExist)
            {
                return false;
            }

            throw Error("mkdir", path, errno);
        }

        Chmod(path, mode);
        return true;
    }

    /// <summary>Flushes the file's data and metadata to the disk (<c>fsync</c>).</summary>
    public static void Fsync(SafeFileHandle handle, string? pathForMessage = null)
    {
        if (fsync(handle) != 0)
        {
            throw Error("fsync", pathForMessage ?? "file", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Makes the entries of the directory <paramref name="path"/> durable: creations, renames and deletions in it survive a crash.</summary>
    public static void FsyncDirectory(string path)
    {
        using var handle = OpenDirectory(path);
        Fsync(handle, path);
    }

    /// <summary>Flushes everything pending on the file system that holds <paramref name="path"/> (<c>syncfs</c>): one call makes a whole batch of writes durable.</summary>
    public static void SyncFs(string path)
    {
        using var handle = OpenDirectory(path);
        if (syncfs(handle) != 0)
        {
            throw Error("syncfs", path, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Renames <paramref name="from"/> to <paramref name="to"/> with <c>rename(2)</c>: atomically replaces whatever <paramref name="to"/> was, including a symlink (which is replaced, not followed).</summary>
    public static void Rename(string from, string to)
    {
        if (rename(from, to) != 0)
        {
            throw Error("rename", $"{from} -> {to}", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Removes the file or symlink <paramref name="path"/> (never a directory, never following a symlink); false when nothing was there.</summary>
    public static bool Unlink(string path)
    {
        if (unlink(path) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == ENoEnt)
            {
                return false;
            }

            throw Error("unlink", path, errno);
        }

        return true;
    }

    /// <summary>Opens an existing file for reading, refusing a symlink as the last path component.</summary>
    /// <exception cref="FileNotFoundException">Nothing is at <paramref name="path"/>.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a symlink, or another error.</exception>
    public static SafeFileHandle OpenReadNoFollow(string path) => Open(path, ORdOnly | ONoFollow | OCloExec, 0, "open");

    /// <summary>Creates a new file for writing with O_EXCL and O_NOFOLLOW: fails if anything, even a dangling symlink, is already at <paramref name="path"/>.</summary>
    /// <remarks>The file starts with mode 0600 (less the umask); set the final mode with <see cref="Fchmod"/>.</remarks>
    /// <exception cref="IOException">Something is already there (<see cref="IOException.HResult"/> is 17, EEXIST), or another error.</exception>
    public static SafeFileHandle CreateExclusive(string path) =>
        Open(path, OWrOnly | OCreat | OExcl | ONoFollow | OCloExec, 0x180 /* 0600 */, "create");

    /// <summary>Creates an unnamed file for writing in <paramref name="folder"/> (<c>O_TMPFILE</c>, mode 0600 less the umask); null when the file system cannot.</summary>
    /// <remarks>The file has no name until <see cref="TryLink"/> gives it one, so a crash never leaves it behind, complete or not.</remarks>
    public static SafeFileHandle? TryCreateUnnamed(string folder)
    {
        int fd;
        do
        {
            fd = open(folder, OTmpFile | OWrOnly | OCloExec, 0x180 /* 0600 */);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EIntr);

        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        var errno = Marshal.GetLastPInvokeError();

        // Kernels or file systems without O_TMPFILE answer EOPNOTSUPP, or EISDIR/EINVAL when they do not know the flag.
        return errno is EOpNotSupp or EIsDir or EInval ? null : throw Error("open unnamed file in", folder, errno);
    }

    /// <summary>Gives the unnamed file <paramref name="handle"/> (from <see cref="TryCreateUnnamed"/>) the name <paramref name="path"/>; false when something already has that name, which is left alone.</summary>
    public static bool TryLink(SafeFileHandle handle, string path)
    {
        // linkat(fd, "", AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH (without it: ENOENT or EPERM); the /proc/self/fd form
        // works for any caller where /proc is mounted. Whichever worked is kept for the next call.
        int errno;
        if (Volatile.Read(ref _linkByFd))
        {
            if (linkat(handle, string.Empty, AtFdCwd, path, AtEmptyPath) == 0)
            {
                return true;
            }

            errno = Marshal.GetLastPInvokeError();
            if (errno is not (EPerm or ENoEnt))
            {
                return errno == EExist ? false : throw Error("link", path, errno);
            }
        }

        if (linkat(AtFdCwd, "/proc/self/fd/" + handle.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture), AtFdCwd, path, AtSymlinkFollow) == 0)
        {
            Volatile.Write(ref _linkByFd, false);
            return true;
        }

        errno = Marshal.GetLastPInvokeError();
        if (errno != ENoEnt)
        {
            Volatile.Write(ref _linkByFd, false);
        }

        return errno == EExist ? false : throw Error("link", path, errno);
    }

    /// <summary>Opens a directory read-only (for fsync, syncfs or as an anchor), refusing a symlink.</summary>
    public static SafeFileHandle OpenDirectory(string path) => Open(path, ORdOnly | ODirectory | ONoFollow | OCloExec, 0, "open directory");

    /// <summary>Opens or creates a file read-write with <paramref name="mode"/> for creation, without .NET's own advisory locking.</summary>
    internal static SafeFileHandle OpenOrCreateRaw(string path, UnixFileMode mode) =>
        Open(path, ORdWr | OCreat | ONoFollow | OCloExec, (uint)mode, "open");

    /// <summary>Takes (or, with <paramref name="wait"/> false, tries to take) an exclusive flock; false when another open file holds it.</summary>
    internal static bool Flock(SafeFileHandle handle, bool exclusive, bool wait, string path)
    {
        var op = (exclusive ? 2 : 1) | (wait ? 0 : 4);
        while (flock(handle, op) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EIntr)
            {
                continue;
            }

            if (errno == EWouldBlock && !wait)
            {
                return false;
            }

            throw Error("flock", path, errno);
        }

        return true;
    }

    /// <summary>Releases a flock early (closing the handle releases it too).</summary>
    internal static void Funlock(SafeFileHandle handle, string path)
    {
        if (flock(handle, 8) != 0)
        {
            throw Error("flock", path, Marshal.GetLastPInvokeError());
        }
    }

    private static SafeFileHandle Open(string path, int flags, uint mode, string what)
    {
        int fd;
        do
        {
            fd = open(path, flags, mode);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EIntr);

        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == ENoEnt)
            {
                throw new FileNotFoundException($"{path}: cannot {what}: no such file or directory", path);
            }

            if (errno == ELoop && (flags & ONoFollow) != 0)
            {
                throw new IOException($"{path}: cannot {what}: it is a symlink and gen does not follow symlinks here", ELoop);
            }

            throw Error(what, path, errno);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static unsafe FileStatus Decode(byte* b)
    {
        // struct statx offsets: uid 20, gid 24, mode 28 (u16), nlink 16, ino 32, size 40,
        // ctime 96, mtime 112 ({i64 sec, u32 nsec}), dev_major 136, dev_minor 140.
        var rawMode = *(ushort*)(b + 28);
        var kind = (rawMode & 0xF000) switch
        {
            0x8000 => FileKind.File,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.Symlink,
            _ => FileKind.Other,
        };
        var major = *(uint*)(b + 136);
        var minor = *(uint*)(b + 140);
        return new FileStatus(
            kind,
            (UnixFileMode)(rawMode & 0xFFF),
            *(uint*)(b + 20),
            *(uint*)(b + 24),
            *(long*)(b + 40),
            TimeNs(b + 112),
            TimeNs(b + 96),
            *(ulong*)(b + 32),
            MakeDev(major, minor),
            *(uint*)(b + 16));
    }

    private static unsafe long TimeNs(byte* timestamp) => (*(long*)timestamp * 1_000_000_000L) + *(uint*)(timestamp + 8);

    // glibc's makedev encoding, so Device equals st_dev from stat(2) and `stat -c %d`.
    private static ulong MakeDev(ulong major, ulong minor) =>
        ((major & 0xfffff000UL) << 32) | ((major & 0xfffUL) << 8) | ((minor & 0xffffff00UL) << 12) | (minor & 0xffUL);

    private static IOException Error(string call, string path, int errno) =>
        new($"{path}: {call} failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint uid, uint gid);

    [LibraryImport(Libc)]
    private static partial uint geteuid();

    [LibraryImport(Libc)]
    private static partial uint getegid();

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int fchown(SafeFileHandle fd, uint uid, uint gid);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int fchmod(SafeFileHandle fd, uint mode);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chmod(string path, uint mode);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdir(string path, uint mode);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int fsync(SafeFileHandle fd);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int syncfs(SafeFileHandle fd);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int unlink(string path);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string from, string to);

    // open is variadic in C; on the System V ABIs .NET runs on, passing the mode as a third
    // fixed argument is how every caller (including .NET's own native shim) does it.
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, uint mode);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int flock(SafeFileHandle fd, int operation);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int linkat(SafeFileHandle olddirfd, string oldpath, int newdirfd, string newpath, int flags);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int linkat(int olddirfd, string oldpath, int newdirfd, string newpath, int flags);
}
