using System.Diagnostics;

namespace GenStore.Git;

/// <summary>The git command-line client, used for transport (clone, fetch) so that the host's ssh config, keys and known_hosts apply.</summary>
public static class GitCli
{
    /// <summary>Makes a bare mirror of <paramref name="remote"/> (a path or URL) at <paramref name="mirror"/>.</summary>
    /// <exception cref="InputException">git could not clone: bad URL, unreachable remote, not a repository.</exception>
    public static void CloneMirror(string remote, string mirror) =>
        Run(null, ["clone", "--quiet", "--mirror", "--", remote, mirror], $"cannot clone {remote}");

    /// <summary>Brings the mirror up to date with its remote, pruning branches deleted there.</summary>
    /// <exception cref="InputException">The fetch failed; the mirror keeps what it had.</exception>
    public static void Fetch(string mirror) =>
        Run(mirror, ["fetch", "--quiet", "--prune", "origin"], "cannot fetch from the remote");

    /// <summary>Makes <paramref name="workTree"/> a git repository on branch main, if it is not one yet.</summary>
    public static void Init(string workTree) =>
        Run(workTree, ["init", "--quiet", "--initial-branch=main"], "cannot create a git repository");

    /// <summary>Commits everything in <paramref name="workTree"/> as a fixed author and returns the commit hash.</summary>
    public static string CommitAll(string workTree, string message)
    {
        Run(workTree, ["add", "--all"], "cannot stage the changes");
        Run(workTree, ["-c", "user.name=gen demo", "-c", "user.email=demo@localhost", "commit", "--quiet", "--allow-empty", "-m", message], "cannot commit");
        return Run(workTree, ["rev-parse", "HEAD"], "cannot read the new commit").Trim();
    }

    /// <summary>The remote URL the mirror fetches from.</summary>
    public static string RemoteOf(string mirror) =>
        Run(mirror, ["config", "--get", "remote.origin.url"], "the mirror has no remote").Trim();

    private static string Run(string? workingDirectory, IReadOnlyList<string> args, string problem)
    {
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }

        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        // Never stop to ask for a password: an agent has no one to answer.
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        using var process = Process.Start(psi) ?? throw new InputException("cannot start git; install it with 'apt-get install git'");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            var why = string.Join(' ', stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            throw new InputException($"{problem}: {why}");
        }

        return stdout.Result;
    }
}
