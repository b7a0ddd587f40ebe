using GenStore.Generations;

namespace GenStore.Agent.Tests;

/// <summary>Broken fleet.gen, an unreachable remote, a hanging health check: each is reported with a message and a metric, and the host stays where it was.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly ConfigRepo _repo = new();
    private readonly FleetHost _host;

    public BadInputTests()
    {
        _host = new FleetHost("web-01", _repo.BarePath);
        Assert.Equal(AgentResult.Switched, _host.Run().Result);
    }

    [Fact]
    public void A_broken_fleet_file_is_reported_with_its_line_and_the_host_stays()
    {
        var before = _host.Commit;
        _repo.CommitOn("main", ("fleet.gen", "track \"canary\" {\n  branch = \"canary\"\n  percent = lots\n}\n"), ("main.gen", ConfigRepo.App("good 2")));

        var run = _host.Run();

        Assert.Equal(AgentResult.FleetInvalid, run.Result);
        Assert.Contains("fleet.gen:3:", run.Message, StringComparison.Ordinal);
        Assert.Equal(before, _host.Commit);
        Assert.Contains("gen_errors_total{kind=\"fleet-error\"} 1\n", _host.MetricsText, StringComparison.Ordinal);
        Assert.Contains("gen_agent_last_run{result=\"fleet-invalid\"}", _host.MetricsText, StringComparison.Ordinal);
        Assert.Contains(_host.Log, l => l.StartsWith("gen-agent: event=fleet-error", StringComparison.Ordinal));
    }

    [Fact]
    public void A_track_on_a_missing_branch_is_reported_and_the_host_stays()
    {
        var before = _host.Commit;
        _repo.CommitOn("main", ("fleet.gen", "track \"all\" {\n  branch = \"nowhere\"\n  hosts = [\"*\"]\n}\n"));

        var run = _host.Run();

        Assert.Equal(AgentResult.FleetInvalid, run.Result);
        Assert.Contains("'nowhere'", run.Message, StringComparison.Ordinal);
        Assert.Equal(before, _host.Commit);
    }

    [Fact]
    public void An_unreachable_remote_is_reported_and_the_host_stays_on_its_generation()
    {
        var before = _host.Generation;
        _repo.CommitOn("main", ("main.gen", ConfigRepo.App("good 2")));
        GenStore.Testing.GitRepo.Run(Path.Combine(_host.State, "repo.git"), "remote", "set-url", "origin", $"git://127.0.0.1:{ConfigRepo.FreePort()}/gone.git");

        var run = _host.Run();

        Assert.Equal(AgentResult.FetchFailed, run.Result);
        Assert.Contains("cannot fetch", run.Message, StringComparison.Ordinal);
        Assert.Equal(before, _host.Generation);
        Assert.Contains("gen_last_fetch_success 0\n", _host.MetricsText, StringComparison.Ordinal);
        Assert.Contains("gen_errors_total{kind=\"fetch-error\"} 1\n", _host.MetricsText, StringComparison.Ordinal);
        Assert.NotNull(_host.Read(e => e.Status().Agent.LastFetchError));
    }

    [Fact]
    public void A_health_check_that_hangs_is_killed_after_the_timeout_and_the_switch_is_rolled_back()
    {
        var before = _host.Commit;
        var next = _repo.CommitOn("main", ("main.gen", ConfigRepo.App("good 2")));
        _host.Config = _host.Config with { HealthCheck = ["/bin/sleep", "60"], HealthTimeout = TimeSpan.FromSeconds(1) };

        var run = _host.Run();

        Assert.Equal(AgentResult.HealthFailed, run.Result);
        Assert.Contains("did not finish within 1s", run.Message, StringComparison.Ordinal);
        Assert.Equal(before, _host.Commit);
        Assert.True(_host.Read(e => e.Db.IsBad(next)));
        Assert.Contains("gen_errors_total{kind=\"health-failure\"} 1\n", _host.MetricsText, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_that_does_not_compile_fails_the_switch_and_the_host_stays()
    {
        var before = _host.Generation;
        _repo.CommitOn("main", ("main.gen", "file \"/srv/app.conf\" { contents = \"typo\" }\n"));

        var run = _host.Run();

        Assert.Equal(AgentResult.SwitchFailed, run.Result);
        Assert.Contains("main.gen:1:", run.Message, StringComparison.Ordinal);
        Assert.Equal(before, _host.Generation);
        Assert.Contains("gen_errors_total{kind=\"switch-failed\"} 1\n", _host.MetricsText, StringComparison.Ordinal);
        Assert.Contains(_host.Log, l => l.StartsWith("gen-agent: event=switch-failed", StringComparison.Ordinal));
    }

    [Fact]
    public void A_frozen_host_is_not_moved_until_it_is_unfrozen_and_the_freeze_survives_reopening()
    {
        var before = _host.Commit;
        var next = _repo.CommitOn("main", ("main.gen", ConfigRepo.App("good 2")));
        _host.Read(e => HostControl.Freeze(e, "change window", "/nonexistent/gen.conf"));

        Assert.Equal(AgentResult.Frozen, _host.Run().Result);
        Assert.Equal(before, _host.Commit);
        Assert.Equal("change window", _host.Read(e => e.Status().Agent.FrozenReason));
        Assert.Contains("gen_frozen 1\n", _host.MetricsText, StringComparison.Ordinal);

        _host.Read(e => HostControl.Unfreeze(e, "/nonexistent/gen.conf"));
        Assert.Equal(AgentResult.Switched, _host.Run().Result);
        Assert.Equal(next, _host.Commit);
    }

    [Fact]
    public void A_run_that_finds_the_host_on_its_head_changes_nothing()
    {
        var generation = _host.Generation;

        var run = _host.Run();

        Assert.Equal(AgentResult.UpToDate, run.Result);
        Assert.Equal("stable", run.Track);
        Assert.Equal(generation, _host.Generation);
        Assert.Contains("gen_behind_head 0\n", _host.MetricsText, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _host.Dispose();
        _repo.Dispose();
    }
}
