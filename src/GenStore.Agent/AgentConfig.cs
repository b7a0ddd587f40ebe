using System.Globalization;
using System.Text.Json;

namespace GenStore.Agent;

/// <summary>The agent's settings, read from <c>/etc/gen/gen.conf</c> (see docs/operations.md for the format) and then overridden by flags.</summary>
/// <remarks>
/// The file is <c>key = value</c> lines; <c>#</c> starts a comment line; values may be quoted with double quotes.
/// <c>health_check</c> is an argv written as a JSON list of strings (no shell ever sees it).
/// Durations are a number with an optional unit: <c>90</c>, <c>90s</c>, <c>5m</c>, <c>1h</c>.
/// </remarks>
public sealed record AgentConfig
{
    /// <summary>Where the file is looked for unless <c>--config</c> or <c>GEN_CONFIG</c> says otherwise.</summary>
    public const string DefaultPath = "/etc/gen/gen.conf";

    /// <summary>The keys the file may hold; any other key is an error.</summary>
    public static readonly IReadOnlyList<string> Keys =
        ["remote", "host_id", "metrics_path", "trust", "allowed_signers", "health_check", "health_timeout", "interval", "jitter", "state", "root"];

    /// <summary>The config repo's URL or path; needed when the state has no mirror yet.</summary>
    public string? Remote { get; init; }

    /// <summary>The host id; the machine's host name when not set.</summary>
    public string HostId { get; init; } = Environment.MachineName;

    /// <summary>The Prometheus textfile to write (for example <c>/var/lib/prometheus/node-exporter/gen.prom</c>); none when null.</summary>
    public string? MetricsPath { get; init; }

    /// <summary>True applies only commits whose signature <c>git verify-commit</c> accepts.</summary>
    public bool Trust { get; init; }

    /// <summary>The ssh allowed-signers file (<c>gpg.ssh.allowedSignersFile</c>); needed for SSH signatures when trust is on.</summary>
    public string? AllowedSigners { get; init; }

    /// <summary>The health check's argv, run after a switch; none when empty.</summary>
    public IReadOnlyList<string> HealthCheck { get; init; } = [];

    /// <summary>How long the health check may run before it counts as failed.</summary>
    public TimeSpan HealthTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The time between two runs of the long-running agent.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The most extra random delay added to each interval, so that a fleet does not fetch in lockstep.</summary>
    public TimeSpan Jitter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The state folder, when the file sets it.</summary>
    public string? State { get; init; }

    /// <summary>The root folder, when the file sets it.</summary>
    public string? Root { get; init; }

    /// <summary>Reads <paramref name="path"/>; a missing file gives the defaults only when <paramref name="optional"/>.</summary>
    /// <exception cref="InputException">The file is missing (and required) or has an unknown key or a bad value; the message names file:line.</exception>
    public static AgentConfig Load(string path, bool optional)
    {
        if (!File.Exists(path))
        {
            return optional ? new AgentConfig() : throw new InputException("the agent config file does not exist; create it (see docs/operations.md) or pass --config PATH", path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Reads the text of a config file named <paramref name="path"/> in messages.</summary>
    public static AgentConfig Parse(string text, string path)
    {
        var config = new AgentConfig();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            var number = i + 1;
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new InputException("expected 'key = value'", path, number);
            }

            var key = line[..eq].Trim();
            var value = Unquote(line[(eq + 1)..].Trim(), path, number);
            if (!Keys.Contains(key))
            {
                throw new InputException($"unknown key '{key}'; expected one of: {string.Join(", ", Keys)}", path, number);
            }

            if (!seen.Add(key))
            {
                throw new InputException($"'{key}' is set twice; keep one", path, number);
            }

            config = key switch
            {
                "remote" => config with { Remote = NonEmpty(value, key, path, number) },
                "host_id" => config with { HostId = NonEmpty(value, key, path, number) },
                "metrics_path" => config with { MetricsPath = NonEmpty(value, key, path, number) },
                "trust" => config with { Trust = OnOff(value, path, number) },
                "allowed_signers" => config with { AllowedSigners = NonEmpty(value, key, path, number) },
                "health_check" => config with { HealthCheck = Argv(value, path, number) },
                "health_timeout" => config with { HealthTimeout = Duration(value, key, path, number) },
                "interval" => config with { Interval = Duration(value, key, path, number) },
                "jitter" => config with { Jitter = Duration(value, key, path, number) },
                "state" => config with { State = NonEmpty(value, key, path, number) },
                _ => config with { Root = NonEmpty(value, key, path, number) },
            };
        }

        return config;
    }

    /// <summary>Parses a duration such as <c>90</c>, <c>90s</c>, <c>5m</c> or <c>1h</c>; null when it is not one.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        var hasUnit = text.Length > 0 && char.IsLetter(text[^1]);
        var unit = hasUnit ? text[^1] : 's';
        var digits = hasUnit ? text[..^1] : text;
        if (!double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            return null;
        }

        return unit switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            _ => null,
        };
    }

    private static string Unquote(string value, string path, int line)
    {
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            return value[1..^1];
        }

        if (value.StartsWith('"'))
        {
            throw new InputException("the quoted value is not closed; end it with '\"'", path, line);
        }

        return value;
    }

    private static string NonEmpty(string value, string key, string path, int line) =>
        value.Length > 0 ? value : throw new InputException($"'{key}' is empty; give it a value or delete the line", path, line);

    private static bool OnOff(string value, string path, int line) => value switch
    {
        "on" or "yes" or "true" => true,
        "off" or "no" or "false" => false,
        _ => throw new InputException($"trust must be on or off, not '{value}'", path, line),
    };

    private static TimeSpan Duration(string value, string key, string path, int line) =>
        ParseDuration(value) is { } d && d >= TimeSpan.Zero ? d
        : throw new InputException($"'{key}' must be a duration such as 30s, 5m or 1h, not '{value}'", path, line);

    private static string[] Argv(string value, string path, int line)
    {
        string[]? argv = null;
        try
        {
            argv = JsonSerializer.Deserialize<string[]>(value);
        }
        catch (JsonException)
        {
            // Reported below with the expected form.
        }

        return argv is { Length: > 0 } && argv.All(a => a is not null) && argv[0].Length > 0 ? argv
            : throw new InputException("health_check must be an argv list such as [\"/usr/local/bin/check\", \"--quick\"]", path, line);
    }
}

/// <summary>What flags and the environment set on the agent's command line; each one given wins over gen.conf.</summary>
/// <param name="ConfigPath">The config file (<c>--config</c>, else <c>GEN_CONFIG</c>), or null for the default path, which may be missing.</param>
/// <param name="State">The state folder when given on the command line or in <c>GEN_STATE</c>.</param>
/// <param name="Root">The root when given on the command line or in <c>GEN_ROOT</c>.</param>
/// <param name="DefaultState">The state folder when neither the command line nor the file sets one.</param>
/// <param name="DefaultRoot">The root when neither the command line nor the file sets one.</param>
/// <param name="HostId">The host id (<c>--host</c> or <c>GEN_HOST</c>).</param>
/// <param name="Remote">The remote (<c>--remote</c>).</param>
/// <param name="MetricsPath">The metrics file (<c>--metrics</c>).</param>
/// <param name="LockWaitSeconds">How long to wait for another gen.</param>
public sealed record AgentOverrides(string? ConfigPath, string? State, string? Root, string DefaultState, string DefaultRoot, string? HostId, string? Remote, string? MetricsPath, double? LockWaitSeconds);

/// <summary>Builds a ready agent from gen.conf and the command line.</summary>
public static class AgentSetup
{
    /// <summary>Reads the config file, applies <paramref name="overrides"/> and returns the agent.</summary>
    public static Agent Create(AgentOverrides overrides, Action<string> log)
    {
        var path = HostControl.ConfigPath(overrides.ConfigPath);
        var file = AgentConfig.Load(path, optional: path == AgentConfig.DefaultPath);
        var config = file with
        {
            HostId = overrides.HostId ?? file.HostId,
            Remote = overrides.Remote ?? file.Remote,
            MetricsPath = overrides.MetricsPath ?? file.MetricsPath,
        };
        var options = new Generations.EngineOptions(
            Path.GetFullPath(overrides.State ?? config.State ?? overrides.DefaultState),
            Path.GetFullPath(overrides.Root ?? config.Root ?? overrides.DefaultRoot))
        {
            HostId = config.HostId,
            LockWaitSeconds = overrides.LockWaitSeconds,
            Report = log,
        };
        return new Agent(config, options, log);
    }
}
