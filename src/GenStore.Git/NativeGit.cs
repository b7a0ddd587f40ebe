using System.Runtime.InteropServices;
using System.Text;

namespace GenStore.Git;

/// <summary>The libgit2 calls a compile makes: opening a repository, resolving a revision, listing trees and reading blobs.</summary>
/// <remarks>
/// LibGit2Sharp reads a blob twice (once for its size through a generic object lookup, once for the content, and
/// libgit2 does not cache blobs) and wraps every tree entry in several objects; for a 20,000-file tree that was
/// most of a compile, and its start-up was 35-60 ms of every new process. These calls go to the same Debian
/// libgit2 that LibGit2Sharp is bound to (<see cref="NativeBinding"/>), so there is one library.
/// </remarks>
internal static partial class NativeGit
{
    private const string Library = NativeBinding.DebianLibrary;

    /// <summary>A git object id (SHA-1) as libgit2 lays it out.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct Oid
    {
        public fixed byte Id[20];

        public static Oid Parse(string hex)
        {
            // A plain loop rather than Convert.FromHexString: this runs for every blob, and the framework's vectorised
            // version is a generic method that a new process has to JIT-compile first.
            var oid = default(Oid);
            if (hex.Length != 40)
            {
                throw new ArgumentException($"not a SHA-1 object id: {hex}", nameof(hex));
            }

            for (var i = 0; i < 20; i++)
            {
                var high = Nibble(hex[2 * i]);
                var low = Nibble(hex[(2 * i) + 1]);
                if ((high | low) < 0)
                {
                    throw new ArgumentException($"not a SHA-1 object id: {hex}", nameof(hex));
                }

                oid.Id[i] = (byte)((high << 4) | low);
            }

            return oid;
        }

        public static string ToHex(Oid* oid)
        {
            Span<char> text = stackalloc char[40];
            for (var i = 0; i < 20; i++)
            {
                text[2 * i] = Digits[oid->Id[i] >> 4];
                text[(2 * i) + 1] = Digits[oid->Id[i] & 0xF];
            }

            return new string(text);
        }

        private static int Nibble(char c) => c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };

        private static ReadOnlySpan<char> Digits => "0123456789abcdef";
    }

    // git_libgit2_opts option numbers (libgit2 1.x, include/git2/common.h).
    private const int SetMWindowSize = 1;
    private const int SetMWindowMappedLimit = 3;

    private static int _packMappingBounded;

    /// <summary>Makes libgit2 map pack files in 32 MiB windows, at most 128 MiB at a time, process-wide.</summary>
    /// <remarks>By default one 1 GiB window covers a whole pack and every page read stays mapped, so reading all
    /// blobs of a 270 MB tree added the whole pack to the resident set (peak RSS over 300 MB). Must run before
    /// the first pack is opened: a window, once mapped, keeps its size.</remarks>
    internal static void BoundPackMapping()
    {
        if (Interlocked.Exchange(ref _packMappingBounded, 1) == 0)
        {
            _ = SetOption(SetMWindowSize, 32 << 20);
            _ = SetOption(SetMWindowMappedLimit, 128 << 20);
        }
    }

    private const int EnableStrictHashVerification = 22;

    private static int _verificationOff;

    /// <summary>
    /// libgit2 re-computes the SHA-1 of every object it reads; the git CLI does not, and zlib's own checksum already
    /// catches damaged objects. For a 270 MB tree that check was a third of a cold compile, so it is turned off
    /// (process-wide; only this assembly uses libgit2). Payloads are hashed with BLAKE3 as they are stored anyway.
    /// </summary>
    internal static void DisableHashVerification()
    {
        if (Interlocked.Exchange(ref _verificationOff, 1) == 0)
        {
            _ = SetOption(EnableStrictHashVerification, 0);
        }
    }

    /// <summary>The message of libgit2's last error on this thread, or a generic one.</summary>
    internal static unsafe string LastError()
    {
        var error = ErrorLast();
        return error == null || error->Message == null ? "unknown libgit2 error" : Utf8(error->Message);
    }

    /// <summary>The repository's git folder (<c>.git/</c> of a work tree, or the bare repository itself).</summary>
    internal static unsafe string RepositoryPath(IntPtr repository) => Utf8(RepositoryPathRaw(repository));

    /// <summary>The full hash of a commit object.</summary>
    internal static unsafe string CommitSha(IntPtr commit) => Oid.ToHex(CommitId(commit));

    /// <summary>The first paragraph of a commit message on one line (<c>git_commit_summary</c>), empty for none.</summary>
    internal static unsafe string CommitSummary(IntPtr commit)
    {
        var summary = CommitSummaryRaw(commit);
        return summary == null ? string.Empty : Utf8(summary);
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct Error
    {
        public byte* Message;
        public int Klass;
    }

    [LibraryImport(Library, EntryPoint = "git_error_last")]
    private static unsafe partial Error* ErrorLast();

    [LibraryImport(Library, EntryPoint = "git_repository_open_ext", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int RepositoryOpenExt(out IntPtr repository, string path, uint flags, string? ceilingDirs);

    [LibraryImport(Library, EntryPoint = "git_repository_path")]
    private static unsafe partial byte* RepositoryPathRaw(IntPtr repository);

    [LibraryImport(Library, EntryPoint = "git_revparse_single", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int RevparseSingle(out IntPtr obj, IntPtr repository, string spec);

    [LibraryImport(Library, EntryPoint = "git_object_type")]
    internal static partial int ObjectType(IntPtr obj);

    [LibraryImport(Library, EntryPoint = "git_object_peel")]
    internal static partial int ObjectPeel(out IntPtr peeled, IntPtr obj, int targetType);

    [LibraryImport(Library, EntryPoint = "git_object_free")]
    internal static partial void ObjectFree(IntPtr obj);

    [LibraryImport(Library, EntryPoint = "git_commit_id")]
    private static unsafe partial Oid* CommitId(IntPtr commit);

    [LibraryImport(Library, EntryPoint = "git_commit_summary")]
    private static unsafe partial byte* CommitSummaryRaw(IntPtr commit);

    // Variadic in C; on x86-64 and arm64 Linux an int and a size_t go in the same registers either way.
    [LibraryImport(Library, EntryPoint = "git_libgit2_opts")]
    private static partial int SetOption(int option, nuint value);

    [LibraryImport(Library, EntryPoint = "git_libgit2_init")]
    internal static partial int Init();

    [LibraryImport(Library, EntryPoint = "git_repository_open", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int RepositoryOpen(out IntPtr repository, string path);

    [LibraryImport(Library, EntryPoint = "git_repository_free")]
    internal static partial void RepositoryFree(IntPtr repository);

    [LibraryImport(Library, EntryPoint = "git_commit_lookup")]
    internal static unsafe partial int CommitLookup(out IntPtr commit, IntPtr repository, Oid* id);

    [LibraryImport(Library, EntryPoint = "git_commit_tree")]
    internal static partial int CommitTree(out IntPtr tree, IntPtr commit);

    [LibraryImport(Library, EntryPoint = "git_commit_free")]
    internal static partial void CommitFree(IntPtr commit);

    [LibraryImport(Library, EntryPoint = "git_tree_entry_bypath", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int TreeEntryByPath(out IntPtr entry, IntPtr root, string path);

    [LibraryImport(Library, EntryPoint = "git_tree_entry_free")]
    internal static partial void TreeEntryFree(IntPtr entry);

    [LibraryImport(Library, EntryPoint = "git_tree_lookup")]
    internal static unsafe partial int TreeLookup(out IntPtr tree, IntPtr repository, Oid* id);

    [LibraryImport(Library, EntryPoint = "git_tree_free")]
    internal static partial void TreeFree(IntPtr tree);

    [LibraryImport(Library, EntryPoint = "git_tree_entrycount")]
    internal static partial nuint TreeEntryCount(IntPtr tree);

    [LibraryImport(Library, EntryPoint = "git_tree_entry_byindex")]
    internal static partial IntPtr TreeEntryByIndex(IntPtr tree, nuint index);

    [LibraryImport(Library, EntryPoint = "git_tree_entry_name")]
    internal static unsafe partial byte* TreeEntryName(IntPtr entry);

    [LibraryImport(Library, EntryPoint = "git_tree_entry_id")]
    internal static unsafe partial Oid* TreeEntryId(IntPtr entry);

    [LibraryImport(Library, EntryPoint = "git_tree_entry_filemode")]
    internal static partial int TreeEntryFileMode(IntPtr entry);

    [LibraryImport(Library, EntryPoint = "git_blob_lookup")]
    internal static unsafe partial int BlobLookup(out IntPtr blob, IntPtr repository, Oid* id);

    [LibraryImport(Library, EntryPoint = "git_blob_rawcontent")]
    internal static unsafe partial byte* BlobRawContent(IntPtr blob);

    [LibraryImport(Library, EntryPoint = "git_blob_rawsize")]
    internal static partial ulong BlobRawSize(IntPtr blob);

    [LibraryImport(Library, EntryPoint = "git_blob_free")]
    internal static partial void BlobFree(IntPtr blob);

    internal static unsafe string Utf8(byte* text) => Marshal.PtrToStringUTF8((IntPtr)text) ?? string.Empty;

    internal static void Check(int code, string what)
    {
        if (code < 0)
        {
            throw new IOException($"libgit2 failed to {what} (error {code}); run 'git fsck' on the repository");
        }
    }
}

/// <summary>A libgit2 repository handle owned by one thread.</summary>
internal sealed class NativeRepository : IDisposable
{
    private IntPtr _handle;

    public NativeRepository(string gitFolder)
    {
        // Reference-counted in libgit2 and never shut down: the library stays initialised for the life of the process.
        NativeGit.Init();
        NativeGit.Check(NativeGit.RepositoryOpen(out _handle, gitFolder), $"open {gitFolder}");
    }

    public IntPtr Handle => _handle;

    /// <summary>The entries of the tree at <paramref name="directory"/> of a commit: name, mode, object id; null when there is no such folder.</summary>
    public unsafe List<TreeItem>? ListTree(string commitSha, string directory)
    {
        var commitId = NativeGit.Oid.Parse(commitSha);
        NativeGit.Check(NativeGit.CommitLookup(out var commit, _handle, &commitId), $"read commit {commitSha}");
        IntPtr tree = IntPtr.Zero;
        try
        {
            NativeGit.Check(NativeGit.CommitTree(out var root, commit), $"read the tree of commit {commitSha}");
            tree = root;
            if (directory.Length > 0)
            {
                if (NativeGit.TreeEntryByPath(out var entry, root, directory) < 0)
                {
                    return null;
                }

                try
                {
                    if (NativeGit.TreeEntryFileMode(entry) != 0x4000)
                    {
                        return null;
                    }

                    NativeGit.Check(NativeGit.TreeLookup(out var sub, _handle, NativeGit.TreeEntryId(entry)), $"read tree {directory}");
                    NativeGit.TreeFree(root);
                    tree = sub;
                }
                finally
                {
                    NativeGit.TreeEntryFree(entry);
                }
            }

            var count = (int)NativeGit.TreeEntryCount(tree);
            var result = new List<TreeItem>(count);
            for (var i = 0; i < count; i++)
            {
                var entry = NativeGit.TreeEntryByIndex(tree, (nuint)i);
                result.Add(new TreeItem(NativeGit.Utf8(NativeGit.TreeEntryName(entry)), NativeGit.TreeEntryFileMode(entry), NativeGit.Oid.ToHex(NativeGit.TreeEntryId(entry))));
            }

            return result;
        }
        finally
        {
            if (tree != IntPtr.Zero)
            {
                NativeGit.TreeFree(tree);
            }

            NativeGit.CommitFree(commit);
        }
    }

    /// <summary>The regular files whose content differs between two commits, as (path, executable, new blob id); null when
    /// anything else differs (an entry added, removed or renamed, a mode changed, a symlink or submodule changed) or when
    /// more than <paramref name="limit"/> files changed.</summary>
    /// <remarks>Subtrees with the same id are skipped unread, so the walk costs in proportion to the change, not the tree.</remarks>
    public unsafe List<TreeItem>? ContentChanges(string fromSha, string toSha, int limit)
    {
        var fromId = NativeGit.Oid.Parse(fromSha);
        var toId = NativeGit.Oid.Parse(toSha);
        NativeGit.Check(NativeGit.CommitLookup(out var fromCommit, _handle, &fromId), $"read commit {fromSha}");
        IntPtr toCommit = IntPtr.Zero, fromTree = IntPtr.Zero, toTree = IntPtr.Zero;
        try
        {
            NativeGit.Check(NativeGit.CommitLookup(out toCommit, _handle, &toId), $"read commit {toSha}");
            NativeGit.Check(NativeGit.CommitTree(out fromTree, fromCommit), $"read the tree of commit {fromSha}");
            NativeGit.Check(NativeGit.CommitTree(out toTree, toCommit), $"read the tree of commit {toSha}");
            var changes = new List<TreeItem>();
            return Compare(fromTree, toTree, string.Empty, changes, limit) ? changes : null;
        }
        finally
        {
            foreach (var tree in (ReadOnlySpan<IntPtr>)[fromTree, toTree])
            {
                if (tree != IntPtr.Zero)
                {
                    NativeGit.TreeFree(tree);
                }
            }

            if (toCommit != IntPtr.Zero)
            {
                NativeGit.CommitFree(toCommit);
            }

            NativeGit.CommitFree(fromCommit);
        }
    }

    // True when the two trees differ only in the content of regular files (collected into changes, at most limit).
    private unsafe bool Compare(IntPtr from, IntPtr to, string prefix, List<TreeItem> changes, int limit)
    {
        var count = NativeGit.TreeEntryCount(from);
        if (NativeGit.TreeEntryCount(to) != count)
        {
            return false;
        }

        for (nuint i = 0; i < count; i++)
        {
            var a = NativeGit.TreeEntryByIndex(from, i);
            var b = NativeGit.TreeEntryByIndex(to, i);
            var mode = NativeGit.TreeEntryFileMode(a);
            var name = NativeGit.Utf8(NativeGit.TreeEntryName(a));
            if (mode != NativeGit.TreeEntryFileMode(b) || name != NativeGit.Utf8(NativeGit.TreeEntryName(b)))
            {
                return false;
            }

            var aId = NativeGit.TreeEntryId(a);
            var bId = NativeGit.TreeEntryId(b);
            if (new ReadOnlySpan<byte>(aId->Id, 20).SequenceEqual(new ReadOnlySpan<byte>(bId->Id, 20)))
            {
                continue;
            }

            var path = prefix + name;
            switch (mode)
            {
                case 0x4000:
                    NativeGit.Check(NativeGit.TreeLookup(out var subFrom, _handle, aId), $"read tree {path}");
                    try
                    {
                        NativeGit.Check(NativeGit.TreeLookup(out var subTo, _handle, bId), $"read tree {path}");
                        try
                        {
                            if (!Compare(subFrom, subTo, path + "/", changes, limit))
                            {
                                return false;
                            }
                        }
                        finally
                        {
                            NativeGit.TreeFree(subTo);
                        }
                    }
                    finally
                    {
                        NativeGit.TreeFree(subFrom);
                    }

                    break;
                case 0x81A4 or 0x81B4 or 0x81ED:
                    if (changes.Count == limit)
                    {
                        return false;
                    }

                    changes.Add(new TreeItem(path, mode, NativeGit.Oid.ToHex(bId)));
                    break;
                default:
                    // A symlink's target or a submodule's commit: the evaluator reads those, so not a payload-only change.
                    return false;
            }
        }

        return true;
    }

    /// <summary>Reads a blob in one lookup and hands its bytes to <paramref name="use"/> while they are valid.</summary>
    public unsafe T ReadBlob<T>(string blobSha, Func<ReadOnlySpan<byte>, T> use)
    {
        var id = NativeGit.Oid.Parse(blobSha);
        NativeGit.Check(NativeGit.BlobLookup(out var blob, _handle, &id), $"read blob {blobSha}");
        try
        {
            var size = NativeGit.BlobRawSize(blob);
            var content = NativeGit.BlobRawContent(blob);
            return use(new ReadOnlySpan<byte>(content, checked((int)size)));
        }
        finally
        {
            NativeGit.BlobFree(blob);
        }
    }

    public void Dispose()
    {
        if (_handle != IntPtr.Zero)
        {
            NativeGit.RepositoryFree(_handle);
            _handle = IntPtr.Zero;
        }
    }
}

/// <summary>One entry of a git tree: its name, its git file mode and its object id (a class, so lists of it run precompiled framework code).</summary>
internal sealed record TreeItem(string Name, int Mode, string Id);
