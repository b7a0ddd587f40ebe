using GenStore.Journal;
using GenStore.Testing;

namespace GenStore.Generations.Tests;

/// <summary>End-to-end switches with a real git repo, real files and real useradd under a temp root (issue 5 items 3 and 4).</summary>
public sealed class EngineSwitchTests
{
    private const string Base = """
        group "app" { gid = 3301 }
        user "app" { uid = 3301  group = "app"  groups = ["www-data"]  shell = "/bin/sh" }
        dir "/srv/app" { mode = "0750"  owner = "app"  group = "www-data" }
        dir "/srv/app/conf" { }
        file "/srv/app/conf/app.conf" { content = "port = 8080\n"  mode = "0640"  owner = "app"  group = "app" }
        file "/srv/app/conf/other.conf" { content = "other\n" }
        file "/srv/app/run.sh" { source = "files/run.sh"  mode = "0755" }
        link "/srv/app/current" { target = "/srv/app/conf/app.conf" }
        """;

    [Fact]
    public void The_first_switch_creates_content_modes_owners_links_users_and_groups()
    {
        using var m = new EngineMachine();
        m.Repo.Write("files/run.sh", "#!/bin/sh\necho run\n");
        var commit = m.Commit(Base);

        var outcome = m.Switch(commit);

        Assert.False(outcome.AlreadyThere);
        Assert.Null(outcome.From);
        Assert.Equal(commit, outcome.To.Commit);
        Assert.Contains("app:x:3301:3301::", File.ReadAllText(m.Host("/etc/passwd")), StringComparison.Ordinal);
        Assert.Contains("app:x:3301:", File.ReadAllText(m.Host("/etc/group")), StringComparison.Ordinal);
        Assert.Contains(m.Machine.Groups(), g => g == "www-data");
        var tree = m.Snapshot(accounts: false).Entries;
        var wwwData = File.ReadLines(m.Host("/etc/group")).Single(l => l.StartsWith("www-data:", StringComparison.Ordinal)).Split(':')[2];
        Assert.Equal(new TreeEntry("dir", 0b111_101_000, 3301, long.Parse(wwwData, System.Globalization.CultureInfo.InvariantCulture), null, null), tree["/srv/app"]);
        Assert.Equal(("file", 0b110_100_000, 3301L, 3301L), (tree["/srv/app/conf/app.conf"].Kind, tree["/srv/app/conf/app.conf"].Mode, tree["/srv/app/conf/app.conf"].Uid, tree["/srv/app/conf/app.conf"].Gid));
        Assert.Equal("port = 8080\n", File.ReadAllText(m.Host("/srv/app/conf/app.conf")));
        Assert.Equal(0b111_101_101, tree["/srv/app/run.sh"].Mode);
        Assert.Equal("#!/bin/sh\necho run\n", File.ReadAllText(m.Host("/srv/app/run.sh")));
        Assert.Equal("/srv/app/conf/app.conf", tree["/srv/app/current"].LinkTarget);
        Assert.Equal((0L, 0L), (tree["/srv/app/conf/other.conf"].Uid, tree["/srv/app/conf/other.conf"].Gid));
    }

    [Fact]
    public void Switching_to_the_current_generation_changes_nothing()
    {
        using var m = new EngineMachine();
        m.Repo.Write("files/run.sh", "run\n");
        var commit = m.Commit(Base);
        var first = m.Switch(commit);
        var before = m.Snapshot();

        var again = m.Switch(commit);
        var byNumber = m.Switch($"gen-{first.To.Number}");

        Assert.True(again.AlreadyThere);
        Assert.True(byNumber.AlreadyThere);
        Assert.Equal(first.To.Number, again.To.Number);
        TreeSnapshot.AssertEqual(before, m.Snapshot());
        using var engine = m.Open();
        Assert.Single(engine.List());
    }

    [Fact]
    public void A_one_file_commit_changes_only_that_file()
    {
        using var m = new EngineMachine();
        m.Repo.Write("files/run.sh", "run v1\n");
        m.Switch(m.Commit(Base));
        var before = m.Snapshot();
        var inodes = Directory.EnumerateFileSystemEntries(m.Host("/srv/app"), "*", SearchOption.AllDirectories)
            .ToDictionary(p => p, p => GenStore.Store.Posix.Lstat(p).Inode);

        m.Repo.Write("files/run.sh", "run v2\n");
        var outcome = m.Switch(m.Repo.Commit("one file"));

        Assert.Equal(new DiffStats(0, 0, 1), outcome.Stats);
        Assert.Single(outcome.Plan.Actions);
        var difference = before.DifferenceFrom(m.Snapshot());
        Assert.NotNull(difference);
        Assert.StartsWith("1 path(s) differ", difference, StringComparison.Ordinal);
        Assert.Contains("/srv/app/run.sh", difference, StringComparison.Ordinal);

        // Everything else was not even rewritten.
        foreach (var (path, inode) in inodes.Where(p => !p.Key.EndsWith("run.sh", StringComparison.Ordinal)))
        {
            Assert.Equal(inode, GenStore.Store.Posix.Lstat(path).Inode);
        }
    }

    [Fact]
    public void Rollback_and_switching_to_gen_N_work_with_the_config_repo_deleted()
    {
        using var m = new EngineMachine();
        m.Repo.Write("files/run.sh", "run v1\n");
        var first = m.Switch(m.Commit(Base));
        var snapshot1 = m.Snapshot();
        m.Repo.Write("files/run.sh", "run v2\n");
        var second = m.Switch(m.Commit(Base + "\nfile \"/srv/app/extra\" { content = \"extra\\n\" }\n"));
        var snapshot2 = m.Snapshot();
        Directory.Delete(m.Repo.Path, recursive: true);

        using (var engine = m.Open())
        {
            var back = engine.Rollback();
            Assert.Equal(first.To.Number, back.To.Number);
            TreeSnapshot.AssertEqual(snapshot1, m.Snapshot(), "after rollback");

            var forward = engine.Switch($"gen-{second.To.Number}");
            Assert.Equal(second.To.Number, forward.To.Number);
            TreeSnapshot.AssertEqual(snapshot2, m.Snapshot(), "after switch gen-N");

            // A revision needs the repo, and says so in one line.
            var error = Assert.ThrowsAny<GenException>(() => engine.Switch("main"));
            Assert.DoesNotContain('\n', error.Message);
            Assert.Equal(2, engine.List().Count);
        }
    }

    [Fact]
    public void Users_gen_created_are_deleted_on_undo_but_pre_existing_ones_are_kept()
    {
        using var m = new EngineMachine();
        var withUsers = m.Commit("""
            group "made" { gid = 3401 }
            user "made" { uid = 3401  group = "made"  shell = "/bin/sh" }
            user "daemon" { uid = 1  group = "daemon"  shell = "/usr/sbin/nologin" }
            group "www-data" { gid = 33 }
            """);
        var passwdBefore = File.ReadAllText(m.Host("/etc/passwd"));
        m.Switch(withUsers);
        Assert.Contains("made", m.Machine.Users());
        Assert.Contains("made", m.Machine.Groups());

        m.Switch(m.Commit("dir \"/srv/empty\" { }\n"));

        Assert.DoesNotContain("made", m.Machine.Users());
        Assert.DoesNotContain("made", m.Machine.Groups());
        Assert.Contains("daemon", m.Machine.Users());
        Assert.Contains("www-data", m.Machine.Groups());
        Assert.Equal(passwdBefore, File.ReadAllText(m.Host("/etc/passwd")));
    }

    [Fact]
    public void Preview_touches_nothing_on_disk_nor_in_the_state()
    {
        using var m = new EngineMachine();
        m.Repo.Write("files/run.sh", "run\n");
        var commit = m.Commit(Base);
        var before = m.Snapshot();

        using var engine = m.Open();
        var preview = engine.Preview(commit);

        Assert.Equal(8, preview.Plan.Actions.Count);
        Assert.Empty(preview.Drifts);
        TreeSnapshot.AssertEqual(before, m.Snapshot());
        Assert.Null(engine.Db.Current);
        Assert.Empty(engine.List());
        Assert.Null(engine.Db.OpenIntent);
    }

    [Fact]
    public void A_corrupt_store_object_fails_the_switch_and_leaves_the_root_unchanged()
    {
        using var m = new EngineMachine();
        m.Repo.Write("files/run.sh", "run v1\n");
        m.Switch(m.Commit(Base));
        m.Repo.Write("files/run.sh", "run v2, a new payload\n");
        var target = m.Repo.Commit("new payload");
        var before = m.Snapshot();

        using var engine = m.Open();
        CorruptPayloadOf(engine, target, "/srv/app/run.sh");

        Assert.Throws<CorruptObjectException>(() => engine.Switch(target));

        TreeSnapshot.AssertEqual(before, m.Snapshot());
        Assert.Equal(1, engine.Db.CurrentNumber);
        Assert.Null(engine.Db.OpenIntent);
    }

    [Fact]
    public void Hundreds_of_files_written_in_parallel_land_whole_and_roll_back_exactly()
    {
        using var m = new EngineMachine();
        for (var i = 0; i < 300; i++)
        {
            m.Repo.Write($"www/d{i % 7}/f{i:D3}.txt", $"file {i:D3} version 1\n");
        }

        var first = m.Switch(m.Commit("tree \"/srv/www\" { source = \"www/\" }\n"));
        Assert.Equal(308, first.Plan.Actions.Count);
        var snapshot1 = m.Snapshot();

        // Every other file changes with the same size (the files are rewritten without reading them first), and some go.
        for (var i = 0; i < 300; i += 2)
        {
            m.Repo.Write($"www/d{i % 7}/f{i:D3}.txt", $"file {i:D3} version 2\n");
        }

        for (var i = 1; i < 300; i += 50)
        {
            File.Delete(Path.Join(m.Repo.Path, $"www/d{i % 7}/f{i:D3}.txt"));
        }

        var second = m.Switch(m.Repo.Commit("half the files"));
        Assert.Equal(new DiffStats(0, 6, 150), second.Stats);
        for (var i = 0; i < 300; i++)
        {
            var host = m.Host($"/srv/www/d{i % 7}/f{i:D3}.txt");
            if (i % 50 == 1)
            {
                Assert.False(File.Exists(host));
            }
            else
            {
                Assert.Equal($"file {i:D3} version {(i % 2 == 0 ? 2 : 1)}\n", File.ReadAllText(host));
            }
        }

        using var engine = m.Open();
        Assert.Empty(engine.Verify(full: true, repair: false).Drifts);
        engine.Rollback();
        TreeSnapshot.AssertEqual(snapshot1, m.Snapshot(), "after rollback");
        Assert.Empty(engine.Verify(full: true, repair: false).Drifts);
        Assert.Empty(Directory.EnumerateFiles(m.Host("/srv/www"), ".gen-tmp-*", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_corrupt_payload_in_the_middle_of_a_parallel_run_fails_the_switch_and_leaves_the_root_unchanged()
    {
        using var m = new EngineMachine();
        for (var i = 0; i < 200; i++)
        {
            m.Repo.Write($"www/f{i:D3}.txt", $"file {i:D3} version 1\n");
        }

        m.Switch(m.Commit("tree \"/srv/www\" { source = \"www/\" }\n"));
        for (var i = 0; i < 200; i++)
        {
            m.Repo.Write($"www/f{i:D3}.txt", $"file {i:D3} version 2\n");
        }

        var target = m.Repo.Commit("every file");
        var before = m.Snapshot();

        using var engine = m.Open();
        CorruptPayloadOf(engine, target, "/srv/www/f100.txt");

        Assert.Throws<CorruptObjectException>(() => engine.Switch(target));

        TreeSnapshot.AssertEqual(before, m.Snapshot());
        Assert.Equal(1, engine.Db.CurrentNumber);
        Assert.Null(engine.Db.OpenIntent);
        Assert.Empty(Directory.EnumerateFiles(m.Host("/srv/www"), ".gen-tmp-*"));
    }

    // Flips one bit of the store object that the target's COPY step for path installs.
    private static void CorruptPayloadOf(Engine engine, string target, string path)
    {
        var payload = engine.Preview(target).Journal.Steps.OfType<CopyStep>().Single(c => c.Path == path).Payload;
        var objectPath = engine.Store.PathOf(payload);
        var bytes = File.ReadAllBytes(objectPath);
        bytes[0] ^= 0x20;
        File.SetUnixFileMode(objectPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllBytes(objectPath, bytes);
    }
}
