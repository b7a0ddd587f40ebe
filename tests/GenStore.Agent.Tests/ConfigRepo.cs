using System.Net;
using System.Net.Sockets;
using GenStore.Testing;

namespace GenStore.Agent.Tests;

/// <summary>A config repo for a fleet: a work tree where commits are made and a bare repo the hosts fetch from.</summary>
internal sealed class ConfigRepo : IDisposable
{
    private readonly TempDir _bare = new("gen-fleet-remote");

    public ConfigRepo()
    {
        BarePath = _bare.Combine("fleet.git");
        GitRepo.Run(_bare.Path, "init", "-q", "--bare", "-b", "main", BarePath);
        Work.Write("main.gen", App("good 1"));
        Publish("main", Work.Commit("base"));
    }

    public GitRepo Work { get; } = new();

    /// <summary>The bare repository the hosts fetch from.</summary>
    public string BarePath { get; }

    /// <summary>A main.gen that installs one file whose content the health check reads.</summary>
    public static string App(string content) => $"file \"/srv/app.conf\" {{ content = \"{content}\\n\" }}\n";

    /// <summary>Commits <paramref name="files"/> on <paramref name="branch"/> (created from main when new), pushes it, and returns the commit.</summary>
    public string CommitOn(string branch, params (string Path, string Content)[] files)
    {
        var exists = Work.Git("branch", "--list", branch).Trim().Length > 0;
        Work.Git(exists ? ["checkout", "-q", branch] : ["checkout", "-q", "-b", branch, "main"]);
        foreach (var (path, content) in files)
        {
            Work.Write(path, content);
        }

        var commit = Work.Commit($"change on {branch}");
        Publish(branch, commit);
        Work.Git("checkout", "-q", "main");
        return commit;
    }

    /// <summary>Points <paramref name="branch"/> of the remote at <paramref name="commit"/>.</summary>
    public void Publish(string branch, string commit) => Work.Git("push", "-q", "--force", BarePath, $"{commit}:refs/heads/{branch}");

    /// <summary>A free TCP port on the loopback interface.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Work.Dispose();
        _bare.Dispose();
    }
}
