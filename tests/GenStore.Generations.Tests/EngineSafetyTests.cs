using System.Text;
using GenStore.Testing;

namespace GenStore.Generations.Tests;

/// <summary>Nothing lost, drift, repair, gc and triggers, end to end under a temp root (issue 5 items 3, 5 and 6).</summary>
public sealed class EngineSafetyTests
{
    [Fact]
    public void A_pre_existing_unmanaged_file_is_backed_up_and_restored_when_the_step_is_undone()
    {
        using var m = new EngineMachine();
        var original = m.Host("/srv/site.conf");
        File.WriteAllText(original, "the administrator's own\n");
        File.SetUnixFileMode(original, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var before = m.Snapshot();
        var takeOver = m.Commit("file \"/srv/site.conf\" { content = \"gen's\\n\" }\n");

        m.Switch(takeOver);
        Assert.Equal("gen's\n", File.ReadAllText(original));
        using (var engine = m.Open())
        {
            var backup = Assert.Single(engine.Backups());
            Assert.Equal("/srv/site.conf", backup.Path);
            Assert.False(backup.Restored);
            Assert.Equal("the administrator's own\n", Encoding.UTF8.GetString(engine.Store.ReadAllBytes(backup.Object!.Value)));
            Assert.Equal(0b110_100_000, backup.Mode);
        }

        m.Switch(m.Commit("dir \"/srv/other\" { }\n"));
        var after = m.Snapshot();

        Assert.Equal(before.Entries["/srv/site.conf"], after.Entries["/srv/site.conf"]);
        Assert.Equal("the administrator's own\n", File.ReadAllText(original));
        using (var engine = m.Open())
        {
            Assert.True(Assert.Single(engine.Backups()).Restored);
        }
    }

    [Fact]
    public void A_failed_switch_puts_back_what_it_did_and_loses_nothing()
    {
        using var m = new EngineMachine();
        File.WriteAllText(m.Host("/srv/taken.conf"), "mine\n");
        Directory.CreateDirectory(m.Host("/srv/zz-busy"));
        File.WriteAllText(m.Host("/srv/zz-busy/data"), "someone's data\n");
        m.Switch(m.Commit("file \"/srv/a\" { content = \"a\\n\" }\n"));
        var before = m.Snapshot();

        // A file where a folder full of someone's data stands cannot be applied: the switch fails half way,
        // after it changed /srv/a, took /srv/taken.conf over and created a group.
        var broken = m.Commit("""
            group "grp" { gid = 3501 }
            file "/srv/a" { content = "a2\n" }
            file "/srv/taken.conf" { content = "gen's\n" }
            file "/srv/zz-busy" { content = "b\n" }
            """);
        using var engine = m.Open();
        Assert.ThrowsAny<GenException>(() => engine.Switch(broken));

        TreeSnapshot.AssertEqual(before, m.Snapshot(), "after the failed switch");
        Assert.DoesNotContain("grp", m.Machine.Groups());
        Assert.Null(engine.Db.OpenIntent);
        Assert.Equal("mine\n", File.ReadAllText(m.Host("/srv/taken.conf")));
        Assert.All(engine.Backups(), b => Assert.True(b.Restored));
    }

    [Fact]
    public void Drift_stops_a_switch_naming_the_path_and_force_backs_the_drifted_content_up()
    {
        using var m = new EngineMachine();
        m.Switch(m.Commit("file \"/srv/motd\" { content = \"hello\\n\" }\nfile \"/srv/keep\" { content = \"k\\n\" }\n"));
        File.WriteAllText(m.Host("/srv/motd"), "edited by hand\n");
        var target = m.Commit("file \"/srv/motd\" { content = \"hello again\\n\" }\nfile \"/srv/keep\" { content = \"k\\n\" }\n");
        var drifted = m.Snapshot();

        using var engine = m.Open();
        var drift = Assert.Throws<DriftException>(() => engine.Switch(target));
        Assert.Equal("/srv/motd", Assert.Single(drift.Drifts).Path);
        Assert.Contains("/srv/motd", drift.Message, StringComparison.Ordinal);
        TreeSnapshot.AssertEqual(drifted, m.Snapshot(), "after the refused switch");

        engine.Switch(target, force: true);

        Assert.Equal("hello again\n", File.ReadAllText(m.Host("/srv/motd")));
        var backup = Assert.Single(engine.Backups(), b => b.Path == "/srv/motd");
        Assert.Equal("edited by hand\n", Encoding.UTF8.GetString(engine.Store.ReadAllBytes(backup.Object!.Value)));
    }

    [Fact]
    public void Verify_full_repair_backs_drift_up_and_restores_the_generation()
    {
        using var m = new EngineMachine();
        m.Switch(m.Commit("""
            dir "/srv/v" { mode = "0755" }
            file "/srv/v/a" { content = "a\n" }
            file "/srv/v/b" { content = "b\n"  mode = "0600" }
            link "/srv/v/l" { target = "/srv/v/a" }
            """));
        var clean = m.Snapshot();
        using var engine = m.Open();
        Assert.Empty(engine.Verify(full: true, repair: false).Drifts);

        // Same size, same mtime: only a full rehash sees this change.
        var a = m.Host("/srv/v/a");
        var mtime = File.GetLastWriteTimeUtc(a);
        using (var stream = new FileStream(a, FileMode.Open, FileAccess.Write))
        {
            stream.Write("A\n"u8);
        }

        File.SetLastWriteTimeUtc(a, mtime);
        File.SetUnixFileMode(m.Host("/srv/v/b"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        File.Delete(m.Host("/srv/v/l"));
        File.CreateSymbolicLink(m.Host("/srv/v/l"), "/elsewhere");

        var found = engine.Verify(full: true, repair: false);
        Assert.Equal(new[] { "/srv/v/a", "/srv/v/b", "/srv/v/l" }, found.Drifts.Select(d => d.Path).Order(StringComparer.Ordinal));
        Assert.False(found.Repaired);

        var repaired = engine.Verify(full: true, repair: true);

        Assert.True(repaired.Repaired);
        TreeSnapshot.AssertEqual(clean, m.Snapshot(), "after repair");
        Assert.Empty(engine.Verify(full: true, repair: false).Drifts);
        Assert.Contains(engine.Backups(), b => b.Path == "/srv/v/a" && Encoding.UTF8.GetString(engine.Store.ReadAllBytes(b.Object!.Value)) == "A\n");
    }

    [Fact]
    public void A_directory_holding_unmanaged_files_is_left_in_place_with_a_warning()
    {
        using var m = new EngineMachine();
        m.Switch(m.Commit("dir \"/srv/cache\" { }\nfile \"/srv/cache/managed\" { content = \"m\\n\" }\n"));
        File.WriteAllText(m.Host("/srv/cache/user-data"), "not gen's\n");

        var outcome = m.Switch(m.Commit("dir \"/srv/elsewhere\" { }\n"));

        Assert.Contains(outcome.Warnings, w => w.Contains("/srv/cache", StringComparison.Ordinal));
        Assert.Contains(m.Reports, r => r.StartsWith("warning:", StringComparison.Ordinal) && r.Contains("/srv/cache", StringComparison.Ordinal));
        Assert.False(File.Exists(m.Host("/srv/cache/managed")));
        Assert.Equal("not gen's\n", File.ReadAllText(m.Host("/srv/cache/user-data")));
        using var engine = m.Open();
        Assert.Empty(engine.Verify(full: true, repair: false).Drifts);
    }

    [Fact]
    public void Gc_keeps_the_current_pinned_and_newer_generations_and_removes_objects_only_deleted_ones_used()
    {
        using var m = new EngineMachine();
        var numbers = new List<int>();
        var payloads = new List<GenStore.Store.ObjectId>();
        for (var i = 1; i <= 4; i++)
        {
            var commit = m.Commit($"file \"/srv/v\" {{ content = \"version {i}\\n\" }}\nfile \"/srv/same\" {{ content = \"same\\n\" }}\n");
            numbers.Add(m.Switch(commit).To.Number);
            using var e = m.Open();
            payloads.Add(e.Preview($"gen-{numbers[^1]}").Journal.Steps.OfType<GenStore.Journal.CopyStep>().Single(c => c.Path == "/srv/v").Payload);
        }

        using var engine = m.Open();
        engine.Pin(numbers[0]);
        engine.Switch($"gen-{numbers[2]}");
        var before = m.Snapshot();

        var dry = engine.Gc(new GcRules(KeepNewest: 1, KeepYoungerThan: null), dryRun: true);
        Assert.Equal(new[] { numbers[1] }, dry.Generations.Select(g => g.Number));
        Assert.True(engine.Store.Contains(payloads[1]));

        var report = engine.Gc(new GcRules(KeepNewest: 1, KeepYoungerThan: null), dryRun: false);

        Assert.Equal(new[] { numbers[1] }, report.Generations.Select(g => g.Number));
        Assert.True(report.Objects >= 2, $"expected at least the payload and the journal of gen-{numbers[1]}, got {report.Objects}");
        Assert.False(engine.Store.Contains(payloads[1]));
        Assert.True(engine.Store.Contains(payloads[0]));
        Assert.True(engine.Store.Contains(payloads[2]));
        Assert.True(engine.Store.Contains(payloads[3]));
        Assert.Equal(new[] { numbers[3], numbers[2], numbers[0] }, engine.List().Select(r => r.Generation.Number));
        TreeSnapshot.AssertEqual(before, m.Snapshot(), "gc touches no managed file");

        // What is kept still works without the repo: back to the pinned one and forward to the newer one.
        engine.Switch($"gen-{numbers[0]}");
        Assert.Equal("version 1\n", File.ReadAllText(m.Host("/srv/v")));
        engine.Switch($"gen-{numbers[3]}");
        Assert.Equal("version 4\n", File.ReadAllText(m.Host("/srv/v")));
    }

    [Fact]
    public void Triggers_run_only_when_a_matching_path_changed()
    {
        using var m = new EngineMachine();
        var marker = m.Machine.Folder + "/marker";
        string Config(string web, string other) => $$"""
            dir "/srv/web" { }
            file "/srv/web/site.conf" { content = "{{web}}\n" }
            file "/srv/other" { content = "{{other}}\n" }
            on_change "reload-web" { paths = ["/srv/web/**"]  run = ["sh", "-c", "echo ran >> {{marker}}"] }
            """;

        var first = m.Switch(m.Commit(Config("v1", "o1")));
        Assert.Equal("reload-web", Assert.Single(first.TriggersRun).Name);
        Assert.Equal(new[] { "ran" }, File.ReadAllLines(marker));

        var unrelated = m.Switch(m.Commit(Config("v1", "o2")));
        Assert.Empty(unrelated.TriggersRun);
        Assert.Single(File.ReadAllLines(marker));

        var related = m.Switch(m.Commit(Config("v2", "o2")));
        Assert.Equal(0, Assert.Single(related.TriggersRun).ExitCode);
        Assert.Equal(new[] { "ran", "ran" }, File.ReadAllLines(marker));

        using var engine = m.Open(triggers: false);
        engine.Switch(m.Commit(Config("v3", "o2")));
        Assert.Equal(2, File.ReadAllLines(marker).Length);
    }
}
