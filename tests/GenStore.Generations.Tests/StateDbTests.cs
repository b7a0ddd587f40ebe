using GenStore.Store;
using GenStore.Testing;
using Microsoft.Data.Sqlite;

namespace GenStore.Generations.Tests;

public sealed class StateDbTests : IDisposable
{
    private readonly TempDir _dir = new("gen-statedb");
    private readonly ManualClock _clock = new(DateTimeOffset.Parse("2026-01-10T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose() => _dir.Dispose();

    private string DbPath => _dir.Combine("state", StateDb.FileName);

    private StateDb Open() => StateDb.Open(DbPath, _clock);

    internal static ObjectId Id(byte seed)
    {
        var bytes = new byte[ObjectId.Size];
        bytes.AsSpan().Fill(seed);
        return new ObjectId(bytes);
    }

    private static IntentStart Start(int? from, byte journal, string? commit = null, int? existing = null) =>
        new(from, Id(journal), commit ?? $"c{journal:x2}".PadRight(40, '0'), "main", "stable", "web-01", $"plan for {journal}", existing);

    private static PathCacheEntry Entry(string path, byte content) =>
        new(path, PathKind.File, Id(content), null, 0b110_100_100, 0, 0, 10, 1_700_000_000_123_456_789, 42);

    /// <summary>Switches to a new generation with journal <paramref name="journal"/> and returns it.</summary>
    private static Generation Switch(StateDb db, byte journal, params PathCacheEntry[] cache)
    {
        db.BeginIntent(Start(db.CurrentNumber, journal));
        return db.CommitSwitch(new SwitchCommit(new DiffStats(cache.Length, 0, 0), PathCacheUpdate.Replace(cache)));
    }

    [Fact]
    public void Opening_creates_the_database_0600_in_a_new_0700_folder_with_wal_files_0600()
    {
        using (var db = Open())
        {
            Switch(db, 1);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DbPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir.Combine("state")));
            Assert.True(File.Exists(DbPath + "-wal"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DbPath + "-wal"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DbPath + "-shm"));
        }
    }

    [Fact]
    public void Opening_sets_wal_full_sync_foreign_keys_and_the_newest_schema_version()
    {
        using (Open())
        {
        }

        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        Assert.Equal("wal", Pragma(c, "journal_mode"));
        Assert.Equal((long)StateDb.SchemaVersion, Pragma(c, "user_version"));
        Assert.Equal(2, StateDb.SchemaVersion);

        // synchronous and foreign_keys are per connection: check them on the StateDb's own connection by behaviour.
        using var db = Open();
        var g = Switch(db, 1);
        var e = Assert.Throws<SqliteException>(() => Exec(c, "PRAGMA foreign_keys = ON; DELETE FROM generations"));
        Assert.Contains("FOREIGN KEY", e.Message, StringComparison.Ordinal);
        Assert.Equal(g, db.Get(1));
    }

    [Fact]
    public void Opening_an_existing_current_database_changes_nothing()
    {
        using (var db = Open())
        {
            Switch(db, 1, Entry("/etc/a", 9));
        }

        var before = File.ReadAllBytes(DbPath);
        var walBefore = File.Exists(DbPath + "-wal") ? new FileInfo(DbPath + "-wal").Length : 0;
        using (var db = Open())
        {
            Assert.Equal(1, db.CurrentNumber);
        }

        Assert.Equal(before, File.ReadAllBytes(DbPath));
        Assert.Equal(walBefore, File.Exists(DbPath + "-wal") ? new FileInfo(DbPath + "-wal").Length : 0);
    }

    [Fact]
    public void A_database_from_a_newer_gen_is_refused_with_a_message_to_upgrade()
    {
        using (Open())
        {
        }

        using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            c.Open();
            Exec(c, $"PRAGMA user_version = {StateDb.SchemaVersion + 1}");
        }

        var e = Assert.Throws<StateVersionException>(Open);
        Assert.IsAssignableFrom<GenException>(e);
        Assert.Equal(StateDb.SchemaVersion + 1, e.Found);
        Assert.Contains("upgrade gen", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_fresh_database_has_no_current_generation_no_intent_and_nothing_listed()
    {
        using var db = Open();
        Assert.Null(db.Current);
        Assert.Null(db.CurrentNumber);
        Assert.Null(db.OpenIntent);
        Assert.Empty(db.List());
        Assert.Empty(db.PathCache());
        Assert.Empty(db.Backups());
        Assert.Null(db.Get(1));
        Assert.False(db.Agent.Frozen);
        Assert.Null(db.Agent.LastSwitchOk);
    }

    [Fact]
    public void A_committed_switch_records_every_field_of_the_generation_and_makes_it_current()
    {
        using var db = Open();
        var intent = db.BeginIntent(Start(null, 7, commit: new string('a', 40)));
        Assert.Equal(1, intent.Target);
        Assert.True(intent.TargetIsNew);
        Assert.Null(db.Current);

        var g = db.CommitSwitch(new SwitchCommit(new DiffStats(3, 1, 2), PathCacheUpdate.Replace([Entry("/etc/a", 1)])));

        Assert.Equal(new Generation(1, Id(7), new string('a', 40), "main", "stable", "web-01", _clock.GetUtcNow(), GenerationResult.Ok, new DiffStats(3, 1, 2), false), g);
        Assert.Equal(g, db.Current);
        Assert.Equal(g, db.Get(1));
        Assert.Equal([g], db.List());
        Assert.Null(db.OpenIntent);
        Assert.Equal([Entry("/etc/a", 1)], db.PathCache());
        Assert.Empty(db.Events()); // no event unless the commit carries one
    }

    [Fact]
    public void A_commit_can_record_its_event_and_the_last_switch_facts_in_the_same_transaction()
    {
        using var db = Open();
        db.BeginIntent(Start(null, 1));
        db.CommitSwitch(new SwitchCommit(new DiffStats(1, 0, 0), PathCacheUpdate.None, Event: "none -> gen-1", Duration: TimeSpan.FromSeconds(1.5)));

        var e = Assert.Single(db.Events());
        Assert.Equal((EventKind.Switch, (int?)1, "none -> gen-1"), (e.Kind, e.Generation, e.Message));
        Assert.Equal((_clock.GetUtcNow(), TimeSpan.FromSeconds(1.5), true), (db.Agent.LastSwitchAt, db.Agent.LastSwitchDuration, db.Agent.LastSwitchOk));
    }

    [Fact]
    public void A_journal_applied_directly_has_no_commit()
    {
        using var db = Open();
        db.BeginIntent(new IntentStart(null, Id(1), null, null, null, "h", "plan"));
        var g = db.CommitSwitch(new SwitchCommit(DiffStats.None, PathCacheUpdate.None));
        Assert.Null(g.Commit);
        Assert.Null(g.Branch);
        Assert.Null(g.Track);
    }

    [Fact]
    public void The_intent_records_the_plan_and_progress_and_survives_reopening()
    {
        using (var db = Open())
        {
            Switch(db, 1);
            db.BeginIntent(Start(1, 2));
            db.MarkProgress(5);
            db.MarkProgress(17);
        }

        using (var db = Open())
        {
            var intent = db.OpenIntent!;
            Assert.Equal(1, intent.From);
            Assert.Equal(2, intent.Target);
            Assert.Equal(Id(2), intent.Journal);
            Assert.Equal("plan for 2", intent.Plan);
            Assert.Equal(17, intent.Done);
            Assert.Equal(_clock.GetUtcNow(), intent.Started);
            Assert.Equal(1, db.CurrentNumber);
        }
    }

    [Fact]
    public void Cheap_and_durable_progress_marks_are_both_recorded_and_later_commits_stay_fully_synced()
    {
        using var db = Open();
        db.BeginIntent(Start(null, 1));
        db.MarkProgress(3);
        Assert.Equal(2L, db.Pragma("synchronous"));
        db.MarkProgress(4, durable: true);
        Assert.Equal(4, db.OpenIntent!.Done);
        db.BatchProgress(every: 100).Flush(durable: true);
        Assert.Equal(2L, db.Pragma("synchronous"));
    }

    [Fact]
    public void Marking_an_intent_as_undoing_restarts_its_progress_and_survives_reopening()
    {
        using (var db = Open())
        {
            db.BeginIntent(Start(null, 1));
            db.MarkProgress(30);
            Assert.False(db.OpenIntent!.Undoing);
            db.MarkUndoing();
            db.MarkProgress(2);
        }

        using (var db = Open())
        {
            Assert.Equal((true, 2), (db.OpenIntent!.Undoing, db.OpenIntent!.Done));
            db.AbandonIntent("undone");
            Assert.Throws<InvalidOperationException>(db.MarkUndoing);
        }
    }

    [Fact]
    public void A_second_intent_cannot_begin_while_one_is_open()
    {
        using var db = Open();
        db.BeginIntent(Start(null, 1));
        Assert.Throws<InvalidOperationException>(() => db.BeginIntent(Start(null, 2)));
        Assert.Equal(Id(1), db.OpenIntent!.Journal);
    }

    [Fact]
    public void Progress_without_an_open_intent_is_refused()
    {
        using var db = Open();
        Assert.Throws<InvalidOperationException>(() => db.MarkProgress(1));
        Assert.Throws<InvalidOperationException>(() => db.CommitSwitch(new SwitchCommit(DiffStats.None, PathCacheUpdate.None)));
    }

    [Fact]
    public void Batched_progress_writes_every_n_actions_and_on_flush()
    {
        using var db = Open();
        db.BeginIntent(Start(null, 1));
        var batch = db.BatchProgress(every: 10);
        for (var done = 1; done <= 25; done++)
        {
            batch.Completed(done);
            Assert.Equal(done / 10 * 10, db.OpenIntent!.Done);
        }

        batch.Flush();
        Assert.Equal(25, db.OpenIntent!.Done);
    }

    [Fact]
    public void A_failure_inside_the_commit_leaves_the_intent_open_and_the_current_generation_unchanged()
    {
        using var db = Open();
        var first = Switch(db, 1, Entry("/etc/a", 1));
        db.BeginIntent(Start(1, 2));
        db.MarkProgress(3);
        var backupId = db.AddBackup(new NewBackup("/etc/b", PathKind.File, Id(50), null, 0b110_100_100, 0, 0));

        // The same path twice violates the path cache's key after the generation row and current pointer were written.
        var bad = PathCacheUpdate.Replace([Entry("/etc/a", 2), Entry("/etc/a", 3)]);
        Assert.Throws<SqliteException>(() => db.CommitSwitch(new SwitchCommit(new DiffStats(1, 0, 0), bad, Event: "to 2")));

        Assert.Equal(first, db.Current);
        Assert.Equal([first], db.List());
        Assert.Equal([Entry("/etc/a", 1)], db.PathCache());
        var intent = db.OpenIntent!;
        Assert.Equal(2, intent.Target);
        Assert.Equal(3, intent.Done);
        Assert.Null(Assert.Single(db.Backups()).Generation);
        Assert.DoesNotContain(db.Events(), e => e.Kind == EventKind.Switch && e.Generation == 2);

        // Recovery then completes the same intent.
        var second = db.CommitSwitch(new SwitchCommit(new DiffStats(1, 0, 0), PathCacheUpdate.Replace([Entry("/etc/a", 2)]), Event: "to 2"));
        Assert.Equal(2, second.Number);
        Assert.Single(db.Events(), e => e.Kind == EventKind.Switch && e.Generation == 2);
        Assert.Equal(second, db.Current);
        Assert.Equal(2, Assert.Single(db.Backups(), b => b.Id == backupId).Generation);
    }

    [Fact]
    public void Backups_made_during_a_switch_belong_to_the_generation_it_made()
    {
        using var db = Open();
        Switch(db, 1);
        var intent = db.BeginIntent(Start(1, 2));
        db.AddBackup(new NewBackup("/etc/motd", PathKind.File, Id(60), null, 0b110_100_100, 0, 0));
        db.CommitSwitch(new SwitchCommit(DiffStats.None, PathCacheUpdate.None,
            [new NewBackup("/etc/link", PathKind.Link, null, "/target", 0b111_111_111, 0, 0)]));

        var backups = db.Backups();
        Assert.Equal(2, backups.Count);
        Assert.All(backups, b => Assert.Equal(2, b.Generation));
        Assert.All(backups, b => Assert.Equal(intent.Id, b.Intent));
        Assert.Equal(("/etc/motd", PathKind.File, (ObjectId?)Id(60), (string?)null), (backups[0].Path, backups[0].Kind, backups[0].Object, backups[0].LinkTarget));
        Assert.Equal(("/etc/link", PathKind.Link, (ObjectId?)null, (string?)"/target"), (backups[1].Path, backups[1].Kind, backups[1].Object, backups[1].LinkTarget));
        Assert.All(backups, b => Assert.False(b.Restored));

        db.MarkBackupRestored(backups[0].Id);
        Assert.True(db.Backups()[0].Restored);
        Assert.Throws<InputException>(() => db.MarkBackupRestored(999));
    }

    [Fact]
    public void Backups_added_in_a_batch_or_without_fsync_are_recorded_like_single_ones()
    {
        using var db = Open();
        var intent = db.BeginIntent(Start(null, 1));
        var added = db.AddBackups(
            [
                new NewBackup("/etc/a", PathKind.File, Id(1), null, 0b110_100_100, 0, 0),
                new NewBackup("/etc/b", PathKind.Link, null, "/etc/a", 0b111_111_111, 0, 0),
            ], durable: false);
        var single = db.AddBackup(new NewBackup("/etc/c", PathKind.Directory, null, null, 0b111_101_101, 0, 0), durable: false);

        Assert.Equal(2L, db.Pragma("synchronous"));
        Assert.Equal([.. added, db.GetBackup(single)!], db.Backups());
        Assert.All(db.Backups(), b => Assert.Equal(intent.Id, b.Intent));
        Assert.Equal(_clock.GetUtcNow(), added[0].Created);
        Assert.Null(db.GetBackup(999));
    }

    [Fact]
    public void A_backup_made_outside_a_switch_belongs_to_the_given_generation()
    {
        using var db = Open();
        Switch(db, 1);
        db.AddBackup(new NewBackup("/etc/x", PathKind.Directory, null, null, 0b111_101_101, 1000, 1000), generation: 1);
        var b = Assert.Single(db.Backups());
        Assert.Equal(1, b.Generation);
        Assert.Null(b.Intent);
        Assert.Equal((1000L, 1000L, 0b111_101_101), (b.Uid, b.Gid, b.Mode));
    }

    [Fact]
    public void Switching_to_an_existing_older_generation_is_a_rollback_that_creates_no_row()
    {
        using var db = Open();
        Switch(db, 1);
        Switch(db, 2);
        var intent = db.BeginIntent(Start(2, 1, existing: 1));
        Assert.False(intent.TargetIsNew);
        Assert.Equal(1, intent.Target);
        var g = db.CommitSwitch(new SwitchCommit(DiffStats.None, PathCacheUpdate.None, Event: "back to 1"));

        Assert.Equal(1, g.Number);
        Assert.Equal(1, db.CurrentNumber);
        Assert.Equal([1, 2], db.List().Select(x => x.Number));
        var e = db.Events()[^1];
        Assert.Equal((EventKind.Rollback, (int?)1, "back to 1"), (e.Kind, e.Generation, e.Message));

        // The next new generation still gets a fresh number.
        Assert.Equal(3, Switch(db, 3).Number);
    }

    [Fact]
    public void An_intent_for_an_unknown_existing_generation_is_refused()
    {
        using var db = Open();
        Assert.Throws<InputException>(() => db.BeginIntent(Start(null, 1, existing: 9)));
        Assert.Null(db.OpenIntent);
    }

    [Fact]
    public void A_failed_switch_is_recorded_as_a_non_current_generation_and_closes_the_intent()
    {
        using var db = Open();
        Switch(db, 1);
        db.BeginIntent(Start(1, 2));
        db.RecordFailedSwitch(GenerationResult.Failed, new DiffStats(4, 0, 0), "payload missing");

        Assert.Null(db.OpenIntent);
        Assert.Equal(1, db.CurrentNumber);
        Assert.Equal(GenerationResult.Failed, db.Get(2)!.Result);
        var e = db.Events()[^1];
        Assert.Equal((EventKind.SwitchFailed, (int?)2, "payload missing"), (e.Kind, e.Generation, e.Message));
    }

    [Fact]
    public void An_abandoned_intent_burns_its_number_and_keeps_its_backups()
    {
        using var db = Open();
        Switch(db, 1);
        var intent = db.BeginIntent(Start(1, 2));
        db.AddBackup(new NewBackup("/etc/x", PathKind.File, Id(70), null, 0b110_100_100, 0, 0));

        Assert.Equal(intent, db.AbandonIntent("gen recover --rollback"));
        Assert.Null(db.OpenIntent);
        Assert.Null(db.AbandonIntent("nothing"));
        Assert.Equal(1, db.CurrentNumber);
        Assert.Null(db.Get(2));
        Assert.Contains(Id(70), db.GcRoots().Objects);
        Assert.Equal(3, Switch(db, 3).Number);
    }

    [Fact]
    public void Setting_a_result_changes_only_that_generation()
    {
        using var db = Open();
        Switch(db, 1);
        Switch(db, 2);
        db.SetResult(2, GenerationResult.RolledBack);
        Assert.Equal(GenerationResult.RolledBack, db.Get(2)!.Result);
        Assert.Equal(GenerationResult.Ok, db.Get(1)!.Result);
        Assert.Throws<InputException>(() => db.SetResult(5, GenerationResult.Failed));
    }

    [Fact]
    public void A_delta_updates_the_path_cache_and_a_replace_rewrites_it()
    {
        using var db = Open();
        Switch(db, 1, Entry("/a", 1), Entry("/b", 2), Entry("/c", 3));
        db.BeginIntent(Start(1, 2));
        db.CommitSwitch(new SwitchCommit(DiffStats.None, PathCacheUpdate.Delta([Entry("/b", 9), Entry("/d", 4)], ["/c"])));
        Assert.Equal([Entry("/a", 1), Entry("/b", 9), Entry("/d", 4)], db.PathCache());

        var link = new PathCacheEntry("/l", PathKind.Link, null, "/a", 0b111_111_111, 0, 0, 2, 5, 6);
        db.UpdatePathCache(PathCacheUpdate.Replace([link]));
        Assert.Equal([link], db.PathCache());
        Assert.Equal(link, db.CachedPath("/l"));
        Assert.Null(db.CachedPath("/a"));
    }

    [Fact]
    public void Cached_paths_returns_the_managed_ones_of_the_paths_asked_for_once_each()
    {
        using var db = Open();
        Switch(db, 1, Entry("/a", 1), Entry("/b", 2), Entry("/c", 3));
        var found = db.CachedPaths(["/c", "/x", "/a", "/c"]);
        Assert.Equal(2, found.Count);
        Assert.Equal(Entry("/a", 1), found["/a"]);
        Assert.Equal(Entry("/c", 3), found["/c"]);
        Assert.Empty(db.CachedPaths([]));
    }

    [Fact]
    public void Events_are_listed_oldest_first_limited_to_the_most_recent()
    {
        using var db = Open();
        for (var i = 0; i < 5; i++)
        {
            db.AddEvent(EventKind.Drift, $"drift {i}", generation: i);
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        var recent = db.Events(limit: 3);
        Assert.Equal(["drift 2", "drift 3", "drift 4"], recent.Select(e => e.Message));
        Assert.Equal(_clock.GetUtcNow() - TimeSpan.FromSeconds(1), recent[^1].Time);
        Assert.Equal(4, recent[^1].Generation);
    }

    [Fact]
    public void Pruning_events_keeps_the_most_recent_ones()
    {
        using var db = Open();
        for (var i = 0; i < 10; i++)
        {
            db.AddEvent(EventKind.Gc, $"run {i}");
        }

        Assert.Equal(7, db.PruneEvents(keepNewest: 3));
        Assert.Equal(["run 7", "run 8", "run 9"], db.Events().Select(e => e.Message));
        Assert.Equal(0, db.PruneEvents(keepNewest: 3));
    }

    [Fact]
    public void Pins_freezes_bad_commits_and_last_run_facts_survive_reopening()
    {
        using (var db = Open())
        {
            Switch(db, 1);
            Switch(db, 2);
            db.Pin(1);
            db.Freeze("incident 42");
            db.MarkBad("deadbeef", "health check failed");
            db.RecordFetch("could not resolve host");
            db.RecordSwitchOutcome(TimeSpan.FromSeconds(2.5), ok: true);
            db.AddEvent(EventKind.FetchError, "could not resolve host");
        }

        using (var db = Open())
        {
            Assert.True(db.Get(1)!.Pinned);
            Assert.False(db.Get(2)!.Pinned);
            Assert.Equal(2, db.CurrentNumber);
            var agent = db.Agent;
            Assert.Equal(new AgentState(true, "incident 42", _clock.GetUtcNow(), _clock.GetUtcNow(), "could not resolve host", _clock.GetUtcNow(), TimeSpan.FromSeconds(2.5), true), agent);
            Assert.True(db.IsBad("deadbeef"));
            Assert.False(db.IsBad("cafe"));
            Assert.Equal([new BadCommit("deadbeef", "health check failed", _clock.GetUtcNow())], db.BadCommits());
            Assert.Equal(EventKind.FetchError, db.Events()[^1].Kind);

            db.Unpin(1);
            db.Unfreeze();
            db.RecordFetch(null);
            db.ForgetBad("deadbeef");
        }

        using (var db = Open())
        {
            Assert.False(db.Get(1)!.Pinned);
            Assert.False(db.Agent.Frozen);
            Assert.Null(db.Agent.FrozenReason);
            Assert.Null(db.Agent.LastFetchError);
            Assert.False(db.IsBad("deadbeef"));
        }
    }

    [Fact]
    public void Marking_a_commit_bad_twice_keeps_the_latest_reason_and_forgetting_all_clears_them()
    {
        using var db = Open();
        db.MarkBad("a1", "first");
        db.MarkBad("a1", "second");
        db.MarkBad("b2", "other");
        Assert.Equal("second", db.BadCommits().Single(b => b.Commit == "a1").Reason);
        db.ForgetBad();
        Assert.Empty(db.BadCommits());
    }

    [Fact]
    public void Pinning_an_unknown_generation_is_bad_input()
    {
        using var db = Open();
        Assert.Throws<InputException>(() => db.Pin(3));
        Assert.Throws<InputException>(() => db.Unpin(3));
    }

    [Fact]
    public void Generation_numbers_are_never_reused_after_the_newest_rows_are_deleted()
    {
        using (var db = Open())
        {
            Switch(db, 1);
            Switch(db, 2);
            Switch(db, 3);
            db.BeginIntent(Start(3, 1, existing: 1));
            db.CommitSwitch(new SwitchCommit(DiffStats.None, PathCacheUpdate.None));
            Assert.Equal(2, db.DeleteGenerations([2, 3]));
        }

        using (var db = Open())
        {
            Assert.Equal([1], db.List().Select(g => g.Number));
            Assert.Equal(4, Switch(db, 4).Number);
        }
    }

    [Fact]
    public void The_current_a_pinned_or_an_intent_generation_cannot_be_deleted()
    {
        using var db = Open();
        Switch(db, 1);
        Switch(db, 2);
        Switch(db, 3);
        db.Pin(1);
        Assert.Throws<InvalidOperationException>(() => db.DeleteGenerations([3]));
        Assert.Throws<InvalidOperationException>(() => db.DeleteGenerations([2, 1]));
        Assert.Equal(3, db.List().Count); // the failed call deleted nothing, not even 2

        db.BeginIntent(Start(3, 2, existing: 2));
        Assert.Throws<InvalidOperationException>(() => db.DeleteGenerations([2]));
        Assert.Empty(db.SelectForGc(new GcRules(0, null)));
    }

    [Fact]
    public void Gc_selects_through_the_rules_with_the_database_clock()
    {
        using var db = Open();
        foreach (var n in new byte[] { 1, 2, 3, 4, 5 })
        {
            Switch(db, n);
            _clock.Advance(TimeSpan.FromDays(10));
        }

        // Created at day 0, 10, 20, 30, 40; now is day 50; current is 5.
        Assert.Equal([1, 2], db.SelectForGc(new GcRules(2, TimeSpan.FromDays(35))).Select(g => g.Number));
        Assert.Equal([1, 2, 3], db.SelectForGc(new GcRules(2, null)).Select(g => g.Number));
        Assert.Empty(db.SelectForGc(new GcRules(null, null)));
    }

    [Fact]
    public void Gc_roots_name_kept_journals_the_intent_journal_backups_and_cached_objects()
    {
        using var db = Open();
        Switch(db, 1, Entry("/a", 100));
        Switch(db, 2);
        db.AddBackup(new NewBackup("/x", PathKind.File, Id(101), null, 0, 0, 0), generation: 2);
        db.AddBackup(new NewBackup("/y", PathKind.Link, null, "/z", 0, 0, 0), generation: 2);
        db.BeginIntent(Start(2, 3));
        db.DeleteGenerations([1]);

        var roots = db.GcRoots();
        Assert.Equal(new HashSet<ObjectId> { Id(2), Id(3) }, roots.Journals);
        Assert.Equal(new HashSet<ObjectId> { Id(101) }, roots.Objects);
    }

    [Fact]
    public void Everything_written_is_seen_by_a_new_instance_after_a_restart()
    {
        using (var db = Open())
        {
            Switch(db, 1, Entry("/etc/a", 1));
            db.AddBackup(new NewBackup("/etc/a", PathKind.File, Id(90), null, 0b110_000_000, 0, 0), generation: 1);
            db.AddEvent(EventKind.Drift, "1 path drifted", 1);
        }

        // A copy of the files proves it is on disk, not in a shared cache of this process.
        var copy = _dir.Combine("copy", StateDb.FileName);
        Directory.CreateDirectory(_dir.Combine("copy"));
        foreach (var suffix in new[] { "", "-wal" })
        {
            if (File.Exists(DbPath + suffix))
            {
                File.Copy(DbPath + suffix, copy + suffix);
            }
        }

        using var again = StateDb.Open(copy, _clock);
        Assert.Equal(1, again.Current!.Number);
        Assert.Equal(Id(1), again.Current.Journal);
        Assert.Equal([Entry("/etc/a", 1)], again.PathCache());
        Assert.Equal(Id(90), Assert.Single(again.Backups()).Object);
        Assert.Equal("1 path drifted", again.Events()[^1].Message);
    }

    [Fact]
    public void A_second_connection_sees_a_committed_switch_at_once()
    {
        using var writer = Open();
        using var reader = Open();
        Switch(writer, 1);
        Assert.Equal(1, reader.CurrentNumber);
        writer.BeginIntent(Start(1, 2));
        Assert.Equal(2, reader.OpenIntent!.Target);
    }

    private static object? Pragma(SqliteConnection c, string name)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"PRAGMA {name}";
        return cmd.ExecuteScalar();
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}

/// <summary>A clock tests set and advance by hand.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
