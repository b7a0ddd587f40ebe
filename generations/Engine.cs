using System.Diagnostics;
using System.Text.RegularExpressions;
using GenStore.Apply;
using GenStore.Config;
using GenStore.Git;
using GenStore.Journal;
using GenStore.Store;

namespace GenStore.Generations;

/// <summary>Where a machine's state and root are, who it is, and how the engine talks back.</summary>
/// <param name="StateFolder">The state folder (<c>/var/lib/gen</c>): store, database, lock, mirror.</param>
/// <param name="Root">The filesystem root the generations are applied under (<c>/</c> in production).</param>
public sealed record EngineOptions(string StateFolder, string Root)
{
    /// <summary>The host id that <c>hosts</c> blocks and templates see.</summary>
    public string HostId { get; init; } = Environment.MachineName;

    /// <summary>A config repository to read instead of the mirror in the state folder.</summary>
    public string? Repo { get; init; }

    /// <summary>How long to wait for another gen to finish; null waits as long as it takes.</summary>
    public double? LockWaitSeconds { get; init; }

    /// <summary>Receives human-readable notes: waiting, warnings, triggers.</summary>
    public Action<string> Report { get; init; } = _ => { };

    /// <summary>False skips RUN triggers (image builds, demos).</summary>
    public bool RunTriggers { get; init; } = true;

    /// <summary>True leaves accounts alone and makes the calling user own everything; the default when gen is not run as root.</summary>
    public bool Rootless { get; init; } = !Environment.IsPrivilegedProcess;
}

/// <summary>What one switch did (or would have done): the generations, the plan and what it left behind.</summary>
/// <param name="From">The generation before; null on a fresh machine.</param>
/// <param name="To">The generation after.</param>
/// <param name="Plan">The actions applied.</param>
/// <param name="Stats">Identities added, removed and changed by this switch.</param>
/// <param name="AlreadyThere">True when nothing was done because the machine was already there.</param>
/// <param name="Warnings">Things left in place on purpose.</param>
/// <param name="TriggersRun">Triggers run and how each ended.</param>
public sealed record SwitchOutcome(Generation? From, Generation To, Plan Plan, DiffStats Stats, bool AlreadyThere, IReadOnlyList<string> Warnings, IReadOnlyList<TriggerRun> TriggersRun);

/// <summary>One RUN trigger fired after a switch, and its exit code.</summary>
public sealed record TriggerRun(string Name, IReadOnlyList<string> Argv, int ExitCode);

/// <summary>What a switch to a target would do, computed without touching anything.</summary>
/// <param name="From">The current generation.</param>
/// <param name="JournalId">The target journal's id.</param>
/// <param name="Journal">The target journal.</param>
/// <param name="Commit">The target commit, if it came from git.</param>
/// <param name="Plan">The actions a switch would apply.</param>
/// <param name="Drifts">Paths that would stop the switch.</param>
public sealed record PlanPreview(Generation? From, ObjectId JournalId, Journal.Journal Journal, string? Commit, Plan Plan, IReadOnlyList<Drift> Drifts);

/// <summary>The generations engine of one machine: switch, rollback, recover, and the reads and maintenance around them.</summary>
/// <remarks>
/// Data flows one way (DESIGN §2): resolve and compile the target, diff against the current journal, preflight,
/// record the intent, apply, sync, and flip the current generation in one SQLite transaction.
/// </remarks>
public sealed partial class Engine : IDisposable
{
    private const int ProgressEvery = 256;
    private const int PlanTextActions = 100;
    private const int PreflightLookups = 5000;

    // A commit that changes more files than this is compiled in full: deriving its journal would save little.
    private const int RecompileMaxFiles = 10_000;
    private static readonly Regex GenerationRef = new(@"^gen-(\d+)$", RegexOptions.CultureInvariant);

    private readonly EngineOptions _options;
    private readonly RootFs _fs;

    private Engine(EngineOptions options, Store.Store store, StateDb db)
    {
        _options = options;
        _fs = new RootFs(options.Root);
        Store = store;
        Db = db;
    }

    /// <summary>The content-addressed store.</summary>
    public Store.Store Store { get; }

    /// <summary>The state database.</summary>
    public StateDb Db { get; }

    /// <summary>The options the engine was opened with.</summary>
    public EngineOptions Options => _options;

    /// <summary>The bare mirror of the config repo inside the state folder.</summary>
    public string MirrorPath => Path.Combine(_options.StateFolder, "repo.git");

    /// <summary>Opens (creating when missing) the state folder, its store and its database.</summary>
    public static Engine Open(EngineOptions options)
    {
        PhaseTrace.Mark("start");
        Directory.CreateDirectory(options.StateFolder, GenStore.Store.Store.FolderMode);
        if (!Directory.Exists(options.Root))
        {
            throw new InputException("the root folder does not exist; create it or pass another --root", options.Root);
        }

        var store = GenStore.Store.Store.Open(Path.Combine(options.StateFolder, "store"));
        PhaseTrace.Mark("open store");
        var db = StateDb.Open(Path.Combine(options.StateFolder, StateDb.FileName));
        PhaseTrace.Mark("open database");
        return new Engine(options, store, db);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        PhaseTrace.Mark("until dispose");
        Db.Dispose();
        PhaseTrace.Mark("close database");
    }

    /// <summary>Switches the machine to <paramref name="target"/> (a revision or <c>gen-N</c>).</summary>
    /// <param name="target">What to switch to.</param>
    /// <param name="force">Back up drifted paths and overwrite them instead of stopping.</param>
    /// <param name="track">The fleet track this switch follows, recorded on the generation (the agent passes it).</param>
    /// <param name="branch">The branch to record when <paramref name="target"/> is a commit hash taken from that branch.</param>
    public SwitchOutcome Switch(string target, bool force = false, string? track = null, string? branch = null)
    {
        PhaseTrace.Mark("cli");
        using var held = Lock();
        RecoverUnlocked(rollback: false);
        PhaseTrace.Mark("lock + recover check");
        if (AlreadyAt(target) is { } here)
        {
            PhaseTrace.Mark("already-there check");
            return new SwitchOutcome(here, here, Plan.Empty, DiffStats.None, AlreadyThere: true, [], []);
        }

        PhaseTrace.Mark("already-there check");

        // The current journal is read and parsed on another core while the target compiles.
        var currentJournal = LoadInBackground(Db.Current);
        var resolved = Resolve(target, currentJournal);
        PhaseTrace.Mark("resolve (compile)");
        return SwitchUnlocked(resolved with { Track = track ?? resolved.Track, Branch = branch ?? resolved.Branch }, force, currentJournal);
    }

    /// <summary>Switches to the generation <paramref name="back"/> places before the current one; needs neither git nor the network.</summary>
    public SwitchOutcome Rollback(int back = 1, bool force = false)
    {
        PhaseTrace.Mark("cli");
        using var held = Lock();
        RecoverUnlocked(rollback: false);
        PhaseTrace.Mark("lock + recover check");
        var current = Db.Current ?? throw new InputException("there is no current generation to roll back from; run 'gen switch <rev>' first");
        var older = Db.List().Where(g => g.Number < current.Number && g.Result == GenerationResult.Ok).OrderByDescending(g => g.Number).ToList();
        if (back < 1 || back > older.Count)
        {
            throw new InputException($"cannot roll back {back} generation{(back == 1 ? string.Empty : "s")}: only {older.Count} older successful generation{(older.Count == 1 ? " is" : "s are")} recorded; see 'gen list'");
        }

        // Both journals are read and parsed at once, one on another core.
        var currentJournal = LoadInBackground(current);
        var resolved = ResolveGeneration(older[back - 1]);
        PhaseTrace.Mark("resolve (load target)");
        return SwitchUnlocked(resolved, force, currentJournal);
    }

    /// <summary>What <see cref="Switch"/> to <paramref name="target"/> would do; touches nothing on disk.</summary>
    public PlanPreview Preview(string target)
    {
        var resolved = Resolve(target);
        var current = Db.Current;
        var plan = JournalDiff.Plan(JournalOf(current), resolved.Journal);
        return new PlanPreview(current, resolved.JournalId, resolved.Journal, resolved.Commit, plan, Preflight(plan));
    }

    /// <summary>Finishes an interrupted switch (or, with <paramref name="rollback"/>, undoes it); false when there was none.</summary>
    public bool Recover(bool rollback)
    {
        using var held = Lock();
        return RecoverUnlocked(rollback);
    }

    private GenerationLock Lock() =>
        GenerationLock.Acquire(Path.Combine(_options.StateFolder, GenerationLock.FileName), _options.LockWaitSeconds ?? double.PositiveInfinity, _options.Report);

    /// <summary>Starts reading <paramref name="generation"/>'s journal on a pool thread; it touches only the store, never the database.</summary>
    private Preloaded LoadInBackground(Generation? generation) =>
        new(generation?.Journal, generation is null ? Task.FromResult(Journal.Journal.Empty) : Task.Run(() => LoadJournal(generation.Journal)));

    private SwitchOutcome SwitchUnlocked(Target target, bool force, Preloaded? preloaded = null)
    {
        var current = Db.Current;
        if (current is not null && current.Journal == target.JournalId)
        {
            return new SwitchOutcome(current, current, Plan.Empty, DiffStats.None, AlreadyThere: true, [], []);
        }

        // A generation that was applied successfully passed every static check then, and a journal never changes; what
        // the root may have changed since (a parent folder, an account) fails its action, and the switch is undone.
        var checkedBefore = target.Existing is { } number && Db.Get(number)?.Result == GenerationResult.Ok;

        // A journal just compiled gets the whole static check, which needs no plan: it runs on the other core while this
        // one waits for the current journal and diffs (it only reads the journal and the root's account files).
        // A journal derived from the current generation's differs from it only in payload ids, all stored: the checks it
        // passed when it was applied still hold.
        checkedBefore |= target.Compiled?.Statistics.Incremental == true;
        var fullCheck = !checkedBefore && target.PayloadsStored
            ? Task.Run(() => CheckJournal(target.Journal, Plan.Empty, payloadsOnly: false, payloadsStored: true))
            : null;
        var oldJournal = preloaded is not null && preloaded.Journal == current?.Journal
            ? preloaded.Parsed.GetAwaiter().GetResult()
            : JournalOf(current);
        PhaseTrace.Mark("load current journal");
        var plan = JournalDiff.Plan(oldJournal, target.Journal);
        PhaseTrace.Mark("diff");
        if (fullCheck is null)
        {
            CheckJournal(target.Journal, plan, payloadsOnly: checkedBefore, payloadsStored: target.PayloadsStored);
        }
        else
        {
            fullCheck.GetAwaiter().GetResult();
        }

        PhaseTrace.Mark("check target journal");

        // Preflight: nothing has been touched yet, so stopping here leaves the machine exactly as it was.
        var drifts = Preflight(plan);
        PhaseTrace.Mark("preflight");
        if (drifts.Count > 0)
        {
            if (!force)
            {
                Db.AddEvent(EventKind.Drift, $"{drifts.Count} drifted path(s); first: {drifts[0]}", current?.Number);
                throw new DriftException(drifts);
            }

            BackUpDrifted(drifts);
        }

        // The payloads and the journal must be durable before the intent names them, and they are: the compile makes
        // them so before it returns (an fsync per object when there are few, else one store syncfs: ConfigCompiler,
        // PayloadHasher.Durable), a recorded generation's were before its first switch, and backups are added durably.
        // A second syncfs here flushed every dirty page of the whole file system, ~200 ms on a busy one for a 1-file switch.
        var intent = Db.BeginIntent(new IntentStart(current?.Number, target.JournalId, target.Commit, target.Branch, target.Track, _options.HostId,
            PlanText(plan), target.Existing));
        PhaseTrace.Mark("begin intent");
        var warnings = new List<string>();
        var clock = Stopwatch.StartNew();
        try
        {
            Execute(plan, start: 0, warnings, verifyBeforeRemove: false, trustPreflight: true, fsyncEach: !plan.Actions.Any(a => a.Identity.Kind is IdentityKind.User or IdentityKind.Group));
        }
        catch (Exception e) when (e is GenException or IOException or UnauthorizedAccessException)
        {
            // Nothing lost: put back what this switch already did, then report the original cause.
            UndoPartial(intent, oldJournal, target.Journal, e);
            Db.RecordSwitchOutcome(clock.Elapsed, ok: false);
            throw;
        }

        var generation = Commit(plan, target.Journal, $"{Describe(current)} -> {target.Commit ?? target.JournalId.ToString()} ({Stats(plan)}) in {clock.Elapsed.TotalSeconds:F2}s", clock.Elapsed);
        PhaseTrace.Mark("commit");

        // The generation lock has been held since before the compile, so no object has left the store (gc takes it), and
        // the apply gave the compile's own additions time to settle: the blob cache may vouch for their folders again.
        if (target.Compiled is { } compiled)
        {
            compiled.VouchForStoreFolders();

            // What the next switch may derive its journal from, now that this commit is the current generation's. A
            // derived compile's sources are its basis's (it carries only the changed files' part of them).
            if (target.DerivedFrom is { } basis)
            {
                basis.SaveDerived(BasisPath, target.Commit!, target.JournalId);
            }
            else
            {
                CompileBasis.Save(BasisPath, CompileMemo.CompilerId, _options.HostId, target.Commit!, target.JournalId, compiled.ReadPaths, compiled.CopiedFiles);
            }
        }

        var triggers = RunTriggers(plan, target.Journal, warnings);
        PhaseTrace.Mark("triggers");
        return new SwitchOutcome(current, generation, plan, Stats(plan), AlreadyThere: false, warnings, triggers);
    }

    private void Execute(Plan plan, int start, List<string> warnings, bool verifyBeforeRemove, bool trustPreflight = false, bool fsyncEach = false)
    {
        var backups = new BackupBook(Db);
        // A repair has no intent: it rewrites paths of the current generation, so there is nothing to resume.
        var progress = Db.OpenIntent is null ? null : Db.BatchProgress(ProgressEvery);
        var faultAfter = FaultPoint();
        var hooks = new ApplyHooks(
            backups.Find,
            backups.Save,
            backups.Restored,
            done =>
            {
                progress?.Completed(done);

                // A re-run cannot tell a folder or account this switch created from one that was there before (both
                // exist), and would back it up as pre-existing, so a later undo would keep it. Marking progress right
                // after each of these (a cheap mark, no fsync) keeps recovery from re-running them.
                if (plan.Actions[done - 1] is { Kind: PlanActionKind.Do, Step: MkdirStep or UserStep or GroupStep })
                {
                    progress?.Flush();
                }

                if (done == faultAfter)
                {
                    // Test-only fault point: die exactly as kill -9 would, with no cleanup.
                    Process.GetCurrentProcess().Kill();
                }
            },
            warning =>
            {
                warnings.Add(warning);
                _options.Report($"warning: {warning}");
            });
        PhaseTrace.Mark("apply setup");
        using (EarlyWriteback.Start(_fs.Root, plan.Actions.Count - start))
        {
            new Applier(_fs, Store, Accounts(), hooks) { VerifyBeforeRemove = verifyBeforeRemove, TrustPreflight = trustPreflight }.Apply(plan, start);
        }

        progress?.Flush();
        PhaseTrace.Mark("apply");

        // One syncfs per filesystem instead of an fsync per file (DESIGN §8 step 2), or for a small change without
        // accounts an fsync per changed entry and folder; either must come before the commit. The store needs no sync:
        // its new objects (the compile's, backups) were made durable when they were added.
        _fs.SyncAll(fsyncEach);
        PhaseTrace.Mark("syncfs");
    }

    private Generation Commit(Plan plan, Journal.Journal target, string message, TimeSpan? duration)
    {
        var stats = Stats(plan);
        var cache = PathCacheDelta(plan, target);
        PhaseTrace.Mark("path cache delta (lstat)");

        // The one atomic switch point: the new generation becomes current, the intent is cleared and the event
        // and switch facts are logged, all in one transaction (one fsync).
        return Db.CommitSwitch(new SwitchCommit(stats, cache, Event: message, Duration: duration));
    }

    private bool RecoverUnlocked(bool rollback)
    {
        var intent = Db.OpenIntent;
        if (intent is null)
        {
            return false;
        }

        var from = intent.From is { } n ? Db.Get(n) : null;
        var fromJournal = JournalOf(from);
        var targetJournal = LoadJournal(intent.Journal);
        var warnings = new List<string>();
        RemoveLeftoverTemps(JournalDiff.Plan(fromJournal, targetJournal));

        // An undo that was itself cut off is continued as an undo: its progress counts reverse-plan actions, so
        // resuming the forward plan from that count would skip actions the undo had already reverted.
        if (rollback || intent.Undoing)
        {
            UndoPartial(intent, fromJournal, targetJournal, cause: null);
            return true;
        }

        _options.Report($"gen: finishing an interrupted switch to {intent.Journal} (from {Describe(from)})");
        var plan = JournalDiff.Plan(fromJournal, targetJournal);

        // Actions before the last marked one are done; the ones after it are redone, which is safe because every action is idempotent.
        Execute(plan, Math.Min(intent.Done, plan.Actions.Count), warnings, verifyBeforeRemove: false);
        Commit(plan, targetJournal, $"finished the interrupted switch from {Describe(from)}", duration: null);
        return true;
    }

    /// <summary>Deletes the temp files a killed gen left beside the targets of <paramref name="plan"/> (names DurableFile and the link writer make).</summary>
    /// <remarks>A kill during a write leaves its temp file in the target's folder; without this the tree after recovery
    /// would hold a file that is neither the old generation's nor the new one's. The lock is held, so no gen is writing them.</remarks>
    private void RemoveLeftoverTemps(Plan plan)
    {
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var action in plan.Actions.Where(a => a.Identity.Kind == IdentityKind.Path))
        {
            try
            {
                folders.Add(Path.GetDirectoryName(_fs.HostPath(action.Identity.Name))!);
            }
            catch (IOException)
            {
                // A parent that is not a folder holds no temp files.
            }
        }

        foreach (var folder in folders.Where(Directory.Exists))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(folder, ".gen-tmp-*"))
            {
                if (DurableFile.IsTempName(Path.GetFileName(entry)) && Posix.TryLstat(entry, out var s) && !s.IsDirectory)
                {
                    Posix.Unlink(entry);
                }
            }
        }
    }

    private void UndoPartial(SwitchIntent intent, Journal.Journal fromJournal, Journal.Journal targetJournal, Exception? cause)
    {
        var back = JournalDiff.Plan(targetJournal, fromJournal);

        // Durably marked before the first reverse action (it also restarts the progress count); a resumed undo starts
        // from the top, which is safe because every action is idempotent and removals check the content first.
        Db.MarkUndoing();
        try
        {
            // Removals check the content first: an action the crash cut off never ran, so what is there may not be gen's.
            Execute(back, 0, [], verifyBeforeRemove: true);
        }
        catch (Exception e) when (cause is not null && e is GenException or IOException or UnauthorizedAccessException)
        {
            // The intent stays open; the next gen command finishes or undoes it.
            throw new SwitchFailedException(cause.Message, e.Message, cause);
        }

        var message = cause is null ? "interrupted switch undone (gen recover --rollback)" : $"switch failed and was undone: {cause.Message}";
        // AbandonIntent logs the recover event itself; a failed switch is also logged as what it was.
        Db.AbandonIntent(message);
        if (cause is not null)
        {
            Db.AddEvent(EventKind.SwitchFailed, message, intent.From);
        }
    }

    private List<Drift> Preflight(Plan plan)
    {
        var olds = plan.Actions.Where(a => a.Old is not null).Select(a => a.Old!).ToList();
        if (olds.Count == 0)
        {
            return [];
        }

        // A change looks up the paths it touches (one prepared statement); only a plan touching a large share of a
        // big generation reads the whole cache, which is then cheaper than thousands of lookups.
        var paths = olds.Where(s => s.Identity.Kind == IdentityKind.Path).Select(s => s.Identity.Name);
        var cache = olds.Count <= PreflightLookups
            ? Db.CachedPaths(paths)
            : Db.PathCache().ToDictionary(e => e.Path, StringComparer.Ordinal);
        return new DiskCheck(_fs, Accounts(), cache, full: false).CheckAll(olds);
    }

    private void BackUpDrifted(IReadOnlyList<Drift> drifts)
    {
        foreach (var drift in drifts)
        {
            var host = _fs.HostPath(drift.Path);
            if (!Posix.TryLstat(host, out var s))
            {
                continue;
            }

            var backup = s.Kind switch
            {
                FileKind.File => new NewBackup(drift.Path, PathKind.File, Store.AddFile(host), null, (int)s.Mode & 0xFFF, s.Uid, s.Gid),
                FileKind.Symlink => new NewBackup(drift.Path, PathKind.Link, null, new FileInfo(host).LinkTarget, (int)s.Mode & 0xFFF, s.Uid, s.Gid),
                _ => null,
            };
            if (backup is not null)
            {
                // Kept for the operator ('gen backups'); marked restored so no later undo puts drifted content back by itself.
                Db.MarkBackupRestored(Db.AddBackup(backup));
            }
        }

        _options.Report($"gen: backed up {drifts.Count} drifted path(s) before overwriting them; see 'gen backups'");
    }

    private void CheckJournal(Journal.Journal journal, Plan plan, bool payloadsOnly, bool payloadsStored)
    {
        // Only the payloads this switch writes are read from the store; the others are already on disk (and a journal
        // just compiled had all of them stored by the compile). Looking up 20,000 objects for a 1-file change is waste.
        var writes = plan.Actions.Select(a => a.New).OfType<CopyStep>();
        if (payloadsOnly)
        {
            if (writes.FirstOrDefault(c => !Store.Contains(c.Payload)) is { } missing)
            {
                throw new InputException($"{JournalCodes.PayloadMissing} payload {missing.Payload} of {JournalSyntax.Format(missing.Path)} is not in the store; recompile its commit or restore the store", missing.Location.File, missing.Location.Line, missing.Location.Column);
            }

            return;
        }

        // A journal compiled in this process had every payload put into (or found in) the store by that compile.
        var written = writes.Select(c => c.Payload).ToHashSet();
        var problems = JournalChecker.Check(journal, new CheckOptions { Root = _fs.Root, PayloadExists = payloadsStored ? null : id => !written.Contains(id) || Store.Contains(id) });
        if (problems.Count > 0)
        {
            var first = problems[0];
            var more = problems.Count > 1 ? $" (and {problems.Count - 1} more)" : string.Empty;
            throw new InputException($"{first.Code} {first.Message}{more}; fix the config and switch again", first.File, first.Line, first.Column);
        }
    }

    private List<TriggerRun> RunTriggers(Plan plan, Journal.Journal journal, List<string> warnings)
    {
        var runs = new List<TriggerRun>();
        if (!_options.RunTriggers)
        {
            return runs;
        }

        foreach (var trigger in Triggers.ToRun(plan, journal))
        {
            var code = RunTrigger(trigger);
            runs.Add(new TriggerRun(trigger.Name, [.. trigger.Argv], code));
            if (code != 0)
            {
                var warning = $"trigger {trigger.Name} exited with {code}";
                warnings.Add(warning);
                _options.Report($"warning: {warning}");
                Db.AddEvent(EventKind.SwitchFailed, warning, Db.CurrentNumber);
            }
        }

        return runs;
    }

    private int RunTrigger(RunStep trigger)
    {
        // No shell: the argv goes to exec as it is; GEN_ROOT tells the command which tree changed.
        var psi = new ProcessStartInfo(trigger.Argv[0]) { UseShellExecute = false, WorkingDirectory = _fs.Root };
        foreach (var arg in trigger.Argv.Skip(1))
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["GEN_ROOT"] = _fs.Root;
        try
        {
            using var process = Process.Start(psi)!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            _options.Report($"warning: trigger {trigger.Name}: cannot run {trigger.Argv[0]}: {e.Message}");
            return 127;
        }
    }

    private Target Resolve(string target, Preloaded? current = null)
    {
        var match = GenerationRef.Match(target);
        if (match.Success)
        {
            var number = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var generation = Db.Get(number) ?? throw new InputException($"there is no generation {number}; see 'gen list'");
            return ResolveGeneration(generation);
        }

        var repo = _options.Repo ?? MirrorPath;
        if (!Directory.Exists(repo))
        {
            throw new InputException($"no config repository at {repo}; run 'gen init <url>' or pass --repo PATH");
        }

        // One repository handle and one revision lookup serve both the derived and the full compile.
        using var source = GitSource.Open(repo);
        var commit = source.Resolve(target);
        using var tree = source.TreeAt(commit);
        CompileBasis? basis = null;
        CompileResult result;
        using (EarlyWriteback.Always(Store.Folder))
        {
            (basis, var derived) = current is null ? default : Recompile(commit, tree, current);
            result = derived ?? ConfigCompiler.Compile(tree, new CompileOptions(_options.HostId), Store);
        }

        var journal = result.GetJournalOrThrow();
        PhaseTrace.Note(() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"compile{(result.Statistics.Incremental ? " (incremental)" : string.Empty)}: evaluate {result.Statistics.Evaluating.TotalMilliseconds:F0} ms, order {result.Statistics.Ordering.TotalMilliseconds:F0} ms, payloads {result.Statistics.Hashing.TotalMilliseconds:F0} ms ({result.Statistics.FilesHashed} hashed, {result.Statistics.CacheHits} from the cache), finish {result.Statistics.Finishing.TotalMilliseconds:F0} ms"));
        Memo.Remember(commit.Sha, _options.HostId, result.JournalId!.Value);
        LastCompile = result.Statistics;
        var branch = Regex.IsMatch(target, "^[0-9a-f]{4,40}$") ? null : target;
        return new Target(result.JournalId!.Value, journal, commit.Sha, branch, null) { PayloadsStored = true, Compiled = result, DerivedFrom = basis };
    }

    /// <summary>The compile of <paramref name="tree"/> derived from the current generation's journal (<see cref="ConfigCompiler.Recompile"/>),
    /// with the basis it was derived from, when the recorded <see cref="CompileBasis"/> describes that journal and the
    /// commits differ only in the content of regular files; both null when a full compile is needed.</summary>
    private (CompileBasis? Basis, CompileResult? Result) Recompile(GitCommit commit, GitTree tree, Preloaded current)
    {
        var generation = Db.Current;
        if (generation?.Commit is null || current.Journal != generation.Journal || CompileBasis.Load(BasisPath) is not { } basis ||
            basis.CompilerId != CompileMemo.CompilerId || basis.Host != _options.HostId || basis.Commit != generation.Commit || basis.Journal != generation.Journal)
        {
            return default;
        }

        try
        {
            if (commit.Sha == basis.Commit || tree.ContentChangesSince(new GitCommit(basis.Commit, string.Empty), RecompileMaxFiles) is not { } changed ||
                basis.LoadSources(BasisPath) is not { } sources)
            {
                return default;
            }

            var copies = sources.CopiesOf(changed.Select(c => c.Path));
            var result = ConfigCompiler.Recompile(current.Parsed.GetAwaiter().GetResult(), sources.ReadPaths, copies, changed, tree, Store);
            return result is null ? default : (basis, result);
        }
        catch (IOException)
        {
            // The base commit gone from the mirror (a force-push and gc): the full compile needs none of it.
            return default;
        }
    }

    /// <summary>The current generation when <paramref name="target"/> is a revision that compiles to its journal, known without compiling; else null.</summary>
    /// <remarks>Resolving a revision is one git lookup; compiling 20,000 files, even from the blob cache, is not, and a no-op
    /// switch (an agent polling a branch that has not moved) should cost next to nothing.</remarks>
    private Generation? AlreadyAt(string target)
    {
        var current = Db.Current;
        var repo = _options.Repo ?? MirrorPath;
        if (current?.Commit is null || current.Host != _options.HostId || GenerationRef.IsMatch(target) || !Directory.Exists(repo))
        {
            return null;
        }

        // The ref files usually answer without loading libgit2. When they name another object (even an annotated tag
        // of the current commit) the answer is "compile": a target that compiles to the current journal still ends as
        // "already there", only later. When they cannot be read plainly, libgit2 resolves the revision.
        var sha = RefPeek.Peek(repo, target);
        if (sha is null)
        {
            using var source = GitSource.Open(repo);
            sha = source.Resolve(target).Sha;
        }

        return sha == current.Commit && Memo.Find(sha, _options.HostId) == current.Journal && Store.Contains(current.Journal) ? current : null;
    }

    private CompileMemo Memo => new(Path.Combine(_options.StateFolder, "compile-memo"));

    private string BasisPath => Path.Combine(_options.StateFolder, "compile-basis");

    /// <summary>What the last compile of this engine did (for tests and traces).</summary>
    internal CompileStatistics? LastCompile { get; private set; }


    private Target ResolveGeneration(Generation generation) =>
        new(generation.Journal, LoadJournal(generation.Journal), generation.Commit, generation.Branch, generation.Number, generation.Track);

    private Journal.Journal JournalOf(Generation? generation) => generation is null ? Journal.Journal.Empty : LoadJournal(generation.Journal);

    private Journal.Journal LoadJournal(ObjectId id) =>
        JournalParser.Parse(Store.ReadAllBytes(id), id.ToString()).GetJournalOrThrow();

    /// <summary>The plan as the intent records it, for people reading the database: recovery recomputes the plan from the two journals.</summary>
    /// <remarks>Bounded, because SQLite rewrites the whole intent row on every progress mark: with the full text of a
    /// 20,000-file plan (about 3 MB) each mark cost 3 MB of WAL writes, more than the files themselves.</remarks>
    private static string PlanText(Plan plan)
    {
        var shown = plan.Actions.Take(PlanTextActions).Select(a => $"{a.Kind} {JournalPrinter.FormatStep(a.Step)}");
        var more = plan.Actions.Count - PlanTextActions;
        return string.Join('\n', more > 0 ? shown.Append($"... and {more} more actions") : shown);
    }

    private static DiffStats Stats(Plan plan)
    {
        // The kinds of action per identity as bit flags, keyed by string: framework collections over a value type of
        // ours (StepIdentity) have no ReadyToRun code and would be JIT-compiled in every switch.
        const int Did = 1, Undid = 2, Changed = 4;
        var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var action in plan.Actions)
        {
            var key = BackupBook.Key(action.Identity);
            kinds[key] = kinds.GetValueOrDefault(key) | action.Kind switch { PlanActionKind.Do => Did, PlanActionKind.Undo => Undid, _ => Changed };
        }

        int added = 0, removed = 0, changed = 0;
        foreach (var flags in kinds.Values)
        {
            if ((flags & Changed) != 0 || flags == (Did | Undid))
            {
                changed++;
            }
            else if ((flags & Did) != 0)
            {
                added++;
            }
            else
            {
                removed++;
            }
        }

        return new DiffStats(added, removed, changed);
    }

    private PathCacheUpdate PathCacheDelta(Plan plan, Journal.Journal target)
    {
        // The target step of each path the plan touches is the New of its Do or Change action (an Undo alone removes
        // it); looking them up in the plan instead of indexing the whole target keeps this proportional to the plan.
        var wanted = new Dictionary<string, Step>(StringComparer.Ordinal);
        foreach (var action in plan.Actions)
        {
            if (action.New is { Identity.Kind: IdentityKind.Path } step)
            {
                wanted[step.Identity.Name] = step;
            }
        }

        // One lstat per path; a deploy's 20,000 of them are spread over the cores like its writes. Host paths are
        // resolved first, in order: RootFs caches what it resolves and is not safe to share between threads.
        var paths = plan.ChangedPaths();
        var hosts = paths.Select(p => wanted.ContainsKey(p) ? _fs.HostPath(p) : null).ToArray();
        var entries = new PathCacheEntry?[paths.Count];
        if (paths.Count >= 1024)
        {
            Parallel.For(0, paths.Count, i => entries[i] = hosts[i] is { } host ? CacheEntry(wanted[paths[i]], host) : null);
        }
        else
        {
            // Small plans stay on this thread: the parallel loop's own code is JIT-compiled on first use.
            for (var i = 0; i < paths.Count; i++)
            {
                entries[i] = hosts[i] is { } host ? CacheEntry(wanted[paths[i]], host) : null;
            }
        }

        var upserts = new List<PathCacheEntry>();
        var removals = new List<string>();
        for (var i = 0; i < paths.Count; i++)
        {
            if (entries[i] is { } entry)
            {
                upserts.Add(entry);
            }
            else
            {
                removals.Add(paths[i]);
            }
        }

        return PathCacheUpdate.Delta(upserts, removals);
    }

    private static PathCacheEntry? CacheEntry(Step step, string host)
    {
        if (!Posix.TryLstat(host, out var s))
        {
            return null;
        }

        return step switch
        {
            CopyStep c => new PathCacheEntry(c.Path, PathKind.File, c.Payload, null, c.Mode, s.Uid, s.Gid, s.Size, s.MtimeNs, (long)s.Inode),
            MkdirStep d => new PathCacheEntry(d.Path, PathKind.Directory, null, null, d.Mode, s.Uid, s.Gid, 0, 0, (long)s.Inode),
            LinkStep l => new PathCacheEntry(l.Path, PathKind.Link, null, l.Target, 511, s.Uid, s.Gid, 0, 0, (long)s.Inode),
            _ => null,
        };
    }

    private Accounts Accounts() => new(_fs.Root, _options.Rootless);

    private static int FaultPoint() =>
        int.TryParse(Environment.GetEnvironmentVariable("GEN_TEST_FAULT_AFTER_ACTION"), out var k) ? k : -1;

    private static string Describe(Generation? generation) => generation is null ? "nothing" : $"gen-{generation.Number}";

    /// <summary>A journal being loaded in the background, and which one it is.</summary>
    private sealed record Preloaded(ObjectId? Journal, Task<Journal.Journal> Parsed);

    private sealed record Target(ObjectId JournalId, Journal.Journal Journal, string? Commit, string? Branch, int? Existing, string? Track = null)
    {
        /// <summary>True when this process just compiled the journal into the store, so every payload is known present.</summary>
        public bool PayloadsStored { get; init; }

        /// <summary>The compile that produced the journal in this process, if one did.</summary>
        public CompileResult? Compiled { get; init; }

        /// <summary>The basis <see cref="Compiled"/> was derived from, when it was a derived compile.</summary>
        public CompileBasis? DerivedFrom { get; init; }
    }
}
