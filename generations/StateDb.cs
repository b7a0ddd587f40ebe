using GenStore.Store;
using Microsoft.Data.Sqlite;

namespace GenStore.Generations;

/// <summary>The SQLite state database of a machine (gen.db): generations, the current pointer, path cache, backups, switch intent, events and agent state.</summary>
/// <remarks>
/// One instance holds one connection and is not thread-safe. Every write is its own transaction (or part of the
/// one transaction a method documents) and is durable when the method returns: WAL mode with synchronous=FULL.
/// Readers in other processes (<c>gen status</c>) see the last committed state while a switch writes.
/// </remarks>
public sealed class StateDb : IDisposable
{
    /// <summary>The file name of the database inside the state folder.</summary>
    public const string FileName = "gen.db";

    /// <summary>How long a write waits for another process's write transaction before failing.</summary>
    private const int BusyTimeoutMs = 10_000;

    private const UnixFileMode FileMode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirMode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const string GenerationColumns =
        "g.number, g.journal, g.git_commit, g.branch, g.track, g.host, g.created, g.result, g.added, g.removed, g.changed, g.pinned";

    private const string BackupColumns =
        "id, path, kind, object, link_target, mode, uid, gid, generation, intent, created, restored";

    private const string IntentColumns =
        "id, from_generation, target_generation, target_is_new, journal, git_commit, branch, track, host, plan, started, done, undoing";

    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;

    private StateDb(string path, SqliteConnection connection, TimeProvider time)
    {
        Path = path;
        _connection = connection;
        _time = time;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The schema version this build writes; <see cref="Open"/> migrates older files up to it.</summary>
    public static int SchemaVersion => Migrations.All[^1].Version;

    /// <summary>Opens (creating if needed, mode 0600 in a 0700 folder) and migrates the state database at <paramref name="path"/>.</summary>
    /// <param name="path">The database file, normally <c>/var/lib/gen/gen.db</c>.</param>
    /// <param name="time">The clock for created/started/event times; the system clock when null (tests pass their own).</param>
    /// <exception cref="StateVersionException">The file was written by a newer gen.</exception>
    public static StateDb Open(string path, TimeProvider? time = null) => Open(path, time, Migrations.All);

    /// <summary>Opens with an explicit migration list, so tests can prove how a later version will be applied.</summary>
    internal static StateDb Open(string path, TimeProvider? time, IReadOnlyList<Migrations.Migration> migrations)
    {
        path = System.IO.Path.GetFullPath(path);
        CreateFileIfAbsent(path);

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // A pooled connection would outlive Dispose and keep the file open; each gen run opens once anyway.
            Pooling = false,
            DefaultTimeout = BusyTimeoutMs / 1000,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            // First, so that switching to WAL and migrating wait for a concurrent opener instead of failing.
            Execute(connection, null, $"PRAGMA busy_timeout = {BusyTimeoutMs}");
            var mode = Scalar(connection, null, "PRAGMA journal_mode = WAL") as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new IOException($"{path}: SQLite refused WAL mode (got '{mode}'); put the state folder on a local filesystem");
            }

            // FULL makes every commit (including each progress mark) survive power loss, not just a crash of gen.
            Execute(connection, null, $"PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
            Migrations.Apply(connection, path, migrations);
            return new StateDb(path, connection, time ?? TimeProvider.System);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _connection.Dispose();

    /// <summary>The connection, for tests that must write rows an older schema or another version would.</summary>
    internal SqliteConnection Connection => _connection;

    /// <summary>The value of a pragma on this instance's own connection (for tests: synchronous and foreign_keys are per connection).</summary>
    internal object? Pragma(string name) => Scalar(_connection, null, $"PRAGMA {name}");

    // ---------------------------------------------------------------- generations

    /// <summary>The current generation, or null on a machine that never completed a switch.</summary>
    public Generation? Current =>
        QueryGeneration($"SELECT {GenerationColumns} FROM machine m JOIN generations g ON g.number = m.current_generation");

    /// <summary>The current generation's number, or null.</summary>
    public int? CurrentNumber => Scalar(_connection, null, "SELECT current_generation FROM machine") is long n ? (int)n : null;

    /// <summary>The generation numbered <paramref name="number"/>, or null when there is none (never recorded, or gc'd).</summary>
    public Generation? Get(int number) =>
        QueryGeneration($"SELECT {GenerationColumns} FROM generations g WHERE g.number = $n", ("$n", number));

    /// <summary>Every recorded generation, oldest (lowest number) first.</summary>
    public IReadOnlyList<Generation> List() =>
        QueryList($"SELECT {GenerationColumns} FROM generations g ORDER BY g.number", ReadGeneration);

    /// <summary>Sets the result word of generation <paramref name="number"/>, e.g. <see cref="GenerationResult.RolledBack"/> after a failed health check.</summary>
    public void SetResult(int number, string result) =>
        RequireGeneration(Execute(_connection, null, "UPDATE generations SET result = $r WHERE number = $n", ("$r", result), ("$n", number)), number);

    /// <summary>Exempts generation <paramref name="number"/> from gc; persisted.</summary>
    /// <exception cref="InputException">There is no such generation.</exception>
    public void Pin(int number) =>
        RequireGeneration(Execute(_connection, null, "UPDATE generations SET pinned = 1 WHERE number = $n", ("$n", number)), number);

    /// <summary>Makes generation <paramref name="number"/> subject to gc again.</summary>
    /// <exception cref="InputException">There is no such generation.</exception>
    public void Unpin(int number) =>
        RequireGeneration(Execute(_connection, null, "UPDATE generations SET pinned = 0 WHERE number = $n", ("$n", number)), number);

    // ---------------------------------------------------------------- switch intent (DESIGN §8)

    /// <summary>The unfinished switch, or null when the last switch completed or was abandoned.</summary>
    public SwitchIntent? OpenIntent => ReadIntent(null);

    /// <summary>Records that a switch is starting (step 1 of DESIGN §8), reserving the new generation's number; durable on return.</summary>
    /// <exception cref="InvalidOperationException">Another intent is open: recover it first.</exception>
    /// <exception cref="InputException"><see cref="IntentStart.ExistingTarget"/> names no generation.</exception>
    public SwitchIntent BeginIntent(IntentStart start)
    {
        ArgumentNullException.ThrowIfNull(start);
        using var tx = _connection.BeginTransaction();
        if (ReadIntent(tx) is { } open)
        {
            throw new InvalidOperationException($"a switch to generation {open.Target} is unfinished; recover it before starting another");
        }

        int target;
        if (start.ExistingTarget is { } existing)
        {
            if (Scalar(_connection, tx, "SELECT count(*) FROM generations WHERE number = $n", ("$n", existing)) is not 1L)
            {
                throw new InputException($"there is no generation {existing}; see 'gen list'");
            }

            target = existing;
        }
        else
        {
            // Reserving here (not at commit) lets the engine name the generation while applying, and a number
            // burnt by an abandoned switch is simply never used: numbers only grow.
            target = (int)(long)Scalar(_connection, tx, "SELECT next_generation FROM machine")!;
            Execute(_connection, tx, "UPDATE machine SET next_generation = $n", ("$n", target + 1));
        }

        Execute(_connection, tx,
            """
            INSERT INTO intents (from_generation, target_generation, target_is_new, journal, git_commit, branch, track, host, plan, started, done)
            VALUES ($from, $target, $new, $journal, $commit, $branch, $track, $host, $plan, $started, 0)
            """,
            ("$from", start.From), ("$target", target), ("$new", start.ExistingTarget is null), ("$journal", start.Journal.ToArray()),
            ("$commit", start.Commit), ("$branch", start.Branch), ("$track", start.Track), ("$host", start.Host),
            ("$plan", start.Plan), ("$started", Now()));
        var intent = ReadIntent(tx)!;
        tx.Commit();
        return intent;
    }

    /// <summary>Marks plan actions 0 … <paramref name="done"/>−1 complete with one cheap single-row update.</summary>
    /// <remarks>
    /// By default the mark survives gen being killed (<c>kill -9</c>: the WAL frame is in the kernel) but is not
    /// fsynced, because an fsync per mark costs tens of milliseconds on ordinary disks. After a power loss a mark
    /// may be older than the truth, which only makes recovery redo some idempotent actions; the renames it counts
    /// are not durable before the engine's syncfs either, so a durable mark could claim more than survived.
    /// Pass <paramref name="durable"/> after such a sync to make the mark itself survive power loss.
    /// <see cref="BatchProgress"/> marks every N actions instead of every one.
    /// </remarks>
    /// <exception cref="InvalidOperationException">No intent is open.</exception>
    public void MarkProgress(int done, bool durable = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(done);
        int rows;
        if (durable)
        {
            rows = Execute(_connection, null, "UPDATE intents SET done = $d", ("$d", done));
        }
        else
        {
            // In WAL mode NORMAL still commits atomically; it only defers the fsync to the next FULL commit or checkpoint.
            Execute(_connection, null, "PRAGMA synchronous = NORMAL");
            try
            {
                rows = Execute(_connection, null, "UPDATE intents SET done = $d", ("$d", done));
            }
            finally
            {
                Execute(_connection, null, "PRAGMA synchronous = FULL");
            }
        }

        if (rows != 1)
        {
            throw new InvalidOperationException("no switch intent is open to mark progress on");
        }
    }

    /// <summary>Records, durably, that the engine has started undoing the open switch (a failed switch, <c>gen recover --rollback</c>): sets <see cref="SwitchIntent.Undoing"/> and restarts the progress count for the reverse plan.</summary>
    /// <remarks>Without it, recovery after a crash during the undo would read the reverse plan's progress as the forward plan's and skip actions the undo had reverted.</remarks>
    /// <exception cref="InvalidOperationException">No intent is open.</exception>
    public void MarkUndoing()
    {
        if (Execute(_connection, null, "UPDATE intents SET undoing = 1, done = 0") != 1)
        {
            throw new InvalidOperationException("no switch intent is open to undo");
        }
    }

    /// <summary>A progress marker that writes to the intent log only every <paramref name="every"/> actions (and on <see cref="ProgressBatch.Flush"/>).</summary>
    public ProgressBatch BatchProgress(int every) => new(this, every);

    /// <summary>
    /// The atomic switch point (step 4 of DESIGN §8): in ONE transaction records the target generation (a new row,
    /// or the existing one's result), makes it current, updates the path cache, records backups, logs the event and
    /// deletes the intent (and logs <see cref="SwitchCommit.Event"/> when given). Either all of it is committed or none: a crash or an error before the commit leaves the
    /// intent open and the previous generation current, and recovery then finishes the (idempotent) plan.
    /// </summary>
    /// <returns>The generation that is now current.</returns>
    /// <exception cref="InvalidOperationException">No intent is open.</exception>
    public Generation CommitSwitch(SwitchCommit commit)
    {
        ArgumentNullException.ThrowIfNull(commit);
        using var tx = _connection.BeginTransaction();
        var intent = ReadIntent(tx) ?? throw new InvalidOperationException("no switch intent is open to commit");
        var now = Now();
        RecordTarget(tx, intent, commit.Result, commit.Stats, now);
        Execute(_connection, tx, "UPDATE machine SET current_generation = $n", ("$n", intent.Target));
        ApplyPathCache(tx, commit.PathCache);
        AttachBackups(tx, intent, commit.Backups, now);
        if (commit.Duration is { } duration)
        {
            Execute(_connection, tx, "UPDATE machine SET last_switch_at = $t, last_switch_seconds = $d, last_switch_ok = 1",
                ("$t", now), ("$d", duration.TotalSeconds));
        }

        if (commit.Event is { } message)
        {
            var back = intent.From is { } from && intent.Target < from;
            InsertEvent(tx, back ? EventKind.Rollback : EventKind.Switch, intent.Target, message, now);
        }

        Execute(_connection, tx, "DELETE FROM intents");
        tx.Commit(); // <- the switch happens here, atomically and durably.
        return Get(intent.Target)!;
    }

    /// <summary>Closes the open intent after the engine undid a failed switch: records a new target as a non-current generation with <paramref name="result"/>, logs the failure and deletes the intent, in one transaction.</summary>
    /// <exception cref="InvalidOperationException">No intent is open.</exception>
    public void RecordFailedSwitch(string result, DiffStats stats, string message)
    {
        using var tx = _connection.BeginTransaction();
        var intent = ReadIntent(tx) ?? throw new InvalidOperationException("no switch intent is open to close");
        var now = Now();
        if (intent.TargetIsNew)
        {
            RecordTarget(tx, intent, result, stats, now);
        }

        AttachBackups(tx, intent, null, now);
        InsertEvent(tx, EventKind.SwitchFailed, intent.Target, message, now);
        Execute(_connection, tx, "DELETE FROM intents");
        tx.Commit();
    }

    /// <summary>Deletes the open intent without recording a generation (for <c>gen recover --rollback</c>, after the engine undid the partial switch); the reserved number stays unused.</summary>
    /// <remarks>Backups made during the switch keep their rows (with no generation) so gc keeps their content.</remarks>
    /// <returns>The intent that was abandoned, or null when none was open.</returns>
    public SwitchIntent? AbandonIntent(string message)
    {
        using var tx = _connection.BeginTransaction();
        var intent = ReadIntent(tx);
        if (intent is not null)
        {
            InsertEvent(tx, EventKind.Recover, intent.From, message, Now());
            Execute(_connection, tx, "DELETE FROM intents");
        }

        tx.Commit();
        return intent;
    }

    // ---------------------------------------------------------------- path cache

    /// <summary>The path cache of the current generation, ordered by path.</summary>
    public IReadOnlyList<PathCacheEntry> PathCache() =>
        QueryList("SELECT path, kind, object, link_target, mode, uid, gid, size, mtime_ns, inode FROM path_cache ORDER BY path", ReadPathCacheEntry);

    /// <summary>The cached facts for <paramref name="path"/>, or null when it is not managed.</summary>
    public PathCacheEntry? CachedPath(string path) =>
        QueryList("SELECT path, kind, object, link_target, mode, uid, gid, size, mtime_ns, inode FROM path_cache WHERE path = $p",
            ReadPathCacheEntry, ("$p", path)) is [var e] ? e : null;

    /// <summary>The cached facts of those of <paramref name="paths"/> that are managed, by path; one prepared statement for all of them.</summary>
    /// <remarks>A switch's preflight looks up only the paths its plan touches: work proportional to the plan, not to the generation.</remarks>
    public Dictionary<string, PathCacheEntry> CachedPaths(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var found = new Dictionary<string, PathCacheEntry>(StringComparer.Ordinal);
        using var cmd = Command(_connection, null, "SELECT path, kind, object, link_target, mode, uid, gid, size, mtime_ns, inode FROM path_cache WHERE path = $p");
        var p = cmd.Parameters.Add("$p", SqliteType.Text);
        cmd.Prepare();
        foreach (var path in paths)
        {
            if (found.ContainsKey(path))
            {
                continue;
            }

            p.Value = path;
            using var reader = cmd.ExecuteReader();
            if (reader.Read())
            {
                found.Add(path, ReadPathCacheEntry(reader));
            }
        }

        return found;
    }

    /// <summary>Changes the path cache outside a switch (e.g. <c>gen verify</c> refreshing stat facts after a rehash), in one transaction.</summary>
    public void UpdatePathCache(PathCacheUpdate update)
    {
        using var tx = _connection.BeginTransaction();
        ApplyPathCache(tx, update);
        tx.Commit();
    }

    // ---------------------------------------------------------------- backups

    /// <summary>Records a backup at once, tied to the open intent if there is one; prefer this during a switch so a crash cannot lose the record.</summary>
    /// <param name="backup">What was backed up; its object must already be in the store.</param>
    /// <param name="generation">The generation it belongs to when made outside a switch (e.g. <c>gen verify --repair</c>); a switch's backups get the target's number at commit.</param>
    /// <param name="durable">
    /// True (the default) fsyncs the row before returning, so it survives power loss before the original is destroyed.
    /// False skips the fsync (about one disk flush per backup): the row still survives <c>kill -9</c>, and the next
    /// durable write (the commit) flushes it; use it when the engine flushes a whole batch with one durable write, or
    /// when the original's destruction is itself not yet durable.
    /// </param>
    /// <returns>The backup's id.</returns>
    public long AddBackup(NewBackup backup, int? generation = null, bool durable = true) =>
        AddBackups([backup], generation, durable)[0].Id;

    /// <summary>Records several backups in one transaction (one fsync at most), tied to the open intent if there is one.</summary>
    /// <returns>The recorded backups, in the order given.</returns>
    public IReadOnlyList<Backup> AddBackups(IReadOnlyList<NewBackup> backups, int? generation = null, bool durable = true)
    {
        ArgumentNullException.ThrowIfNull(backups);
        if (!durable)
        {
            Execute(_connection, null, "PRAGMA synchronous = NORMAL");
        }

        try
        {
            using var tx = _connection.BeginTransaction();
            var intent = ReadIntent(tx);
            var now = Now();
            var ids = backups.Select(b => InsertBackup(tx, b, generation, intent?.Id, now)).ToList();
            tx.Commit();
            return ids.Select((id, i) => new Backup(id, backups[i].Path, backups[i].Kind, backups[i].Object, backups[i].LinkTarget,
                backups[i].Mode, backups[i].Uid, backups[i].Gid, generation, intent?.Id, FromUnix(now), false)).ToList();
        }
        finally
        {
            if (!durable)
            {
                Execute(_connection, null, "PRAGMA synchronous = FULL");
            }
        }
    }

    /// <summary>The backup with <paramref name="id"/>, or null.</summary>
    public Backup? GetBackup(long id) =>
        QueryList($"SELECT {BackupColumns} FROM backups WHERE id = $id", ReadBackup, ("$id", id)) is [var b] ? b : null;

    /// <summary>Every recorded backup, oldest first.</summary>
    public IReadOnlyList<Backup> Backups() => QueryList($"SELECT {BackupColumns} FROM backups ORDER BY id", ReadBackup);

    /// <summary>Notes that backup <paramref name="id"/>'s content was put back on disk.</summary>
    public void MarkBackupRestored(long id)
    {
        if (Execute(_connection, null, "UPDATE backups SET restored = 1 WHERE id = $id", ("$id", id)) != 1)
        {
            throw new InputException($"there is no backup {id}; see 'gen backups'");
        }
    }

    // ---------------------------------------------------------------- events

    /// <summary>Appends an event to the log.</summary>
    public void AddEvent(string kind, string message, int? generation = null) =>
        InsertEvent(null, kind, generation, message, Now());

    /// <summary>The <paramref name="limit"/> most recent events, oldest first.</summary>
    public IReadOnlyList<GenEvent> Events(int limit = 50) =>
        QueryList("SELECT id, time, kind, generation, message FROM (SELECT * FROM events ORDER BY id DESC LIMIT $l) ORDER BY id",
            r => new GenEvent(r.GetInt64(0), FromUnix(r.GetInt64(1)), r.GetString(2), NullableInt(r, 3), r.GetString(4)), ("$l", limit));

    /// <summary>Deletes all but the <paramref name="keepNewest"/> most recent events (for gc, so an agent running for years keeps a bounded log).</summary>
    /// <returns>How many events were deleted.</returns>
    public int PruneEvents(int keepNewest)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepNewest);
        return Execute(_connection, null, "DELETE FROM events WHERE id NOT IN (SELECT id FROM events ORDER BY id DESC LIMIT $k)", ("$k", keepNewest));
    }

    // ---------------------------------------------------------------- agent state (issue 6)

    /// <summary>The persisted agent state and last-run facts.</summary>
    public AgentState Agent =>
        QueryList(
            "SELECT frozen, frozen_reason, frozen_at, last_fetch_at, last_fetch_error, last_switch_at, last_switch_seconds, last_switch_ok FROM machine",
            r => new AgentState(
                r.GetInt64(0) != 0,
                NullableString(r, 1),
                NullableTime(r, 2),
                NullableTime(r, 3),
                NullableString(r, 4),
                NullableTime(r, 5),
                r.IsDBNull(6) ? null : TimeSpan.FromSeconds(r.GetDouble(6)),
                r.IsDBNull(7) ? null : r.GetInt64(7) != 0))[0];

    /// <summary>Stops the agent from moving this host until <see cref="Unfreeze"/>; persisted.</summary>
    public void Freeze(string reason) =>
        Execute(_connection, null, "UPDATE machine SET frozen = 1, frozen_reason = $r, frozen_at = $t", ("$r", reason), ("$t", Now()));

    /// <summary>Lets the agent move this host again.</summary>
    public void Unfreeze() =>
        Execute(_connection, null, "UPDATE machine SET frozen = 0, frozen_reason = NULL, frozen_at = NULL");

    /// <summary>Records the end of a fetch: <paramref name="error"/> null for success.</summary>
    public void RecordFetch(string? error) =>
        Execute(_connection, null, "UPDATE machine SET last_fetch_at = $t, last_fetch_error = $e", ("$t", Now()), ("$e", error));

    /// <summary>Records the end of a switch for metrics: how long it took and whether it succeeded.</summary>
    public void RecordSwitchOutcome(TimeSpan duration, bool ok) =>
        Execute(_connection, null, "UPDATE machine SET last_switch_at = $t, last_switch_seconds = $d, last_switch_ok = $ok",
            ("$t", Now()), ("$d", duration.TotalSeconds), ("$ok", ok));

    /// <summary>Remembers <paramref name="commit"/> as bad (e.g. its health check failed) so the agent does not retry it.</summary>
    public void MarkBad(string commit, string reason) =>
        Execute(_connection, null,
            "INSERT INTO bad_commits (git_commit, reason, at) VALUES ($c, $r, $t) ON CONFLICT (git_commit) DO UPDATE SET reason = excluded.reason, at = excluded.at",
            ("$c", commit), ("$r", reason), ("$t", Now()));

    /// <summary>True when <paramref name="commit"/> was marked bad.</summary>
    public bool IsBad(string commit) =>
        Scalar(_connection, null, "SELECT count(*) FROM bad_commits WHERE git_commit = $c", ("$c", commit)) is not 0L;

    /// <summary>Every commit marked bad, oldest first.</summary>
    public IReadOnlyList<BadCommit> BadCommits() =>
        QueryList("SELECT git_commit, reason, at FROM bad_commits ORDER BY at, git_commit",
            r => new BadCommit(r.GetString(0), r.GetString(1), FromUnix(r.GetInt64(2))));

    /// <summary>Forgets bad commits: one, or all when <paramref name="commit"/> is null (a newer commit arrived).</summary>
    public void ForgetBad(string? commit = null) =>
        Execute(_connection, null, commit is null ? "DELETE FROM bad_commits" : "DELETE FROM bad_commits WHERE git_commit = $c", ("$c", commit));

    // ---------------------------------------------------------------- gc

    /// <summary>The generations <paramref name="rules"/> delete now (see <see cref="GcRules"/>), also never the open intent's source or target.</summary>
    public IReadOnlyList<Generation> SelectForGc(GcRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var intent = OpenIntent;
        return rules.SelectForDeletion(List(), CurrentNumber, _time.GetUtcNow())
            .Where(g => intent is null || (g.Number != intent.From && g.Number != intent.Target))
            .ToList();
    }

    /// <summary>Deletes the rows of <paramref name="numbers"/> in one transaction; their numbers are never used again.</summary>
    /// <exception cref="InvalidOperationException">One of them is current, pinned or used by the open intent; nothing is deleted.</exception>
    /// <returns>How many rows were deleted (numbers with no row are skipped).</returns>
    public int DeleteGenerations(IEnumerable<int> numbers)
    {
        using var tx = _connection.BeginTransaction();
        var current = Scalar(_connection, tx, "SELECT current_generation FROM machine") as long?;
        var intent = ReadIntent(tx);
        var deleted = 0;
        foreach (var n in numbers)
        {
            if (n == current || n == intent?.From || n == intent?.Target)
            {
                throw new InvalidOperationException($"generation {n} is current or used by an unfinished switch; it cannot be deleted");
            }

            if (Scalar(_connection, tx, "SELECT pinned FROM generations WHERE number = $n", ("$n", n)) is 1L)
            {
                throw new InvalidOperationException($"generation {n} is pinned; unpin it first");
            }

            deleted += Execute(_connection, tx, "DELETE FROM generations WHERE number = $n", ("$n", n));
        }

        tx.Commit();
        return deleted;
    }

    /// <summary>Everything the store must keep: journals of remaining generations and the open intent, backups' objects and the path cache's expected objects.</summary>
    /// <remarks>The engine expands the journals into their payload ids; every other object is unreferenced.</remarks>
    public GcRoots GcRoots()
    {
        var journals = new HashSet<ObjectId>();
        var objects = new HashSet<ObjectId>();
        foreach (var id in QueryList("SELECT journal FROM generations UNION SELECT journal FROM intents", r => ReadId(r, 0)))
        {
            journals.Add(id);
        }

        foreach (var id in QueryList("SELECT object FROM backups WHERE object IS NOT NULL UNION SELECT object FROM path_cache WHERE object IS NOT NULL", r => ReadId(r, 0)))
        {
            objects.Add(id);
        }

        return new GcRoots(journals, objects);
    }

    // ---------------------------------------------------------------- internals

    private static void CreateFileIfAbsent(string path)
    {
        var dir = System.IO.Path.GetDirectoryName(path)!;
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, DirMode0700);
            // Explicit, because the umask may have narrowed or the folder may have raced into existence.
            File.SetUnixFileMode(dir, DirMode0700);
        }

        if (File.Exists(path))
        {
            return;
        }

        try
        {
            using (new FileStream(path, new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode0600 }))
            {
            }

            // SQLite gives the -wal and -shm files the mode of the database file, so setting it here covers them too.
            File.SetUnixFileMode(path, FileMode0600);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another gen created it first; fine.
        }
    }

    private void RecordTarget(SqliteTransaction tx, SwitchIntent intent, string result, DiffStats stats, long now)
    {
        if (intent.TargetIsNew)
        {
            Execute(_connection, tx,
                """
                INSERT INTO generations (number, journal, git_commit, branch, track, host, created, result, added, removed, changed, pinned)
                VALUES ($n, $journal, $commit, $branch, $track, $host, $created, $result, $added, $removed, $changed, 0)
                """,
                ("$n", intent.Target), ("$journal", intent.Journal.ToArray()), ("$commit", intent.Commit), ("$branch", intent.Branch),
                ("$track", intent.Track), ("$host", intent.Host), ("$created", now), ("$result", result),
                ("$added", stats.Added), ("$removed", stats.Removed), ("$changed", stats.Changed));
        }
        else if (Execute(_connection, tx, "UPDATE generations SET result = $r WHERE number = $n", ("$r", result), ("$n", intent.Target)) != 1)
        {
            throw new InvalidOperationException($"generation {intent.Target}, the target of the open switch, has no row");
        }
    }

    private void AttachBackups(SqliteTransaction tx, SwitchIntent intent, IReadOnlyList<NewBackup>? backups, long now)
    {
        foreach (var b in backups ?? [])
        {
            InsertBackup(tx, b, intent.Target, intent.Id, now);
        }

        // Backups recorded one by one during the switch belong to the generation it made.
        Execute(_connection, tx, "UPDATE backups SET generation = $g WHERE intent = $i AND generation IS NULL", ("$g", intent.Target), ("$i", intent.Id));
    }

    private long InsertBackup(SqliteTransaction tx, NewBackup b, int? generation, long? intent, long now) =>
        (long)Scalar(_connection, tx,
            """
            INSERT INTO backups (path, kind, object, link_target, mode, uid, gid, generation, intent, created, restored)
            VALUES ($path, $kind, $object, $link, $mode, $uid, $gid, $gen, $intent, $created, 0) RETURNING id
            """,
            ("$path", b.Path), ("$kind", b.Kind), ("$object", b.Object?.ToArray()), ("$link", b.LinkTarget), ("$mode", b.Mode),
            ("$uid", b.Uid), ("$gid", b.Gid), ("$gen", generation), ("$intent", intent), ("$created", now))!;

    private void ApplyPathCache(SqliteTransaction tx, PathCacheUpdate update)
    {
        if (update.IsReplace)
        {
            Execute(_connection, tx, "DELETE FROM path_cache");
        }

        if (update.Removals.Count > 0)
        {
            using var remove = Command(_connection, tx, "DELETE FROM path_cache WHERE path = $p");
            var p = remove.Parameters.Add("$p", SqliteType.Text);
            foreach (var path in update.Removals)
            {
                p.Value = path;
                remove.ExecuteNonQuery();
            }
        }

        if (update.Upserts.Count == 0)
        {
            return;
        }

        // A replace uses plain INSERT so that a path listed twice fails (and rolls the whole switch back) instead of
        // silently keeping one of them; a delta overwrites.
        using var insert = Command(_connection, tx,
            (update.IsReplace ? "INSERT" : "INSERT OR REPLACE") +
            " INTO path_cache (path, kind, object, link_target, mode, uid, gid, size, mtime_ns, inode) VALUES ($path, $kind, $object, $link, $mode, $uid, $gid, $size, $mtime, $inode)");
        var path_ = insert.Parameters.Add("$path", SqliteType.Text);
        var kind = insert.Parameters.Add("$kind", SqliteType.Text);
        var obj = insert.Parameters.Add("$object", SqliteType.Blob);
        var link = insert.Parameters.Add("$link", SqliteType.Text);
        var mode = insert.Parameters.Add("$mode", SqliteType.Integer);
        var uid = insert.Parameters.Add("$uid", SqliteType.Integer);
        var gid = insert.Parameters.Add("$gid", SqliteType.Integer);
        var size = insert.Parameters.Add("$size", SqliteType.Integer);
        var mtime = insert.Parameters.Add("$mtime", SqliteType.Integer);
        var inode = insert.Parameters.Add("$inode", SqliteType.Integer);
        foreach (var e in update.Upserts)
        {
            path_.Value = e.Path;
            kind.Value = e.Kind;
            obj.Value = e.Object is { } id ? id.ToArray() : DBNull.Value;
            link.Value = (object?)e.LinkTarget ?? DBNull.Value;
            mode.Value = e.Mode;
            uid.Value = e.Uid;
            gid.Value = e.Gid;
            size.Value = e.Size;
            mtime.Value = e.MtimeNs;
            inode.Value = e.Inode;
            insert.ExecuteNonQuery();
        }
    }

    private void InsertEvent(SqliteTransaction? tx, string kind, int? generation, string message, long now) =>
        Execute(_connection, tx, "INSERT INTO events (time, kind, generation, message) VALUES ($t, $k, $g, $m)",
            ("$t", now), ("$k", kind), ("$g", generation), ("$m", message));

    private SwitchIntent? ReadIntent(SqliteTransaction? tx) =>
        QueryList($"SELECT {IntentColumns} FROM intents", r => new SwitchIntent(
            r.GetInt64(0),
            NullableInt(r, 1),
            r.GetInt32(2),
            r.GetInt64(3) != 0,
            ReadId(r, 4),
            NullableString(r, 5),
            NullableString(r, 6),
            NullableString(r, 7),
            r.GetString(8),
            r.GetString(9),
            FromUnix(r.GetInt64(10)),
            r.GetInt32(11),
            r.GetInt64(12) != 0), tx) is [var i] ? i : null;

    private Generation? QueryGeneration(string sql, params (string, object?)[] args) =>
        QueryList(sql, ReadGeneration, args) is [var g] ? g : null;

    private static Generation ReadGeneration(SqliteDataReader r) => new(
        r.GetInt32(0),
        ReadId(r, 1),
        NullableString(r, 2),
        NullableString(r, 3),
        NullableString(r, 4),
        r.GetString(5),
        FromUnix(r.GetInt64(6)),
        r.GetString(7),
        new DiffStats(r.GetInt32(8), r.GetInt32(9), r.GetInt32(10)),
        r.GetInt64(11) != 0);

    private static PathCacheEntry ReadPathCacheEntry(SqliteDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        r.IsDBNull(2) ? null : ReadId(r, 2),
        NullableString(r, 3),
        r.GetInt32(4),
        r.GetInt64(5),
        r.GetInt64(6),
        r.GetInt64(7),
        r.GetInt64(8),
        r.GetInt64(9));

    private static Backup ReadBackup(SqliteDataReader r) => new(
        r.GetInt64(0),
        r.GetString(1),
        r.GetString(2),
        r.IsDBNull(3) ? null : ReadId(r, 3),
        NullableString(r, 4),
        r.GetInt32(5),
        r.GetInt64(6),
        r.GetInt64(7),
        NullableInt(r, 8),
        r.IsDBNull(9) ? null : r.GetInt64(9),
        FromUnix(r.GetInt64(10)),
        r.GetInt64(11) != 0);

    private static ObjectId ReadId(SqliteDataReader r, int column) => new(r.GetFieldValue<byte[]>(column));

    private static string? NullableString(SqliteDataReader r, int column) => r.IsDBNull(column) ? null : r.GetString(column);

    private static int? NullableInt(SqliteDataReader r, int column) => r.IsDBNull(column) ? null : r.GetInt32(column);

    private static DateTimeOffset? NullableTime(SqliteDataReader r, int column) => r.IsDBNull(column) ? null : FromUnix(r.GetInt64(column));

    private static DateTimeOffset FromUnix(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);

    private long Now() => _time.GetUtcNow().ToUnixTimeSeconds();

    private static void RequireGeneration(int rows, int number)
    {
        if (rows != 1)
        {
            throw new InputException($"there is no generation {number}; see 'gen list'");
        }
    }

    private List<T> QueryList<T>(string sql, Func<SqliteDataReader, T> read, params (string, object?)[] args) =>
        QueryList(sql, read, null, args);

    private List<T> QueryList<T>(string sql, Func<SqliteDataReader, T> read, SqliteTransaction? tx, params (string, object?)[] args)
    {
        using var cmd = Command(_connection, tx, sql, args);
        using var reader = cmd.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(read(reader));
        }

        return list;
    }

    internal static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    internal static int Execute(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(connection, tx, sql, args);
        return cmd.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(connection, tx, sql, args);
        var value = cmd.ExecuteScalar();
        return value is DBNull ? null : value;
    }
}
