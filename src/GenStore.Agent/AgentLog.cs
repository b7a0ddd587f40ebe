using System.Text;

namespace GenStore.Agent;

/// <summary>The event kinds the agent adds to the engine's event log, beside the engine's own (<see cref="Generations.EventKind"/>).</summary>
public static class AgentEvents
{
    /// <summary>fleet.gen on the default branch could not be read, or named a branch that does not exist.</summary>
    public const string FleetError = "fleet-error";

    /// <summary>A commit was refused because its signature did not verify (or could not be checked).</summary>
    public const string Untrusted = "untrusted";
}

/// <summary>Formats one agent event as a single <c>key=value</c> line, which journald keeps as one entry.</summary>
public static class AgentLog
{
    /// <summary>The line <c>gen-agent: event=KIND key=value …</c>; values with spaces or quotes are quoted.</summary>
    public static string Line(string kind, params (string Key, object? Value)[] fields)
    {
        var sb = new StringBuilder("gen-agent: event=").Append(kind);
        foreach (var (key, value) in fields)
        {
            if (value is null)
            {
                continue;
            }

            var text = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            text = text.Replace('\n', ' ').Replace('\r', ' ');
            sb.Append(' ').Append(key).Append('=');
            if (text.Length == 0 || text.Any(c => c is ' ' or '"' or '='))
            {
                sb.Append('"').Append(text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                sb.Append(text);
            }
        }

        return sb.ToString();
    }
}
