using GenStore.Apply;
using GenStore.Git;
using GenStore.Journal;

namespace GenStore.Generations;

/// <summary>One row of <c>gen list</c>: a generation and whether it is the current one.</summary>
public sealed record GenerationRow(Generation Generation, bool IsCurrent);

/// <summary>What <c>gen status</c> reports: where the machine is, whether it drifted or is behind, and what last went wrong.</summary>
/// <param name="Host">The host id.</param>
/// <param name="Current">The current generation, if any.</param>
/// <param name="BranchHead">The head of the current generation's branch in the mirror, when known.</param>
/// <param name="Behind">True when the branch head is another commit than the one applied.</param>
/// <param name="DriftedPaths">Managed paths that no longer match (stat-cache check, not a full rehash).</param>
/// <param name="InterruptedSwitch">True when a switch was cut off and waits for recovery.</param>
/// <param name="Frozen">True when the agent must not move this host.</param>
/// <param name="LastError">The newest failure event, if any.</param>
/// <param name="Agent">Agent facts: freeze reason, bad commits, last fetch and switch.</param>
public sealed record StatusReport(
    string Host,
    Generation? Current,
    string? BranchHead,
    bool Behind,
    IReadOnlyList<Drift> DriftedPaths,
    bool InterruptedSwitch,
    bool Frozen,
    GenEvent? LastError,
    AgentState Agent)
{
    /// <summary>Commits the agent remembers as bad (health check failed) and will not apply again.</summary>
    public IReadOnlyList<BadCommit> BadCommits { get; init; } = [];
}

public sealed partial class Engine
{
    /// <summary>Every recorded generation, newest first, with the current one marked.</summary>
    public IReadOnlyList<GenerationRow> List()
    {
        var current = Db.CurrentNumber;
        return [.. Db.List().OrderByDescending(g => g.Number).Select(g => new GenerationRow(g, g.Number == current))];
    }

    /// <summary>Where the machine is and whether anything is wrong.</summary>
    public StatusReport Status()
    {
        var current = Db.Current;
        string? head = null;
        if (current?.Branch is { } branch && Directory.Exists(_options.Repo ?? MirrorPath))
        {
            try
            {
                using var git = GitSource.Open(_options.Repo ?? MirrorPath);
                head = git.Resolve(branch).Sha;
            }
            catch (InputException)
            {
                // The branch is gone from the mirror: nothing to be behind.
            }
        }

        var drifts = current is null ? [] : Drifts(LoadJournal(current.Journal), full: false);
        var lastError = Db.Events(200).FirstOrDefault(e => e.Kind is EventKind.SwitchFailed or EventKind.HealthFailure or EventKind.FetchError or EventKind.Drift);
        var agent = Db.Agent;
        return new StatusReport(_options.HostId, current, head, head is not null && head != current?.Commit, drifts, Db.OpenIntent is not null,
            agent.Frozen, lastError, agent) { BadCommits = Db.BadCommits() };
    }

    /// <summary>The plan between two targets (revisions or <c>gen-N</c>) and the second one's journal, without touching anything.</summary>
    public (Plan Plan, Journal.Journal Target) Diff(string from, string to)
    {
        var target = Resolve(to).Journal;
        return (JournalDiff.Plan(Resolve(from).Journal, target), target);
    }

    /// <summary>Every backup gen made, oldest first.</summary>
    public IReadOnlyList<Backup> Backups() => Db.Backups();

    private List<Drift> Drifts(Journal.Journal journal, bool full) =>
        new DiskCheck(_fs, Accounts(), Db.PathCache().ToDictionary(e => e.Path, StringComparer.Ordinal), full).CheckAll(journal.Steps);
}
