using GenStore.Store;

namespace GenStore.Generations;

/// <summary>The outcome words stored in a generation's result column.</summary>
public static class GenerationResult
{
    /// <summary>The switch completed and the generation became current.</summary>
    public const string Ok = "ok";

    /// <summary>The switch failed and was undone; the generation never became (or no longer is) current.</summary>
    public const string Failed = "failed";

    /// <summary>The generation was current but was rolled back, e.g. after a failed health check.</summary>
    public const string RolledBack = "rolled-back";
}

/// <summary>How many journal steps a generation added, removed and changed against the generation before it.</summary>
public readonly record struct DiffStats(int Added, int Removed, int Changed)
{
    /// <summary>No steps added, removed or changed.</summary>
    public static DiffStats None => default;

    /// <inheritdoc/>
    public override string ToString() => $"+{Added} -{Removed} ~{Changed}";
}

/// <summary>One recorded generation: a journal that was (or was tried to be) applied to this machine.</summary>
/// <param name="Number">Monotonically increasing, never reused, even after gc.</param>
/// <param name="Journal">The journal's id in the store.</param>
/// <param name="Commit">The git commit as hex, or null for a journal applied directly.</param>
/// <param name="Branch">The branch the commit was taken from, if any.</param>
/// <param name="Track">The fleet track the host followed, if any.</param>
/// <param name="Host">The host id the journal was compiled for.</param>
/// <param name="Created">When the generation was recorded, to the second.</param>
/// <param name="Result">One of <see cref="GenerationResult"/>'s words (or another the engine chose).</param>
/// <param name="Stats">Steps added, removed and changed against the generation switched from.</param>
/// <param name="Pinned">Exempt from gc.</param>
public sealed record Generation(
    int Number,
    ObjectId Journal,
    string? Commit,
    string? Branch,
    string? Track,
    string Host,
    DateTimeOffset Created,
    string Result,
    DiffStats Stats,
    bool Pinned);

/// <summary>The kinds of managed path kept in the path cache and in backups.</summary>
public static class PathKind
{
    /// <summary>A regular file.</summary>
    public const string File = "file";

    /// <summary>A directory.</summary>
    public const string Directory = "dir";

    /// <summary>A symbolic link.</summary>
    public const string Link = "link";
}

/// <summary>What the current generation left at one managed path, with the stat facts that let <c>gen verify</c> skip rehashing an unchanged file.</summary>
/// <param name="Path">The absolute path as the journal names it (not prefixed with the root).</param>
/// <param name="Kind">One of <see cref="PathKind"/>'s words.</param>
/// <param name="Object">The expected content of a file; null for directories and links.</param>
/// <param name="LinkTarget">The expected target of a link; null otherwise.</param>
/// <param name="Mode">The permission bits (e.g. 0o644).</param>
/// <param name="Uid">The owner.</param>
/// <param name="Gid">The group.</param>
/// <param name="Size">The size in bytes seen after writing.</param>
/// <param name="MtimeNs">The modification time in nanoseconds since the epoch seen after writing.</param>
/// <param name="Inode">The inode number seen after writing.</param>
public sealed record PathCacheEntry(
    string Path,
    string Kind,
    ObjectId? Object,
    string? LinkTarget,
    int Mode,
    long Uid,
    long Gid,
    long Size,
    long MtimeNs,
    long Inode);

/// <summary>How a switch changes the path cache: replace it whole, or apply a delta to it.</summary>
public sealed class PathCacheUpdate
{
    private PathCacheUpdate(bool replace, IReadOnlyCollection<PathCacheEntry> upserts, IReadOnlyCollection<string> removals)
    {
        IsReplace = replace;
        Upserts = upserts;
        Removals = removals;
    }

    /// <summary>True when the cache is emptied before <see cref="Upserts"/> are written.</summary>
    public bool IsReplace { get; }

    /// <summary>Entries written (inserted or overwritten by path).</summary>
    public IReadOnlyCollection<PathCacheEntry> Upserts { get; }

    /// <summary>Paths removed from the cache (only for a delta).</summary>
    public IReadOnlyCollection<string> Removals { get; }

    /// <summary>Leaves the cache as it is.</summary>
    public static PathCacheUpdate None { get; } = new(false, [], []);

    /// <summary>Makes the cache hold exactly <paramref name="entries"/>; a path listed twice is an error.</summary>
    public static PathCacheUpdate Replace(IReadOnlyCollection<PathCacheEntry> entries) => new(true, entries, []);

    /// <summary>Removes <paramref name="removals"/>, then writes <paramref name="upserts"/>; cheaper than a replace when a switch touches few paths.</summary>
    public static PathCacheUpdate Delta(IReadOnlyCollection<PathCacheEntry> upserts, IReadOnlyCollection<string> removals) =>
        new(false, upserts, removals);
}

/// <summary>Pre-existing content that gen overwrote or removed, to be recorded as a backup.</summary>
/// <param name="Path">The absolute path as the journal names it.</param>
/// <param name="Kind">One of <see cref="PathKind"/>'s words.</param>
/// <param name="Object">The content, already in the store (files); null otherwise.</param>
/// <param name="LinkTarget">The link's target (links); null otherwise.</param>
/// <param name="Mode">The permission bits.</param>
/// <param name="Uid">The owner.</param>
/// <param name="Gid">The group.</param>
public sealed record NewBackup(string Path, string Kind, ObjectId? Object, string? LinkTarget, int Mode, long Uid, long Gid);

/// <summary>A recorded backup of content gen overwrote or removed; its object is kept by gc.</summary>
/// <param name="Id">Unique, increasing.</param>
/// <param name="Path">The absolute path as the journal names it.</param>
/// <param name="Kind">One of <see cref="PathKind"/>'s words.</param>
/// <param name="Object">The content in the store (files); null otherwise.</param>
/// <param name="LinkTarget">The link's target (links); null otherwise.</param>
/// <param name="Mode">The permission bits.</param>
/// <param name="Uid">The owner.</param>
/// <param name="Gid">The group.</param>
/// <param name="Generation">The generation whose switch (or repair) made it; null while that switch is unfinished or was abandoned.</param>
/// <param name="Intent">The switch intent that made it, if it was made during a switch.</param>
/// <param name="Created">When it was recorded.</param>
/// <param name="Restored">True once gen has put the content back.</param>
public sealed record Backup(
    long Id,
    string Path,
    string Kind,
    ObjectId? Object,
    string? LinkTarget,
    int Mode,
    long Uid,
    long Gid,
    int? Generation,
    long? Intent,
    DateTimeOffset Created,
    bool Restored);

/// <summary>What a switch is about to do, recorded before anything on disk is touched (DESIGN §8).</summary>
/// <param name="From">The current generation when the switch began; null on a fresh machine.</param>
/// <param name="Journal">The target journal's id.</param>
/// <param name="Commit">The target git commit as hex, if any.</param>
/// <param name="Branch">The target branch, if any.</param>
/// <param name="Track">The track followed, if any.</param>
/// <param name="Host">The host id.</param>
/// <param name="Plan">The plan, as text, so that recovery can finish or undo it without recompiling.</param>
/// <param name="ExistingTarget">The number of an existing generation being switched to (rollback, <c>gen switch gen-N</c>); null to create a new one.</param>
public sealed record IntentStart(
    int? From,
    ObjectId Journal,
    string? Commit,
    string? Branch,
    string? Track,
    string Host,
    string Plan,
    int? ExistingTarget = null);

/// <summary>An unfinished switch as recorded in the intent log.</summary>
/// <param name="Id">Unique, increasing; backups made during the switch point to it.</param>
/// <param name="From">The current generation when the switch began.</param>
/// <param name="Target">The generation number the switch ends on: reserved for a new generation, or an existing one.</param>
/// <param name="TargetIsNew">True when <see cref="Target"/> is a newly reserved number with no row yet.</param>
/// <param name="Journal">The target journal's id.</param>
/// <param name="Commit">The target git commit as hex, if any.</param>
/// <param name="Branch">The target branch, if any.</param>
/// <param name="Track">The track followed, if any.</param>
/// <param name="Host">The host id.</param>
/// <param name="Plan">The plan text.</param>
/// <param name="Started">When the intent was recorded.</param>
/// <param name="Done">How many plan actions are known complete: actions 0 … Done−1 are done (as last marked); once <paramref name="Undoing"/>, actions of the reverse plan.</param>
/// <param name="Undoing">The engine had started undoing this switch (<see cref="StateDb.MarkUndoing"/>): recovery must continue the undo, not the switch.</param>
public sealed record SwitchIntent(
    long Id,
    int? From,
    int Target,
    bool TargetIsNew,
    ObjectId Journal,
    string? Commit,
    string? Branch,
    string? Track,
    string Host,
    string Plan,
    DateTimeOffset Started,
    int Done,
    bool Undoing = false);

/// <summary>What the atomic switch point records besides flipping the current generation.</summary>
/// <param name="Stats">Steps added, removed and changed (stored on a new generation; ignored for an existing target).</param>
/// <param name="PathCache">How the path cache changes.</param>
/// <param name="Backups">Backups made during the switch that were not yet recorded with <see cref="StateDb.AddBackup"/>.</param>
/// <param name="Result">The result stored on the target generation.</param>
/// <param name="Event">A message logged in the same transaction, as a <see cref="EventKind.Switch"/> event (or <see cref="EventKind.Rollback"/> when the target is older than the source); null logs nothing.</param>
/// <param name="Duration">How long the switch took: when given, recorded as the last successful switch (as <see cref="StateDb.RecordSwitchOutcome"/> does) in the same transaction, saving a separate fsync.</param>
public sealed record SwitchCommit(
    DiffStats Stats,
    PathCacheUpdate PathCache,
    IReadOnlyList<NewBackup>? Backups = null,
    string Result = GenerationResult.Ok,
    string? Event = null,
    TimeSpan? Duration = null);

/// <summary>The kinds of entry in the events log.</summary>
public static class EventKind
{
    /// <summary>A switch completed.</summary>
    public const string Switch = "switch";

    /// <summary>A switch to an older generation completed, or a switch was undone.</summary>
    public const string Rollback = "rollback";

    /// <summary>Managed paths no longer matched the current generation.</summary>
    public const string Drift = "drift";

    /// <summary>A health check failed after a switch.</summary>
    public const string HealthFailure = "health-failure";

    /// <summary>Fetching the config repo failed.</summary>
    public const string FetchError = "fetch-error";

    /// <summary>Generations and objects were garbage-collected.</summary>
    public const string Gc = "gc";

    /// <summary>An unfinished switch was found and completed or undone.</summary>
    public const string Recover = "recover";

    /// <summary>A switch failed.</summary>
    public const string SwitchFailed = "switch-failed";

    /// <summary>The host was frozen or unfrozen.</summary>
    public const string Freeze = "freeze";
}

/// <summary>One entry of the append-only events log.</summary>
/// <param name="Id">Unique, increasing.</param>
/// <param name="Time">When it happened, to the second.</param>
/// <param name="Kind">One of <see cref="EventKind"/>'s words (or another).</param>
/// <param name="Generation">The generation it concerns, if any.</param>
/// <param name="Message">One line.</param>
public sealed record GenEvent(long Id, DateTimeOffset Time, string Kind, int? Generation, string Message);

/// <summary>A commit the agent must not apply again until a newer one arrives.</summary>
/// <param name="Commit">The commit hex.</param>
/// <param name="Reason">Why, in one line.</param>
/// <param name="Time">When it was marked.</param>
public sealed record BadCommit(string Commit, string Reason, DateTimeOffset Time);

/// <summary>The agent's persisted state and the facts metrics report about the last runs.</summary>
/// <param name="Frozen">The agent must not move this host.</param>
/// <param name="FrozenReason">Why it was frozen.</param>
/// <param name="FrozenAt">When it was frozen.</param>
/// <param name="LastFetchAt">When the last fetch finished (successfully or not).</param>
/// <param name="LastFetchError">The last fetch's error, or null when it succeeded.</param>
/// <param name="LastSwitchAt">When the last switch finished.</param>
/// <param name="LastSwitchDuration">How long the last switch took.</param>
/// <param name="LastSwitchOk">Whether the last switch succeeded; null before the first.</param>
public sealed record AgentState(
    bool Frozen,
    string? FrozenReason,
    DateTimeOffset? FrozenAt,
    DateTimeOffset? LastFetchAt,
    string? LastFetchError,
    DateTimeOffset? LastSwitchAt,
    TimeSpan? LastSwitchDuration,
    bool? LastSwitchOk);

/// <summary>The ids gc must keep: journals of kept generations (whose payloads the engine expands) and objects referenced directly.</summary>
/// <param name="Journals">Journals of every remaining generation and of an open intent's target.</param>
/// <param name="Objects">Objects referenced directly: backups' contents and the path cache's expected contents.</param>
public sealed record GcRoots(IReadOnlySet<ObjectId> Journals, IReadOnlySet<ObjectId> Objects);
