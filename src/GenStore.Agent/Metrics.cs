using System.Globalization;
using System.Text;
using GenStore.Generations;
using GenStore.Store;

namespace GenStore.Agent;

/// <summary>What the agent knows beyond the engine's state when it writes metrics: the followed track's head and how the run ended.</summary>
/// <param name="Track">The track the host follows now.</param>
/// <param name="Behind">Whether the host is behind that track's head; null lets the engine's status decide.</param>
/// <param name="Result">How the last agent run ended (an <see cref="AgentResult"/> name in kebab case).</param>
/// <param name="Host">The host id to label the metrics with, when it differs from the engine's (gen.conf's host_id after a manual command).</param>
public sealed record AgentFacts(string? Track, bool? Behind, string? Result, string? Host = null);

/// <summary>Writes the DESIGN §12 metrics in Prometheus text format, atomically, for node-exporter's textfile collector.</summary>
public static class Metrics
{
    /// <summary>The event kinds counted in <c>gen_errors_total</c>.</summary>
    public static readonly IReadOnlyList<string> ErrorKinds =
        [EventKind.FetchError, EventKind.SwitchFailed, EventKind.HealthFailure, EventKind.Drift, AgentEvents.FleetError, AgentEvents.Untrusted];

    /// <summary>The metrics text for the machine <paramref name="engine"/> manages.</summary>
    public static string Render(Engine engine, AgentFacts? facts)
    {
        var status = engine.Status();
        var current = status.Current;
        var agent = status.Agent;
        var stats = engine.Store.Statistics();
        var behind = facts?.Behind ?? status.Behind;
        var sb = new StringBuilder();

        Header(sb, "gen_info", "gauge", "The current generation's commit, branch, track and number (value is always 1).");
        sb.Append(CultureInfo.InvariantCulture,
            $"gen_info{{host=\"{Escape(facts?.Host ?? status.Host)}\",commit=\"{Escape(current?.Commit ?? string.Empty)}\",branch=\"{Escape(current?.Branch ?? string.Empty)}\",track=\"{Escape(facts?.Track ?? current?.Track ?? string.Empty)}\",generation=\"{current?.Number ?? 0}\"}} 1\n");
        Gauge(sb, "gen_generation", "The current generation number (0 before the first switch).", current?.Number ?? 0);
        Gauge(sb, "gen_last_switch_timestamp_seconds", "When the last switch ended, in Unix seconds (0 if never).", agent.LastSwitchAt?.ToUnixTimeSeconds() ?? 0);
        Gauge(sb, "gen_last_switch_success", "1 when the last switch succeeded, 0 when it failed.", agent.LastSwitchOk is false ? 0 : 1);
        Gauge(sb, "gen_switch_duration_seconds", "How long the last switch took.", agent.LastSwitchDuration?.TotalSeconds ?? 0);
        Gauge(sb, "gen_drift_paths", "Managed paths that no longer match the current generation (stat check).", status.DriftedPaths.Count);
        Gauge(sb, "gen_behind_head", "1 when the followed branch's head is another commit than the one applied.", behind ? 1 : 0);
        Gauge(sb, "gen_frozen", "1 when the host is frozen (gen freeze) and the agent leaves it alone.", status.Frozen ? 1 : 0);
        Gauge(sb, "gen_bad_commits", "Commits remembered as bad (their health check failed); not retried.", status.BadCommits.Count);

        Header(sb, "gen_errors_total", "counter", "Failures recorded in the event log, by kind.");
        var events = engine.Db.Events(100_000);
        foreach (var kind in ErrorKinds)
        {
            sb.Append(CultureInfo.InvariantCulture, $"gen_errors_total{{kind=\"{kind}\"}} {events.Count(e => e.Kind == kind)}\n");
        }

        Gauge(sb, "gen_store_bytes", "Bytes of all objects in the store.", stats.TotalBytes);
        Gauge(sb, "gen_store_objects", "Objects in the store.", stats.ObjectCount);
        Gauge(sb, "gen_last_fetch_success", "1 when the last fetch succeeded, 0 when it failed.", agent.LastFetchError is null ? 1 : 0);
        if (facts?.Result is { } result)
        {
            Header(sb, "gen_agent_last_run", "gauge", "How the last agent run ended (value is the run's Unix time).");
            sb.Append(CultureInfo.InvariantCulture, $"gen_agent_last_run{{result=\"{Escape(result)}\"}} {DateTimeOffset.UtcNow.ToUnixTimeSeconds()}\n");
        }

        return sb.ToString();
    }

    /// <summary>Renders the metrics and replaces <paramref name="path"/> with them in one rename.</summary>
    public static void Write(Engine engine, string path, AgentFacts? facts)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        // node-exporter reads the file at any moment: a rename means it sees the old or the new text, never half.
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        DurableFile.Write(path, Encoding.UTF8.GetBytes(Render(engine, facts)), mode, sync: false);
    }

    private static void Header(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Gauge(StringBuilder sb, string name, string help, double value)
    {
        Header(sb, name, "gauge", help);
        sb.Append(name).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}

/// <summary>Operator actions on the agent's hold over this host, with their event and a fresh metrics file.</summary>
public static class HostControl
{
    /// <summary>Where the agent config is: <paramref name="flag"/>, else <c>GEN_CONFIG</c>, else <see cref="AgentConfig.DefaultPath"/>.</summary>
    public static string ConfigPath(string? flag) =>
        flag ?? (Environment.GetEnvironmentVariable("GEN_CONFIG") is { Length: > 0 } env ? env : AgentConfig.DefaultPath);

    /// <summary>The host id a command acts as: <paramref name="flag"/> (<c>--host</c>), else <c>GEN_HOST</c>, else
    /// <c>host_id</c> in gen.conf, else this machine's host name, so an operator's switch compiles what the agent would.</summary>
    /// <param name="flag">The <c>--host</c> value, if given.</param>
    /// <param name="strict">True for commands that compile for the host: an unreadable gen.conf is then an error, since
    /// the host id is unknown. Other commands (rollback, status, …) fall back to the host name and keep working.</param>
    public static string HostId(string? flag, bool strict)
    {
        if (!string.IsNullOrEmpty(flag))
        {
            return flag;
        }

        if (Environment.GetEnvironmentVariable("GEN_HOST") is { Length: > 0 } env)
        {
            return env;
        }

        var path = ConfigPath(null);
        try
        {
            return AgentConfig.Load(path, optional: path == AgentConfig.DefaultPath).HostId;
        }
        catch (InputException) when (!strict)
        {
            return Environment.MachineName;
        }
    }

    /// <summary>Stops the agent from moving this host until <see cref="Unfreeze"/>; persisted in the state database.</summary>
    /// <returns>A warning when the metrics file could not be refreshed; null otherwise.</returns>
    public static string? Freeze(Engine engine, string? reason, string configPath)
    {
        var why = string.IsNullOrWhiteSpace(reason) ? "frozen by an operator" : reason;
        engine.Db.Freeze(why);
        engine.Db.AddEvent(EventKind.Freeze, $"frozen: {why}", engine.Db.CurrentNumber);
        return RefreshMetrics(engine, configPath);
    }

    /// <summary>Lets the agent move this host again.</summary>
    /// <returns>A warning when the metrics file could not be refreshed; null otherwise.</returns>
    public static string? Unfreeze(Engine engine, string configPath)
    {
        engine.Db.Unfreeze();
        engine.Db.AddEvent(EventKind.Freeze, "unfrozen", engine.Db.CurrentNumber);
        return RefreshMetrics(engine, configPath);
    }

    /// <summary>Rewrites the metrics file after a manual switch, rollback or freeze when the agent config names one.</summary>
    /// <returns>A warning when the config could not be read or the file not written; null otherwise.</returns>
    public static string? RefreshMetrics(Engine engine, string configPath)
    {
        try
        {
            var config = AgentConfig.Load(configPath, optional: true);
            if (config.MetricsPath is { } path)
            {
                // Labelled as the agent labels them, so a manual switch does not start a second series.
                Metrics.Write(engine, path, new AgentFacts(null, null, null, config.HostId));
            }

            return null;
        }
        catch (Exception e) when (e is GenException or IOException or UnauthorizedAccessException)
        {
            // The command itself succeeded; stale metrics must not turn it into a failure.
            return $"warning: metrics not updated: {e.Message}";
        }
    }
}
