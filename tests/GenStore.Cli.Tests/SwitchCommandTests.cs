using GenStore.Generations;
using GenStore.Journal;
using GenStore.Testing;

namespace GenStore.Cli.Tests;

/// <summary><c>gen switch</c>, <c>plan</c>, <c>rollback</c> and friends as real processes: exit codes and one-line errors (docs/exit-codes.md).</summary>
public sealed class SwitchCommandTests : IDisposable
{
    private readonly TestRoot _machine = new();
    private readonly GitRepo _repo = new();

    [Fact]
    public void Switching_to_the_current_generation_exits_7_and_changes_nothing()
    {
        var commit = _repo.Write("main.gen", "file \"/srv/motd\" { content = \"hi\\n\"  mode = \"0600\" }\n").Commit();
        var first = Gen("switch", commit, "--repo", _repo.Path).Expect(0);
        Assert.Contains("gen-1", first.StdOut, StringComparison.Ordinal);
        var before = _machine.Snapshot(accounts: true);

        var again = Gen("switch", commit, "--repo", _repo.Path).Expect(7);

        Assert.Contains("already", again.StdOut + again.StdErr, StringComparison.Ordinal);
        TreeSnapshot.AssertEqual(before, _machine.Snapshot(accounts: true));
        Gen("switch", "gen-1").Expect(7);
    }

    [Fact]
    public void Plan_shows_the_actions_with_source_lines_and_touches_nothing()
    {
        var commit = _repo.Write("main.gen", "dir \"/srv/x\" { }\nfile \"/srv/x/f\" { content = \"f\\n\" }\n").Commit();
        var before = _machine.Snapshot(accounts: true);

        var plan = Gen("plan", commit, "--repo", _repo.Path).Expect(0);

        Assert.Contains("MKDIR /srv/x", plan.StdOut, StringComparison.Ordinal);
        Assert.Contains("main.gen:2:1", plan.StdOut, StringComparison.Ordinal);
        TreeSnapshot.AssertEqual(before, _machine.Snapshot(accounts: true));
        using var engine = _machine.Engine();
        Assert.Empty(engine.List());
    }

    [Fact]
    public void Drift_stops_the_switch_with_exit_3_naming_the_path_and_force_backs_it_up()
    {
        _repo.Write("main.gen", "file \"/srv/app.conf\" { content = \"v1\\n\" }\n");
        Gen("switch", _repo.Commit(), "--repo", _repo.Path).Expect(0);
        File.WriteAllText(_machine.Host("/srv/app.conf"), "hand edit\n");
        var target = _repo.Write("main.gen", "file \"/srv/app.conf\" { content = \"v2\\n\" }\n").Commit();

        var refused = Gen("switch", target, "--repo", _repo.Path).Expect(3);

        var error = refused.StdErr.Trim();
        Assert.DoesNotContain('\n', error);
        Assert.Contains("/srv/app.conf", error, StringComparison.Ordinal);
        Assert.Equal("hand edit\n", File.ReadAllText(_machine.Host("/srv/app.conf")));

        Gen("switch", target, "--repo", _repo.Path, "--force").Expect(0);

        Assert.Equal("v2\n", File.ReadAllText(_machine.Host("/srv/app.conf")));
        var backups = Gen("backups", "--json").Expect(0);
        Assert.Contains("/srv/app.conf", backups.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Diff_between_two_generations_lists_the_changed_step_and_list_marks_the_current_one()
    {
        _repo.Write("main.gen", "file \"/srv/a\" { content = \"a\\n\" }\nfile \"/srv/b\" { content = \"b\\n\" }\n");
        Gen("switch", _repo.Commit(), "--repo", _repo.Path).Expect(0);
        _repo.Write("main.gen", "file \"/srv/a\" { content = \"a2\\n\" }\nfile \"/srv/b\" { content = \"b\\n\" }\n");
        Gen("switch", _repo.Commit(), "--repo", _repo.Path).Expect(0);

        var diff = Gen("diff", "gen-1", "gen-2").Expect(0);
        var list = Gen("list").Expect(0);

        Assert.Contains("~ COPY /srv/a ", diff.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("/srv/b", diff.StdOut, StringComparison.Ordinal);
        Assert.Contains("* gen-2", list.StdOut, StringComparison.Ordinal);
        Assert.Contains("+0 -0 ~1", list.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_exits_3_on_drift_and_verify_full_repair_restores()
    {
        _repo.Write("main.gen", "file \"/srv/a\" { content = \"a\\n\" }\nlink \"/srv/l\" { target = \"/srv/a\" }\n");
        Gen("switch", _repo.Commit(), "--repo", _repo.Path).Expect(0);
        var clean = _machine.Snapshot();
        File.WriteAllText(_machine.Host("/srv/a"), "changed\n");

        var verify = Gen("verify", "--full").Expect(3);
        Assert.Contains("/srv/a", verify.StdOut + verify.StdErr, StringComparison.Ordinal);
        Gen("verify", "--full", "--repair").Expect(0);

        TreeSnapshot.AssertEqual(clean, _machine.Snapshot());
        Gen("verify", "--full").Expect(0);
    }

    [Fact]
    public void Rollback_and_switch_gen_N_work_with_the_config_repo_deleted()
    {
        _repo.Write("main.gen", "file \"/srv/v\" { content = \"1\\n\" }\n");
        Gen("switch", _repo.Commit(), "--repo", _repo.Path).Expect(0);
        var one = _machine.Snapshot();
        _repo.Write("main.gen", "file \"/srv/v\" { content = \"2\\n\" }\nfile \"/srv/w\" { content = \"w\\n\" }\n");
        Gen("switch", _repo.Commit(), "--repo", _repo.Path).Expect(0);
        var two = _machine.Snapshot();
        var repo = _repo.Path;
        Directory.Delete(repo, recursive: true);

        Gen("rollback", "--repo", repo).Expect(0);
        TreeSnapshot.AssertEqual(one, _machine.Snapshot(), "after gen rollback");
        Gen("switch", "gen-2", "--repo", repo).Expect(0);
        TreeSnapshot.AssertEqual(two, _machine.Snapshot(), "after gen switch gen-2");
        var list = Gen("list").Expect(0);
        Assert.Contains("* gen-2", list.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_revision_exits_2_with_a_one_line_error()
    {
        _repo.Write("main.gen", "dir \"/srv/x\" { }\n").Commit();

        var result = Gen("switch", "no-such-branch", "--repo", _repo.Path).Expect(2);

        var error = result.StdErr.Trim();
        Assert.DoesNotContain('\n', error);
        Assert.StartsWith("gen:", error, StringComparison.Ordinal);
        Assert.Contains("no-such-branch", error, StringComparison.Ordinal);
        Gen("switch", "gen-9").Expect(2);
    }

    [Fact]
    public void A_second_switch_while_another_gen_holds_the_lock_exits_6_after_wait()
    {
        var commit = _repo.Write("main.gen", "dir \"/srv/x\" { }\n").Commit();

        // This test process plays the other gen: it holds the lock for as long as the second switch runs.
        using (GenerationLock.Acquire(Path.Combine(_machine.State, GenerationLock.FileName), 0))
        {
            var busy = Gen("switch", commit, "--repo", _repo.Path, "--wait", "0.5").Expect(6);
            Assert.DoesNotContain('\n', busy.StdErr.Trim().Split('\n')[^1]);
            Assert.False(Directory.Exists(_machine.Host("/srv/x")));
        }

        Gen("switch", commit, "--repo", _repo.Path, "--wait", "5").Expect(0);
        Assert.True(Directory.Exists(_machine.Host("/srv/x")));
    }

    [Fact]
    public void A_corrupt_store_object_fails_the_switch_with_exit_5_and_leaves_the_root_unchanged()
    {
        _repo.Write("main.gen", "file \"/srv/f\" { content = \"one\\n\" }\n");
        Gen("switch", _repo.Commit(), "--repo", _repo.Path).Expect(0);
        var target = _repo.Write("main.gen", "file \"/srv/f\" { content = \"two, longer\\n\" }\nfile \"/srv/g\" { content = \"g\\n\" }\n").Commit();
        Gen("plan", target, "--repo", _repo.Path).Expect(0);
        var before = _machine.Snapshot(accounts: true);
        GenStore.Store.ObjectId payload;
        using (var engine = _machine.Engine(_repo.Path))
        {
            payload = engine.Preview(target).Journal.Steps.OfType<CopyStep>().Single(c => c.Path == "/srv/f").Payload;
            var file = engine.Store.PathOf(payload);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var bytes = File.ReadAllBytes(file);
            bytes[^2] ^= 0x01;
            File.WriteAllBytes(file, bytes);
        }

        var failed = Gen("switch", target, "--repo", _repo.Path).Expect(5);

        Assert.DoesNotContain('\n', failed.StdErr.Trim());
        TreeSnapshot.AssertEqual(before, _machine.Snapshot(accounts: true));
        using (var engine = _machine.Engine())
        {
            Assert.Equal(1, engine.Db.CurrentNumber);
            Assert.Null(engine.Db.OpenIntent);
        }
    }

    [Fact]
    public void Without_a_host_flag_switch_and_compile_act_as_the_host_id_in_gen_conf()
    {
        using var dir = new TempDir();
        var conf = dir.Combine("gen.conf");
        File.WriteAllText(conf, "host_id = web-01\n");
        var environment = new Dictionary<string, string?> { ["GEN_CONFIG"] = conf, ["GEN_HOST"] = null };
        var commit = _repo.Write("main.gen", "hosts [\"web-*\"] { file \"/srv/role\" { content = \"web\\n\" } }\nfile \"/srv/all\" { content = \"all\\n\" }\n").Commit();

        var compiled = _machine.GenWith(environment, "compile", commit, "--repo", _repo.Path).Expect(0);
        _machine.GenWith(environment, "switch", commit, "--repo", _repo.Path).Expect(0);

        // The agent would compile for web-01 too, so an operator's switch deploys exactly what the agent would.
        Assert.Contains("/srv/role", compiled.StdOut, StringComparison.Ordinal);
        Assert.Equal("web\n", File.ReadAllText(_machine.Host("/srv/role")));
        using var engine = _machine.Engine();
        Assert.Equal("web-01", Assert.Single(engine.List()).Generation.Host);
        Assert.DoesNotContain("/srv/role", _machine.GenWith(environment, "compile", commit, "--repo", _repo.Path, "--host", "db-01").Expect(0).StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_gen_conf_stops_a_switch_that_needs_the_host_id_but_not_a_rollback()
    {
        var first = _repo.Write("main.gen", "file \"/srv/motd\" { content = \"one\\n\" }\n").Commit();
        var second = _repo.Write("main.gen", "file \"/srv/motd\" { content = \"two\\n\" }\n").Commit();
        Gen("switch", first, "--repo", _repo.Path, "--host", "web-01").Expect(0);
        Gen("switch", second, "--repo", _repo.Path, "--host", "web-01").Expect(0);
        using var dir = new TempDir();
        var conf = dir.Combine("gen.conf");
        File.WriteAllText(conf, "host_id = web-01\nhostid = typo\n");
        var environment = new Dictionary<string, string?> { ["GEN_CONFIG"] = conf, ["GEN_HOST"] = null };

        var refused = _machine.GenWith(environment, "switch", first, "--repo", _repo.Path).Expect(2);
        _machine.GenWith(environment, "rollback").Expect(0);

        Assert.Contains(conf, refused.StdErr, StringComparison.Ordinal);
        Assert.Contains("hostid", refused.StdErr, StringComparison.Ordinal);
        Assert.Equal("one\n", File.ReadAllText(_machine.Host("/srv/motd")));
    }

    public void Dispose()
    {
        _repo.Dispose();
        _machine.Dispose();
    }

    private GenResult Gen(params string[] args) => _machine.Gen(args);
}
