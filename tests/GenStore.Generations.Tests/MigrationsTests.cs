using GenStore.Testing;
using Microsoft.Data.Sqlite;

namespace GenStore.Generations.Tests;

public sealed class MigrationsTests : IDisposable
{
    private readonly TempDir _dir = new("gen-migrate");

    public void Dispose() => _dir.Dispose();

    private string DbPath => _dir.Combine(StateDb.FileName);

    private static Migrations.Migration V2(string sql) => new(2, "test v2", sql);

    [Fact]
    public void A_v1_database_is_migrated_to_a_later_version_once_keeping_its_data()
    {
        using (var db = StateDb.Open(DbPath))
        {
            db.Freeze("kept");
        }

        var v2 = V2("CREATE TABLE extra (x INTEGER) STRICT; ALTER TABLE machine ADD COLUMN note TEXT; INSERT INTO extra VALUES (1);");
        using (var db = StateDb.Open(DbPath, null, [.. Migrations.All, v2]))
        {
            Assert.Equal(2L, db.Pragma("user_version"));
            Assert.Equal("kept", db.Agent.FrozenReason);
        }

        // Opening again at v2 runs nothing: the INSERT would otherwise add a second row.
        using (StateDb.Open(DbPath, null, [.. Migrations.All, v2]))
        {
        }

        Assert.Equal(1L, Query(DbPath, "SELECT count(*) FROM extra"));
    }

    [Fact]
    public void A_failing_migration_leaves_the_database_at_the_previous_version_untouched()
    {
        using (StateDb.Open(DbPath))
        {
        }

        // The second statement fails after the first succeeded; the transaction takes both back.
        var broken = V2("CREATE TABLE extra (x INTEGER); CREATE TABLE generations (x INTEGER);");
        Assert.Throws<SqliteException>(() => StateDb.Open(DbPath, null, [.. Migrations.All, broken]));

        Assert.Equal(1L, Query(DbPath, "PRAGMA user_version"));
        Assert.Equal(0L, Query(DbPath, "SELECT count(*) FROM sqlite_master WHERE name = 'extra'"));
        using var db = StateDb.Open(DbPath);
        Assert.Null(db.Current);
    }

    [Fact]
    public void A_database_at_v2_is_refused_by_a_gen_that_knows_only_v1()
    {
        using (StateDb.Open(DbPath, null, [.. Migrations.All, V2("CREATE TABLE extra (x INTEGER);")]))
        {
        }

        var e = Assert.Throws<StateVersionException>(() => StateDb.Open(DbPath));
        Assert.Equal((2, 1), (e.Found, e.Known));
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
