using System.Diagnostics;

namespace GenStore.Testing;

/// <summary>A real git work tree in a temp folder, driven through the git CLI: the config repo of end-to-end tests.</summary>
public sealed class GitRepo : IDisposable
{
    private readonly TempDir _dir;

    /// <summary>Creates an empty repository on branch main.</summary>
    public GitRepo()
    {
        _dir = new TempDir("gen-repo");
        Path = _dir.Path;
        Git("init", "-q", "-b", "main");
    }

    /// <summary>The work tree.</summary>
    public string Path { get; }

    /// <summary>Writes a text file in the work tree, creating folders.</summary>
    public GitRepo Write(string relative, string content) => WriteBytes(relative, System.Text.Encoding.UTF8.GetBytes(content));

    /// <summary>Writes a file with raw bytes, creating folders.</summary>
    public GitRepo WriteBytes(string relative, byte[] content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        return this;
    }

    /// <summary>Deletes a file or a folder from the work tree.</summary>
    public GitRepo Delete(string relative)
    {
        var full = System.IO.Path.Combine(Path, relative);
        if (Directory.Exists(full))
        {
            Directory.Delete(full, recursive: true);
        }
        else
        {
            File.Delete(full);
        }

        return this;
    }

    /// <summary>Stages everything and commits; returns the new commit's full hash.</summary>
    public string Commit(string message = "change")
    {
        Git("add", "-A");
        Git("commit", "-q", "--allow-empty", "-m", message);
        return Git("rev-parse", "HEAD").Trim();
    }

    /// <summary>Runs git with <paramref name="args"/> in the work tree and returns its standard output.</summary>
    public string Git(params string[] args) => Run(Path, args);

    /// <summary>Runs git in <paramref name="workingDirectory"/>, isolated from the user's and system's git config.</summary>
    public static string Run(string workingDirectory, params string[] args) => Run(workingDirectory, null, args);

    /// <summary>Runs git in <paramref name="workingDirectory"/> with <paramref name="environment"/> added, isolated from the user's and system's git config.</summary>
    public static string Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["GIT_AUTHOR_NAME"] = "Test";
        start.Environment["GIT_AUTHOR_EMAIL"] = "test@example.org";
        start.Environment["GIT_COMMITTER_NAME"] = "Test";
        start.Environment["GIT_COMMITTER_EMAIL"] = "test@example.org";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({process.ExitCode}): {stderr}");
        }

        return stdout.Result;
    }

    /// <inheritdoc/>
    public void Dispose() => _dir.Dispose();
}
