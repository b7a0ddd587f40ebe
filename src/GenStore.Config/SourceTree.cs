namespace GenStore.Config;

/// <summary>The kind of one entry in a config source tree.</summary>
public enum SourceEntryKind
{
    /// <summary>A regular file (executable or not).</summary>
    File,

    /// <summary>A folder.</summary>
    Directory,

    /// <summary>A symbolic link; its target is in <see cref="SourceEntry.LinkTarget"/>.</summary>
    Symlink,

    /// <summary>Anything else (a git submodule, a device, a socket): never installed.</summary>
    Other,
}

/// <summary>One file, folder or symlink of a config source tree, named by its '/'-separated path relative to the repo root.</summary>
/// <param name="Path">Relative path, '/'-separated, no leading or trailing '/'; the root is the empty string.</param>
/// <param name="Kind">What the entry is.</param>
/// <param name="Executable">For files: whether the exec bit is set (git mode 100755).</param>
/// <param name="ContentKey">A key that changes exactly when the content changes (the git blob id), or null when the tree has none; the compiler caches hashes under it.</param>
/// <param name="LinkTarget">For symlinks: the target, verbatim.</param>
public sealed record SourceEntry(string Path, SourceEntryKind Kind, bool Executable = false, string? ContentKey = null, string? LinkTarget = null)
{
    /// <summary>The last path component.</summary>
    public string Name => Path[(Path.LastIndexOf('/') + 1)..];
}

/// <summary>A read-only snapshot of a config repository's files: a git commit, or a plain folder for tests and tooling.</summary>
/// <remarks>Implementations must be safe to read from several threads at once; the compiler hashes files in parallel.</remarks>
public interface ISourceTree
{
    /// <summary>A short human name for messages, such as <c>commit 1a2b3c4d</c> or a folder path.</summary>
    string Name { get; }

    /// <summary>The entry at <paramref name="path"/>, or null when there is none.</summary>
    SourceEntry? Find(string path);

    /// <summary>The direct children of the folder at <paramref name="directory"/>, sorted by name in ordinal order.</summary>
    /// <exception cref="InputException">The folder does not exist.</exception>
    IReadOnlyList<SourceEntry> List(string directory);

    /// <summary>Opens the content of a file entry for reading.</summary>
    Stream OpenRead(SourceEntry file);

    /// <summary>Reads a file entry's whole content and passes it to <paramref name="use"/>; the span is only valid during the call.</summary>
    /// <remarks>The fast path for hashing: a git blob is handed over from libgit2's buffer without a copy.</remarks>
    T ReadContent<T>(SourceEntry file, ContentReader<T> use);
}

/// <summary>Receives the content of a source file for the duration of one call.</summary>
public delegate T ContentReader<T>(ReadOnlySpan<byte> content);
