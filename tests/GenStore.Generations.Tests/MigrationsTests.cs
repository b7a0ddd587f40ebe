using GenStore.Testing;
using Microsoft.Data.Sqlite;

namespace GenStore.Generations.Tests;

public sealed class MigrationsTests : IDisposable
{
    private readonly TempDir _dir = new("gen-migrate");

    public void Dispose() => _dir.Dispose();

    private string DbPath => _dir.Combine(StateDb.FileName);

    private static readonly int Next = StateDb.SchemaVersion + 1;

    /// <summary>A hypothetical migration after the newest real one.</summary>
    private static Migrations.Migration Later(string sql) => new(Next, "test migration", sql);

    [Fact]
    public void A_database_is_migrated_to_a_later_version_once_keeping_its_data()
    {
        using (var db = StateDb.Open(DbPath))
        {
            db.Freeze("kept");
        }

        var later = Later("CREATE TABLE extra (x INTEGER) STRICT; ALTER TABLE machine ADD COLUMN note TEXT; INSERT INTO extra VALUES (1);");
        using (var db = StateDb.Open(DbPath, null, [.. Migrations.All, later]))
        {
            Assert.Equal((long)Next, db.Pragma("user_version"));
            Assert.Equal("kept", db.Agent.FrozenReason);
        }

        // Opening again at v2 runs nothing: the INSERT would otherwise add a second row.
        using (StateDb.Open(DbPath, null, [.. Migrations.All, later]))
        {
        }

        Assert.Equal(1L, Query(DbPath, "SELECT count(*) FROM extra"));
    }

    [Fact]
    public void A_v1_database_with_an_open_intent_is_migrated_to_v2_and_the_intent_is_not_undoing()
    {
        using (var v1 = StateDb.Open(DbPath, null, Migrations.All[..1]))
        {
            Assert.Equal(1L, v1.Pragma("user_version"));
            StateDb.Execute(v1.Connection, null,
                "INSERT INTO intents (target_generation, target_is_new, journal, host, plan, started) VALUES (1, 1, zeroblob(32), 'h', 'p', 0)");
        }

        using var db = StateDb.Open(DbPath);
        Assert.Equal(2L, db.Pragma("user_version"));
        var intent = db.OpenIntent!;
        Assert.False(intent.Undoing);
        db.MarkProgress(4);
        db.MarkUndoing();
        Assert.Equal((true, 0), (db.OpenIntent!.Undoing, db.OpenIntent!.Done));
    }

    [Fact]
    public void A_failing_migration_leaves_the_database_at_the_previous_version_untouched()
    {
        using (StateDb.Open(DbPath))
        {
        }

        // The second statement fails after the first succeeded; the transaction takes both back.
        var broken = Later("CREATE TABLE extra (x INTEGER); CREATE TABLE generations (x INTEGER);");
        Assert.Throws<SqliteException>(() => StateDb.Open(DbPath, null, [.. Migrations.All, broken]));

        Assert.Equal((long)StateDb.SchemaVersion, Query(DbPath, "PRAGMA user_version"));
        Assert.Equal(0L, Query(DbPath, "SELECT count(*) FROM sqlite_master WHERE name = 'extra'"));
        using var db = StateDb.Open(DbPath);
        Assert.Null(db.Current);
    }

    [Fact]
    public void A_database_from_a_later_version_is_refused_by_this_gen()
    {
        using (StateDb.Open(DbPath, null, [.. Migrations.All, Later("CREATE TABLE extra (x INTEGER);")]))
        {
        }

        var e = Assert.Throws<StateVersionException>(() => StateDb.Open(DbPath));
        Assert.Equal((Next, StateDb.SchemaVersion), (e.Found, e.Known));
    }

    [Fact]
    public void Each_connection_runs_with_full_sync_foreign_keys_a_busy_timeout_and_wal()
    {
        using var db = StateDb.Open(DbPath);
        Assert.Equal(2L, db.Pragma("synchronous")); // FULL
        Assert.Equal(1L, db.Pragma("foreign_keys"));
        Assert.True((long)db.Pragma("busy_timeout")! >= 1000);
        Assert.Equal("wal", db.Pragma("journal_mode"));
    }

    [Fact]
    public void Several_gens_opening_a_new_database_at_once_all_succeed_and_migrate_it_once()
    {
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var threads = Enumerable.Range(0, 6).Select(_ => new Thread(() =>
        {
            try
            {
                using var db = StateDb.Open(DbPath);
                db.AddEvent(EventKind.Gc, "opened");
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(errors);
        using var check = StateDb.Open(DbPath);
        Assert.Equal(6, check.Events().Count);
        Assert.Equal(1L, Query(DbPath, "SELECT count(*) FROM machine"));
    }

    private static object? Query(string path, string sql)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
