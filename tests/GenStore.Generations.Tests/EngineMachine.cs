using GenStore.Testing;

namespace GenStore.Generations.Tests;

/// <summary>A temp machine (root and state) with a real git config repo, and the engine that moves it between generations.</summary>
internal sealed class EngineMachine : IDisposable
{
    public EngineMachine()
    {
        Machine = new TestRoot();
        Repo = new GitRepo();
    }

    public TestRoot Machine { get; }

    public GitRepo Repo { get; }

    /// <summary>Everything the engine reported (waits, warnings, triggers).</summary>
    public List<string> Reports { get; } = [];

    /// <summary>Writes main.gen and commits it; returns the commit.</summary>
    public string Commit(string mainGen, string message = "change") => Repo.Write("main.gen", mainGen).Commit(message);

    /// <summary>Opens the engine; dispose it before the next one is opened by another process.</summary>
    public Engine Open(bool triggers = true, string? repo = null) =>
        Engine.Open(new EngineOptions(Machine.State, Machine.Root)
        {
            Repo = repo ?? Repo.Path,
            HostId = "test-host",
            LockWaitSeconds = 30,
            RunTriggers = triggers,
            Report = message =>
            {
                lock (Reports)
                {
                    Reports.Add(message);
                }
            },
        });

    /// <summary>Opens the engine, switches, and closes it again.</summary>
    public SwitchOutcome Switch(string target, bool force = false)
    {
        using var engine = Open();
        return engine.Switch(target, force);
    }

    public string Host(string path) => Machine.Host(path);

    public TreeSnapshot Snapshot(bool accounts = true) => Machine.Snapshot(accounts);

    public void Dispose()
    {
        Repo.Dispose();
        Machine.Dispose();
    }
}
