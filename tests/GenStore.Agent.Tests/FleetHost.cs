using GenStore.Generations;
using GenStore.Testing;

namespace GenStore.Agent.Tests;

/// <summary>One simulated machine of a fleet: its own host id, state and root in a temp folder, running the agent in-process.</summary>
internal sealed class FleetHost : IDisposable
{
    /// <summary>A health check that passes when the applied /srv/app.conf says "good".</summary>
    public static readonly string[] GoodContentCheck = ["/bin/sh", "-c", "grep -q good \"$GEN_ROOT/srv/app.conf\""];

    private readonly TestRoot _machine = new();

    public FleetHost(string id, string remote)
    {
        Id = id;
        Config = new AgentConfig
        {
            Remote = remote,
            HostId = id,
            MetricsPath = Path.Combine(_machine.Folder, "metrics", "gen.prom"),
            HealthCheck = GoodContentCheck,
            HealthTimeout = TimeSpan.FromSeconds(20),
        };
    }

    public string Id { get; }

    /// <summary>The settings the next run uses; tests change them with <c>with</c>.</summary>
    public AgentConfig Config { get; set; }

    /// <summary>Every log line the agent wrote.</summary>
    public List<string> Log { get; } = [];

    public string State => _machine.State;

    public string Root => _machine.Root;

    public string MetricsText => File.ReadAllText(Config.MetricsPath!);

    public EngineOptions EngineOptions => new(_machine.State, _machine.Root) { HostId = Id, LockWaitSeconds = 30, RunTriggers = false, Report = Add };

    public AgentRun Run() => new Agent(Config, EngineOptions, Add).RunOnce();

    /// <summary>Reads the engine's state (current generation, events, bad commits) without running the agent.</summary>
    public T Read<T>(Func<Engine, T> read)
    {
        using var engine = Engine.Open(EngineOptions);
        return read(engine);
    }

    public string? Commit => Read(e => e.Db.Current?.Commit);

    public int? Generation => Read(e => e.Db.CurrentNumber);

    public void Dispose() => _machine.Dispose();

    private void Add(string line)
    {
        lock (Log)
        {
            Log.Add(line);
        }
    }
}

/// <summary>Many hosts run together: one agent round over the whole fleet, a few hosts at a time.</summary>
internal sealed class Fleet : IDisposable
{
    public Fleet(int size, string remote)
    {
        Hosts = [.. Enumerable.Range(1, size).Select(i => new FleetHost($"web-{i:D2}", remote))];
    }

    public IReadOnlyList<FleetHost> Hosts { get; }

    /// <summary>Runs every host's agent once (two at a time: the machine has two cores) and returns the runs by host id.</summary>
    public Dictionary<string, AgentRun> Round()
    {
        var runs = new System.Collections.Concurrent.ConcurrentDictionary<string, AgentRun>();
        Parallel.ForEach(Hosts, new ParallelOptions { MaxDegreeOfParallelism = 3 }, host => runs[host.Id] = host.Run());
        return new Dictionary<string, AgentRun>(runs);
    }

    public void Dispose()
    {
        foreach (var host in Hosts)
        {
            host.Dispose();
        }
    }
}
