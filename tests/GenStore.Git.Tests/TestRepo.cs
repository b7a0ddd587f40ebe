using GenStore.Testing;

namespace GenStore.Git.Tests;

/// <summary>A real git repository in a temp folder, driven through the git CLI, for tests of code that reads git.</summary>
public sealed class TestRepo : IDisposable
{
    // Fixed dates make commit ids repeatable from run to run.
    private static readonly Dictionary<string, string> FixedDates = new()
    {
        ["GIT_AUTHOR_DATE"] = "2026-01-01T00:00:00Z",
        ["GIT_COMMITTER_DATE"] = "2026-01-01T00:00:00Z",
    };

    private readonly TempDir _dir;

    /// <summary>Creates an empty repository (a work tree, or bare when <paramref name="bare"/>).</summary>
    public TestRepo(bool bare = false)
    {
        _dir = new TempDir("gen-git");
        Path = _dir.Path;
        Git(bare ? "init -q --bare -b main" : "init -q -b main");
    }

    /// <summary>The repository folder (the work tree, or the bare repository itself).</summary>
    public string Path { get; }

    /// <summary>Writes a file in the work tree, creating folders.</summary>
    public TestRepo Write(string relative, string content, bool executable = false)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        File.SetUnixFileMode(full, executable ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
        return this;
    }

    /// <summary>Writes a file with raw bytes.</summary>
    public TestRepo WriteBytes(string relative, byte[] content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        return this;
    }

    /// <summary>Creates a symlink in the work tree.</summary>
    public TestRepo Symlink(string relative, string target)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.CreateSymbolicLink(full, target);
        return this;
    }

    /// <summary>Deletes a file from the work tree.</summary>
    public TestRepo Delete(string relative)
    {
        File.Delete(System.IO.Path.Combine(Path, relative));
        return this;
    }

    /// <summary>Stages everything and commits; returns the new commit's full hash.</summary>
    public string Commit(string message = "change")
    {
        Git("add -A");
        GitRepo.Run(Path, FixedDates, "commit", "-q", "--allow-empty", "-m", message);
        return Git("rev-parse HEAD").Trim();
    }

    /// <summary>Runs git with <paramref name="arguments"/> (split at spaces) in the repository and returns its standard output.</summary>
    public string Git(string arguments) => Run(Path, arguments);

    /// <summary>Runs git in <paramref name="workingDirectory"/> with fixed commit dates, isolated from the user's and system's git config.</summary>
    public static string Run(string workingDirectory, string arguments) =>
        GitRepo.Run(workingDirectory, FixedDates, arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <inheritdoc/>
    public void Dispose() => _dir.Dispose();
}
