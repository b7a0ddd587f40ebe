using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GenStore.Generations;
using GenStore.Journal;

namespace GenStore.Cli;

/// <summary>How engine results look on a terminal and as JSON; the exit code each one means.</summary>
internal static class Views
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Switch(SwitchOutcome outcome)
    {
        var to = outcome.To;
        if (outcome.AlreadyThere)
        {
            Console.WriteLine($"already at gen-{to.Number} ({Short(to.Commit)}); nothing to do");
            return ExitCodes.AlreadyThere;
        }

        var from = outcome.From is null ? "nothing" : $"gen-{outcome.From.Number}";
        Console.WriteLine($"gen-{to.Number}: switched from {from} to {Short(to.Commit)} ({outcome.Stats})");
        foreach (var trigger in outcome.TriggersRun)
        {
            Console.WriteLine($"trigger {trigger.Name}: exit {trigger.ExitCode}");
        }

        return ExitCodes.Done;
    }

    public static int Plan(PlanPreview preview, bool json)
    {
        if (json)
        {
            Console.WriteLine(PlanPrinter.ToJson(preview.Plan, preview.Journal));
        }
        else
        {
            PlanPrinter.WriteText(preview.Plan, preview.Journal, Console.Out);
            foreach (var drift in preview.Drifts)
            {
                Console.WriteLine($"drift: {drift}");
            }
        }

        return preview.Drifts.Count > 0 ? ExitCodes.Drift : ExitCodes.Done;
    }

    public static int Diff(Engine engine, string from, string to, bool json)
    {
        var (plan, target) = engine.Diff(from, to);
        Console.Write(json ? PlanPrinter.ToJson(plan, target) + "\n" : PlanPrinter.ToText(plan, target));
        return ExitCodes.Done;
    }

    public static int List(IReadOnlyList<GenerationRow> rows, bool json)
    {
        if (json)
        {
            var array = new JsonArray([.. rows.Select(r => (JsonNode)Generation(r.Generation, r.IsCurrent))]);
            Console.WriteLine(array.ToJsonString(Indented));
            return ExitCodes.Done;
        }

        Console.WriteLine($"  {"GEN",-7} {"DATE",-20} {"COMMIT",-12} {"BRANCH",-12} {"STEPS",-16} RESULT");
        foreach (var (g, current) in rows)
        {
            var date = g.Created.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            var mark = current ? "*" : " ";
            var pin = g.Pinned ? " pinned" : string.Empty;
            Console.WriteLine($"{mark} {"gen-" + g.Number,-7} {date,-20} {Short(g.Commit),-12} {g.Branch ?? "-",-12} {g.Stats.ToString(),-16} {g.Result}{pin}");
        }

        return ExitCodes.Done;
    }

    public static int Status(StatusReport status, bool json)
    {
        if (json)
        {
            var node = new JsonObject
            {
                ["host"] = status.Host,
                ["generation"] = status.Current is null ? null : Generation(status.Current, true),
                ["branch_head"] = status.BranchHead,
                ["behind"] = status.Behind,
                ["drift_paths"] = new JsonArray([.. status.DriftedPaths.Select(d => (JsonNode)new JsonObject { ["path"] = d.Path, ["expected"] = d.Expected, ["found"] = d.Found })]),
                ["interrupted_switch"] = status.InterruptedSwitch,
                ["frozen"] = status.Frozen,
                ["frozen_reason"] = status.Agent.FrozenReason,
                ["bad_commits"] = new JsonArray([.. status.BadCommits.Select(b => (JsonNode)new JsonObject { ["commit"] = b.Commit, ["reason"] = b.Reason, ["time"] = b.Time.ToUnixTimeSeconds() })]),
                ["track"] = status.Current?.Track,
                ["last_fetch_error"] = status.Agent.LastFetchError,
                ["last_fetch_time"] = status.Agent.LastFetchAt?.ToUnixTimeSeconds(),
                ["last_switch"] = status.Agent.LastSwitchAt is not { } switched ? null : new JsonObject
                {
                    ["time"] = switched.ToUnixTimeSeconds(),
                    ["seconds"] = status.Agent.LastSwitchDuration?.TotalSeconds,
                    ["ok"] = status.Agent.LastSwitchOk,
                },
                ["last_error"] = status.LastError is null ? null : new JsonObject
                {
                    ["time"] = status.LastError.Time.ToUnixTimeSeconds(),
                    ["kind"] = status.LastError.Kind,
                    ["message"] = status.LastError.Message,
                },
            };
            Console.WriteLine(node.ToJsonString(Indented));
            return ExitCodes.Done;
        }

        var current = status.Current;
        Console.WriteLine($"host:       {status.Host}");
        Console.WriteLine(current is null ? "generation: none" : $"generation: gen-{current.Number} ({current.Result})");
        Console.WriteLine($"commit:     {current?.Commit ?? "-"}{(current?.Branch is { } b ? $" ({b})" : string.Empty)}");
        Console.WriteLine($"behind:     {(status.Behind ? $"yes, branch head is {Short(status.BranchHead)}" : "no")}");
        Console.WriteLine($"drift:      {(status.DriftedPaths.Count == 0 ? "none" : $"{status.DriftedPaths.Count} path(s), first {status.DriftedPaths[0]}")}");
        Console.WriteLine($"track:      {status.Current?.Track ?? "-"}");
        Console.WriteLine($"frozen:     {(status.Frozen ? $"yes ({status.Agent.FrozenReason})" : "no")}");
        foreach (var bad in status.BadCommits)
        {
            Console.WriteLine($"bad commit: {Short(bad.Commit)} ({bad.Reason}); the agent skips it until a newer commit arrives");
        }

        if (status.InterruptedSwitch)
        {
            Console.WriteLine("interrupted switch: yes; the next gen command finishes it, or run 'gen recover --rollback'");
        }

        if (status.LastError is { } e)
        {
            Console.WriteLine($"last error: {e.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss} {e.Kind}: {e.Message}");
        }

        return ExitCodes.Done;
    }

    public static int Verify(VerifyReport report, bool json)
    {
        if (json)
        {
            var node = new JsonObject
            {
                ["checked"] = report.Checked,
                ["repaired"] = report.Repaired,
                ["drift_paths"] = new JsonArray([.. report.Drifts.Select(d => (JsonNode)new JsonObject { ["path"] = d.Path, ["expected"] = d.Expected, ["found"] = d.Found })]),
            };
            Console.WriteLine(node.ToJsonString(Indented));
        }
        else
        {
            foreach (var drift in report.Drifts)
            {
                Console.WriteLine($"drift: {drift}");
            }

            Console.WriteLine(report.Drifts.Count == 0
                ? $"{report.Checked} steps checked, no drift"
                : $"{report.Checked} steps checked, {report.Drifts.Count} drifted{(report.Repaired ? ", repaired (originals in 'gen backups')" : string.Empty)}");
        }

        return report.Drifts.Count > 0 && !report.Repaired ? ExitCodes.Drift : ExitCodes.Done;
    }

    public static int Gc(GcReport report, bool json)
    {
        if (json)
        {
            var node = new JsonObject
            {
                ["dry_run"] = report.DryRun,
                ["generations"] = new JsonArray([.. report.Generations.Select(g => (JsonNode)g.Number)]),
                ["objects"] = report.Objects,
                ["bytes"] = report.Bytes,
            };
            Console.WriteLine(node.ToJsonString(Indented));
            return ExitCodes.Done;
        }

        var verb = report.DryRun ? "would delete" : "deleted";
        var numbers = report.Generations.Count == 0 ? "no generations" : string.Join(' ', report.Generations.Select(g => $"gen-{g.Number}"));
        Console.WriteLine($"{verb} {numbers}; {report.Objects} store objects, {report.Bytes} bytes");
        return ExitCodes.Done;
    }

    public static int Backups(IReadOnlyList<Backup> backups, bool json)
    {
        if (json)
        {
            var array = new JsonArray([.. backups.Select(b => (JsonNode)new JsonObject
            {
                ["id"] = b.Id,
                ["path"] = b.Path,
                ["kind"] = b.Kind,
                ["object"] = b.Object?.ToString(),
                ["link_target"] = b.LinkTarget,
                ["mode"] = JournalSyntax.FormatMode(b.Mode),
                ["uid"] = b.Uid,
                ["gid"] = b.Gid,
                ["created"] = b.Created.ToUnixTimeSeconds(),
                ["restored"] = b.Restored,
            })]);
            Console.WriteLine(array.ToJsonString(Indented));
            return ExitCodes.Done;
        }

        foreach (var b in backups)
        {
            var what = b.Object?.ToString() ?? b.LinkTarget ?? "-";
            Console.WriteLine($"{b.Id,5} {b.Created.UtcDateTime:yyyy-MM-dd HH:mm:ss} {b.Kind,-5} {b.Path} {what}{(b.Restored ? " (restored)" : string.Empty)}");
        }

        return ExitCodes.Done;
    }

    public static int ParseGeneration(string text)
    {
        var digits = text.StartsWith("gen-", StringComparison.Ordinal) ? text[4..] : text;
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new InputException($"'{text}' is not a generation; write gen-N or N, as 'gen list' shows");
    }

    public static TimeSpan? ParseAge(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var unit = text[^1];
        if (!double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount < 0)
        {
            throw new InputException($"'{text}' is not an age; write a number with d, h or m, such as 30d");
        }

        return unit switch
        {
            'd' => TimeSpan.FromDays(amount),
            'h' => TimeSpan.FromHours(amount),
            'm' => TimeSpan.FromMinutes(amount),
            _ => throw new InputException($"'{text}' is not an age; write a number with d, h or m, such as 30d"),
        };
    }

    private static JsonObject Generation(Generation g, bool current) => new()
    {
        ["number"] = g.Number,
        ["current"] = current,
        ["journal"] = g.Journal.ToString(),
        ["commit"] = g.Commit,
        ["branch"] = g.Branch,
        ["track"] = g.Track,
        ["host"] = g.Host,
        ["created"] = g.Created.ToUnixTimeSeconds(),
        ["result"] = g.Result,
        ["added"] = g.Stats.Added,
        ["removed"] = g.Stats.Removed,
        ["changed"] = g.Stats.Changed,
        ["pinned"] = g.Pinned,
    };

    private static string Short(string? commit) => commit is null ? "-" : commit[..Math.Min(12, commit.Length)];
}
