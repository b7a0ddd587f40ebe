using System.Runtime.InteropServices;
using System.Text;

namespace GenStore.Git;

/// <summary>The few libgit2 calls the hot path of a compile makes directly: listing trees and reading blobs.</summary>
/// <remarks>
/// LibGit2Sharp reads a blob twice (once for its size through a generic object lookup, once for the content, and
/// libgit2 does not cache blobs) and wraps every tree entry in several objects; for a 20,000-file tree that was
/// most of a compile. These calls go to the same Debian libgit2 that LibGit2Sharp is bound to
/// (<see cref="NativeBinding"/>), so there is one library, initialised by LibGit2Sharp, with two callers.
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
            var oid = default(Oid);
            Span<byte> bytes = stackalloc byte[20];
            Convert.FromHexString(hex, bytes, out _, out var written);
            if (written != 20)
            {
                throw new ArgumentException($"not a SHA-1 object id: {hex}", nameof(hex));
            }

            bytes.CopyTo(new Span<byte>(oid.Id, 20));
            return oid;
        }

        public static string ToHex(Oid* oid) => Convert.ToHexStringLower(new ReadOnlySpan<byte>(oid->Id, 20));
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
        // Reference-counted in libgit2; LibGit2Sharp has initialised it already, this keeps the count balanced for us.
        NativeGit.Init();
        NativeGit.Check(NativeGit.RepositoryOpen(out _handle, gitFolder), $"open {gitFolder}");
    }

    public IntPtr Handle => _handle;

    /// <summary>The entries of the tree at <paramref name="directory"/> of a commit: name, mode, object id; null when there is no such folder.</summary>
    public unsafe List<(string Name, int Mode, string Id)>? ListTree(string commitSha, string directory)
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
            var result = new List<(string, int, string)>(count);
            for (var i = 0; i < count; i++)
            {
                var entry = NativeGit.TreeEntryByIndex(tree, (nuint)i);
                result.Add((NativeGit.Utf8(NativeGit.TreeEntryName(entry)), NativeGit.TreeEntryFileMode(entry), NativeGit.Oid.ToHex(NativeGit.TreeEntryId(entry))));
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
