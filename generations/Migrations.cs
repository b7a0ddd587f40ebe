using Microsoft.Data.Sqlite;

namespace GenStore.Generations;

/// <summary>The ordered schema migrations of the state database, tracked in <c>PRAGMA user_version</c>.</summary>
/// <remarks>
/// Each migration runs in its own transaction together with the bump of user_version, so a crash mid-migration
/// leaves the file at the previous version, never half-migrated. To change the schema, append a migration with
/// the next version number; never edit one that has shipped.
/// </remarks>
internal static class Migrations
{
    /// <summary>One schema step: the SQL that takes version <c>Version − 1</c> to <c>Version</c>.</summary>
    internal sealed record Migration(int Version, string Description, string Sql);

    /// <summary>Every migration, in version order starting at 1.</summary>
    internal static readonly Migration[] All =
    [
        new(1, "generations, current pointer, path cache, backups, intent log, events, agent state", V1),
        // An interrupted undo must be resumed as an undo: its progress counts actions of the reverse plan.
        new(2, "intents.undoing", "ALTER TABLE intents ADD COLUMN undoing INTEGER NOT NULL DEFAULT 0;"),
    ];

    /// <summary>Brings the open database up to the newest version; a no-op when it is already there.</summary>
    /// <exception cref="StateVersionException">The file is newer than this build.</exception>
    internal static void Apply(SqliteConnection connection, string path, IReadOnlyList<Migration> migrations)
    {
        var newest = migrations[^1].Version;
        var found = Version(connection, null);
        CheckNotNewer(found, newest, path);
        if (found == newest)
        {
            // The common case (every gen run): no write lock taken, nothing written.
            return;
        }

        foreach (var migration in migrations)
        {
            // Checked again inside the write transaction: another gen may have migrated in between.
            using var tx = connection.BeginTransaction();
            var version = Version(connection, tx);
            CheckNotNewer(version, newest, path);
            if (version >= migration.Version)
            {
                continue;
            }

            if (version != migration.Version - 1)
            {
                throw new InvalidOperationException($"{path}: schema version {version} has no migration to {migration.Version}");
            }

            StateDb.Execute(connection, tx, migration.Sql);
            StateDb.Execute(connection, tx, $"PRAGMA user_version = {migration.Version}");
            tx.Commit();
        }
    }

    private static int Version(SqliteConnection connection, SqliteTransaction? tx) =>
        (int)(long)StateDb.Scalar(connection, tx, "PRAGMA user_version")!;

    private static void CheckNotNewer(int version, int newest, string path)
    {
        if (version > newest)
        {
            throw new StateVersionException(path, version, newest);
        }
    }

    private const string V1 =
        """
        CREATE TABLE generations (
            number    INTEGER PRIMARY KEY,
            journal   BLOB    NOT NULL CHECK (length(journal) = 32),
            git_commit TEXT,
            branch    TEXT,
            track     TEXT,
            host      TEXT    NOT NULL,
            created   INTEGER NOT NULL,
            result    TEXT    NOT NULL,
            added     INTEGER NOT NULL DEFAULT 0,
            removed   INTEGER NOT NULL DEFAULT 0,
            changed   INTEGER NOT NULL DEFAULT 0,
            pinned    INTEGER NOT NULL DEFAULT 0
        ) STRICT;

        -- One row: the current pointer, the number counter (numbers are never reused, even after gc deletes the
        -- newest rows) and the agent's persisted state. The foreign key makes deleting the current row impossible.
        CREATE TABLE machine (
            id                  INTEGER PRIMARY KEY CHECK (id = 1),
            current_generation  INTEGER REFERENCES generations (number),
            next_generation     INTEGER NOT NULL DEFAULT 1,
            frozen              INTEGER NOT NULL DEFAULT 0,
            frozen_reason       TEXT,
            frozen_at           INTEGER,
            last_fetch_at       INTEGER,
            last_fetch_error    TEXT,
            last_switch_at      INTEGER,
            last_switch_seconds REAL,
            last_switch_ok      INTEGER
        ) STRICT;
        INSERT INTO machine (id) VALUES (1);

        CREATE TABLE path_cache (
            path        TEXT    PRIMARY KEY,
            kind        TEXT    NOT NULL,
            object      BLOB    CHECK (object IS NULL OR length(object) = 32),
            link_target TEXT,
            mode        INTEGER NOT NULL,
            uid         INTEGER NOT NULL,
            gid         INTEGER NOT NULL,
            size        INTEGER NOT NULL,
            mtime_ns    INTEGER NOT NULL,
            inode       INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;

        -- generation is not a foreign key: backups outlive the generations gc deletes.
        CREATE TABLE backups (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            path        TEXT    NOT NULL,
            kind        TEXT    NOT NULL,
            object      BLOB    CHECK (object IS NULL OR length(object) = 32),
            link_target TEXT,
            mode        INTEGER NOT NULL,
            uid         INTEGER NOT NULL,
            gid         INTEGER NOT NULL,
            generation  INTEGER,
            intent      INTEGER,
            created     INTEGER NOT NULL,
            restored    INTEGER NOT NULL DEFAULT 0
        ) STRICT;
        CREATE INDEX backups_by_intent ON backups (intent);

        -- The switch intent log (DESIGN §8). The unique constant column allows at most one open intent.
        CREATE TABLE intents (
            id                INTEGER PRIMARY KEY AUTOINCREMENT,
            only_one          INTEGER NOT NULL DEFAULT 1 UNIQUE CHECK (only_one = 1),
            from_generation   INTEGER,
            target_generation INTEGER NOT NULL,
            target_is_new     INTEGER NOT NULL,
            journal           BLOB    NOT NULL CHECK (length(journal) = 32),
            git_commit        TEXT,
            branch            TEXT,
            track             TEXT,
            host              TEXT    NOT NULL,
            plan              TEXT    NOT NULL,
            started           INTEGER NOT NULL,
            done              INTEGER NOT NULL DEFAULT 0
        ) STRICT;

        CREATE TABLE events (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            time       INTEGER NOT NULL,
            kind       TEXT    NOT NULL,
            generation INTEGER,
            message    TEXT    NOT NULL
        ) STRICT;

        CREATE TABLE bad_commits (
            git_commit TEXT    PRIMARY KEY,
            reason     TEXT    NOT NULL,
            at         INTEGER NOT NULL
        ) STRICT;
        """;
}
