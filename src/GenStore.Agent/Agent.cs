using System.Diagnostics;
using GenStore.Config;
using GenStore.Generations;
using GenStore.Git;

namespace GenStore.Agent;

/// <summary>How one agent run ended.</summary>
public enum AgentResult
{
    /// <summary>The host switched to its track's head and the health check passed.</summary>
    Switched,

    /// <summary>The host already runs its track's head.</summary>
    UpToDate,

    /// <summary>The host is frozen; nothing was changed.</summary>
    Frozen,

    /// <summary>The track's head is a commit remembered as bad; it is not retried until a newer one arrives.</summary>
    KnownBad,

    /// <summary>Fetching failed; the host stays on its generation.</summary>
    FetchFailed,

    /// <summary>fleet.gen is broken or names a missing branch; the host stays on its generation.</summary>
    FleetInvalid,

    /// <summary>Trust is on and the head's signature did not verify; the host stays on its generation.</summary>
    Untrusted,

    /// <summary>The switch itself failed (compile error, drift, apply error) and was undone.</summary>
    SwitchFailed,

    /// <summary>The health check failed after the switch; the host was rolled back and the commit remembered as bad.</summary>
    HealthFailed,
}

/// <summary>What one agent run did.</summary>
/// <param name="Result">How it ended.</param>
/// <param name="Host">The host id.</param>
/// <param name="Track">The track followed, when it was known.</param>
/// <param name="Branch">That track's branch.</param>
/// <param name="Head">The branch's head commit, when it was resolved.</param>
/// <param name="Generation">The current generation after the run.</param>
/// <param name="Message">One line for people.</param>
public sealed record AgentRun(AgentResult Result, string Host, string? Track, string? Branch, string? Head, int? Generation, string Message)
{
    /// <summary>True when the run ended in a failure an operator should look at.</summary>
    public bool Failed => Result is AgentResult.FetchFailed or AgentResult.FleetInvalid or AgentResult.Untrusted or AgentResult.SwitchFailed or AgentResult.HealthFailed;

    /// <summary>The result in the kebab-case form used by logs and metrics.</summary>
    public string ResultName => Kebab(Result);

    /// <summary>The kebab-case form of <paramref name="result"/>.</summary>
    public static string Kebab(AgentResult result) =>
        string.Concat(result.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}

/// <summary>The fleet agent of one machine: fetch, pick the track, verify, switch, health-check, roll back, and write metrics (DESIGN §11).</summary>
/// <param name="config">The agent settings (gen.conf after flags).</param>
/// <param name="engine">How to open the machine's engine (state, root, host id).</param>
/// <param name="log">Receives one line per event (stderr in production, for journald).</param>
public sealed class Agent(AgentConfig config, EngineOptions engine, Action<string> log)
{
    private static readonly TimeSpan GitTimeout = TimeSpan.FromMinutes(2);

    /// <summary>One run: converges the host on its track's head if it may, then writes the metrics file.</summary>
    public AgentRun RunOnce()
    {
        using var gen = Engine.Open(engine);
        AgentRun run;
        try
        {
            run = Converge(gen);
        }
        catch (Exception e) when (e is GenException or IOException or UnauthorizedAccessException)
        {
            // Metrics still say that something went wrong; the caller reports the error itself.
            WriteMetrics(gen, new AgentFacts(null, null, "error"));
            throw;
        }

        log(AgentLog.Line("run", ("host", run.Host), ("result", run.ResultName), ("track", run.Track), ("commit", run.Head),
            ("generation", run.Generation), ("message", run.Message)));
        bool? behind = run.Head is null ? null : run.Result is not (AgentResult.UpToDate or AgentResult.Switched);
        WriteMetrics(gen, new AgentFacts(run.Track, behind, run.ResultName));
        return run;
    }

    /// <summary>Runs until <paramref name="stop"/> is cancelled, one run per interval plus a random share of the jitter.</summary>
    public void Run(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                RunOnce();
            }
            catch (Exception e) when (e is GenException or IOException or UnauthorizedAccessException)
            {
                // The long-running agent outlives one bad run; the next interval tries again.
                log(AgentLog.Line("error", ("host", engine.HostId), ("message", e.Message)));
            }

            var delay = config.Interval + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * config.Jitter.TotalMilliseconds);
            stop.WaitHandle.WaitOne(delay);
        }
    }

    private AgentRun Converge(Engine gen)
    {
        var host = engine.HostId;
        if (Fetch(gen) is { } fetchError)
        {
            return Finish(gen, AgentResult.FetchFailed, null, null, null, fetchError, EventKind.FetchError, recorded: true);
        }

        TrackChoice track;
        GitCommit head;
        using (var git = GitSource.Open(gen.MirrorPath))
        {
            try
            {
                var defaultBranch = DefaultBranch(gen.MirrorPath);
                track = TrackChooser.Choose(ReadFleet(git, defaultBranch), host, defaultBranch);
            }
            catch (InputException e)
            {
                return Finish(gen, AgentResult.FleetInvalid, null, null, null, e.Message, AgentEvents.FleetError);
            }

            try
            {
                head = git.Resolve("refs/heads/" + track.Branch);
            }
            catch (InputException)
            {
                return Finish(gen, AgentResult.FleetInvalid, track, null, null,
                    $"track '{track.Name}' follows branch '{track.Branch}', which the remote does not have; push it or fix {FleetFile.FileName}", AgentEvents.FleetError);
            }
        }

        var current = gen.Db.Current;
        if (current?.Commit == head.Sha || (current is not null && Equivalent(gen) == $"{current.Number} {head.Sha}"))
        {
            return Finish(gen, AgentResult.UpToDate, track, head.Sha, current.Number, $"already on {head.ShortSha}", null);
        }

        if (gen.Db.Agent is { Frozen: true } frozen)
        {
            return Finish(gen, AgentResult.Frozen, track, head.Sha, current?.Number, $"frozen ({frozen.FrozenReason}); not moving to {head.ShortSha}", null);
        }

        if (gen.Db.IsBad(head.Sha))
        {
            return Finish(gen, AgentResult.KnownBad, track, head.Sha, current?.Number, $"{head.ShortSha} failed its health check before; waiting for a newer commit", null);
        }

        if (config.Trust && VerifySignature(gen.MirrorPath, head.Sha) is { } untrusted)
        {
            return Finish(gen, AgentResult.Untrusted, track, head.Sha, current?.Number, untrusted, AgentEvents.Untrusted);
        }

        SwitchOutcome outcome;
        var lastEvent = gen.Db.Events(1).FirstOrDefault()?.Id ?? 0;
        try
        {
            outcome = gen.Switch(head.Sha, force: false, track: track.Name, branch: track.Branch);
        }
        catch (Exception e) when (e is GenException or IOException or UnauthorizedAccessException)
        {
            // The engine undid the switch; it logged drift and apply failures itself, but not a config that does not compile.
            return Finish(gen, AgentResult.SwitchFailed, track, head.Sha, gen.Db.CurrentNumber, $"switch to {head.ShortSha} failed: {e.Message}",
                e is DriftException ? EventKind.Drift : EventKind.SwitchFailed,
                recorded: gen.Db.Events(1).FirstOrDefault()?.Id > lastEvent);
        }

        if (outcome.AlreadyThere)
        {
            // A commit that only touched fleet.gen or docs compiles to the running journal: remember it, so the
            // host neither recompiles it every round nor counts as behind.
            RememberEquivalent(gen, outcome.To.Number, head.Sha);
            return Finish(gen, AgentResult.UpToDate, track, head.Sha, outcome.To.Number, $"{head.ShortSha} compiles to the current generation", null);
        }

        log(AgentLog.Line("switch", ("host", host), ("track", track.Name), ("commit", head.Sha), ("from", outcome.From?.Number), ("to", outcome.To.Number),
            ("stats", outcome.Stats.ToString())));
        if (HealthCheck(head.Sha, outcome.To.Number) is { } unhealthy)
        {
            return RollBack(gen, track, head, outcome.To.Number, unhealthy);
        }

        return Finish(gen, AgentResult.Switched, track, head.Sha, outcome.To.Number, $"switched to gen-{outcome.To.Number} ({head.ShortSha})", null);
    }

    private AgentRun RollBack(Engine gen, TrackChoice track, GitCommit head, int failed, string why)
    {
        var message = $"health check failed after switching to {head.ShortSha}: {why}";
        gen.Db.MarkBad(head.Sha, why);
        gen.Db.SetResult(failed, GenerationResult.Failed);
        gen.Db.AddEvent(EventKind.HealthFailure, message, failed);
        log(AgentLog.Line(EventKind.HealthFailure, ("host", engine.HostId), ("track", track.Name), ("commit", head.Sha), ("generation", failed), ("message", why)));
        try
        {
            var back = gen.Rollback(1);
            log(AgentLog.Line(EventKind.Rollback, ("host", engine.HostId), ("from", failed), ("to", back.To.Number), ("commit", back.To.Commit)));
            return new AgentRun(AgentResult.HealthFailed, engine.HostId, track.Name, track.Branch, head.Sha, back.To.Number, $"{message}; rolled back to gen-{back.To.Number}");
        }
        catch (InputException e)
        {
            // A first generation has nothing older to go back to: it stays, and the commit is still not retried.
            return new AgentRun(AgentResult.HealthFailed, engine.HostId, track.Name, track.Branch, head.Sha, failed, $"{message}; no rollback: {e.Message}");
        }
    }

    private AgentRun Finish(Engine gen, AgentResult result, TrackChoice? track, string? head, int? generation, string message, string? eventKind, bool recorded = false)
    {
        if (eventKind is not null)
        {
            // The engine records its own failures in the event log; the agent adds only those it found itself.
            if (!recorded)
            {
                gen.Db.AddEvent(eventKind, message, generation);
            }

            log(AgentLog.Line(eventKind, ("host", engine.HostId), ("track", track?.Name), ("commit", head), ("message", message)));
        }

        return new AgentRun(result, engine.HostId, track?.Name, track?.Branch, head, generation ?? gen.Db.CurrentNumber, message);
    }

    private static string EquivalentFile(Engine gen) => Path.Combine(gen.Options.StateFolder, "agent-equivalent");

    private static string? Equivalent(Engine gen) =>
        File.Exists(EquivalentFile(gen)) ? File.ReadAllText(EquivalentFile(gen)).Trim() : null;

    private static void RememberEquivalent(Engine gen, int generation, string commit) =>
        Store.DurableFile.Write(EquivalentFile(gen), System.Text.Encoding.UTF8.GetBytes($"{generation} {commit}\n"), UnixFileMode.UserRead | UnixFileMode.UserWrite);

    private string? Fetch(Engine gen)
    {
        try
        {
            if (Directory.Exists(gen.MirrorPath))
            {
                // Engine.Fetch records the failure (last fetch error and an event) itself.
                gen.Fetch();
                return null;
            }

            if (config.Remote is null)
            {
                throw new InputException($"no mirror at {gen.MirrorPath} and no remote in the agent config; set 'remote = URL' in gen.conf");
            }

            gen.Init(config.Remote);
            gen.Db.RecordFetch(null);
            return null;
        }
        catch (InputException e)
        {
            if (!Directory.Exists(gen.MirrorPath) || gen.Db.Agent.LastFetchError != e.Message)
            {
                gen.Db.RecordFetch(e.Message);
                gen.Db.AddEvent(EventKind.FetchError, e.Message, gen.Db.CurrentNumber);
            }

            return e.Message;
        }
    }

    private static IReadOnlyList<FleetTrack> ReadFleet(GitSource git, string defaultBranch)
    {
        using var tree = git.TreeAt(git.Resolve("refs/heads/" + defaultBranch));
        var entry = tree.Find(FleetFile.FileName);

        // No fleet.gen: every host follows the default branch.
        return entry is null ? [] : FleetFile.Parse(System.Text.Encoding.UTF8.GetString(tree.ReadAllBytes(entry)));
    }

    private static string DefaultBranch(string mirror)
    {
        var end = Git(mirror, ["symbolic-ref", "--short", "HEAD"]);
        var name = end.Output.Trim();
        return end.ExitCode == 0 && name.Length > 0 ? name
            : throw new InputException($"the mirror {mirror} has no default branch (HEAD): {end.Error}; set HEAD on the remote");
    }

    private string? VerifySignature(string mirror, string commit)
    {
        var args = new List<string>();
        if (config.AllowedSigners is { } signers)
        {
            if (!File.Exists(signers))
            {
                return $"trust is on but the allowed signers file {signers} does not exist; create it or fix allowed_signers in gen.conf";
            }

            args.AddRange(["-c", $"gpg.ssh.allowedSignersFile={Path.GetFullPath(signers)}"]);
        }

        args.AddRange(["verify-commit", commit]);
        var end = Git(mirror, args);
        if (end.ExitCode == 0)
        {
            return null;
        }

        var why = end.TimedOut ? "git verify-commit timed out" : end.Error.Length > 0 ? end.Error : "no signature";
        return $"commit {commit[..12]} is not signed by an allowed key ({why}); sign it with an allowed key or add the signer";
    }

    private string? HealthCheck(string commit, int generation)
    {
        if (config.HealthCheck.Count == 0)
        {
            return null;
        }

        var environment = new Dictionary<string, string>
        {
            ["GEN_ROOT"] = engine.Root,
            ["GEN_HOST"] = engine.HostId,
            ["GEN_COMMIT"] = commit,
            ["GEN_GENERATION"] = generation.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var clock = Stopwatch.StartNew();
        ProcessEnd end;
        try
        {
            end = Processes.Run(config.HealthCheck, config.HealthTimeout, environment, capture: false);
        }
        catch (InputException e)
        {
            return e.Message;
        }

        return end.TimedOut ? $"{config.HealthCheck[0]} did not finish within {config.HealthTimeout.TotalSeconds:0.#}s and was killed"
            : end.ExitCode != 0 ? $"{config.HealthCheck[0]} exited with {end.ExitCode} after {clock.Elapsed.TotalSeconds:0.##}s"
            : null;
    }

    private void WriteMetrics(Engine gen, AgentFacts facts)
    {
        if (config.MetricsPath is { } path)
        {
            Metrics.Write(gen, path, facts);
        }
    }

    private static ProcessEnd Git(string mirror, IReadOnlyList<string> args)
    {
        var env = new Dictionary<string, string> { ["GIT_TERMINAL_PROMPT"] = "0" };
        return Processes.Run(["git", .. args], GitTimeout, env, capture: true, mirror);
    }
}
