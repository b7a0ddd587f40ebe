using System.Diagnostics;
using System.Text.Json.Nodes;
using GenStore.Testing;

namespace GenStore.Agent.Tests;

/// <summary>The agent through the real <c>gen</c> process: gen.conf, <c>gen agent --once</c>, freeze, status and exit codes.</summary>
public sealed class CliAgentTests : IDisposable
{
    private readonly ConfigRepo _repo = new();
    private readonly GitDaemon _daemon;
    private readonly TestRoot _machine = new();
    private readonly string _config;
    private readonly string _metrics;

    public CliAgentTests()
    {
        _daemon = new GitDaemon(Path.GetDirectoryName(_repo.BarePath)!);
        _config = Path.Combine(_machine.Folder, "gen.conf");
        _metrics = Path.Combine(_machine.Folder, "textfile", "gen.prom");
        File.WriteAllText(_config, $"""
            # written by the test
            remote = {_daemon.BaseUrl}/fleet.git
            host_id = cli-01
            metrics_path = "{_metrics}"
            health_check = ["/bin/sh", "-c", "grep -q good \"$GEN_ROOT/srv/app.conf\""]
            health_timeout = 20s
            state = {_machine.State}
            root = {_machine.Root}

            """);
    }

    [Fact]
    public void Gen_agent_once_switches_then_a_freeze_holds_the_host_and_a_failed_health_check_exits_4()
    {
        var first = Gen("agent", "--once", "--config", _config);
        Assert.True(first.Code == 0, first.ToString());
        Assert.StartsWith("switched:", first.Out, StringComparison.Ordinal);
        Assert.Contains("gen-agent: event=switch host=cli-01", first.Err, StringComparison.Ordinal);
        var head = _repo.Work.Git("rev-parse", "main").Trim();
        Assert.Contains($"commit=\"{head}\"", File.ReadAllText(_metrics), StringComparison.Ordinal);

        Assert.Equal(0, Gen("freeze", "--reason", "change window", "--config", _config, "--state", _machine.State, "--root", _machine.Root).Code);
        var afterFreeze = File.ReadAllText(_metrics);
        Assert.Contains("gen_frozen 1\n", afterFreeze, StringComparison.Ordinal);
        Assert.Contains("gen_info{host=\"cli-01\"", afterFreeze, StringComparison.Ordinal);
        var next = _repo.CommitOn("main", ("main.gen", ConfigRepo.App("good 2")));
        var frozen = Gen("agent", "--once", "--config", _config);
        Assert.Equal(0, frozen.Code);
        Assert.StartsWith("frozen:", frozen.Out, StringComparison.Ordinal);
        var status = Status();
        Assert.True(status["frozen"]!.GetValue<bool>());
        Assert.Equal("change window", status["frozen_reason"]!.GetValue<string>());
        Assert.Contains("gen_frozen 1\n", File.ReadAllText(_metrics), StringComparison.Ordinal);

        Assert.Equal(0, Gen("unfreeze", "--config", _config, "--state", _machine.State, "--root", _machine.Root).Code);
        var bad = _repo.CommitOn("main", ("main.gen", ConfigRepo.App("broken")));
        var failed = Gen("agent", "--once", "--config", _config);
        Assert.Equal(4, failed.Code);
        Assert.Contains("gen-agent: event=health-failure", failed.Err, StringComparison.Ordinal);
        status = Status();
        Assert.False(status["frozen"]!.GetValue<bool>());
        Assert.Equal(bad, status["bad_commits"]![0]!["commit"]!.GetValue<string>());
        Assert.NotEqual(next, bad);
    }

    [Fact]
    public void An_unknown_key_in_gen_conf_is_bad_input_naming_the_file_and_line()
    {
        var line = File.ReadAllLines(_config).Length + 1;
        File.AppendAllText(_config, "colour = blue\n");

        var result = Gen("agent", "--once", "--config", _config);

        Assert.Equal(2, result.Code);
        Assert.Contains($"{_config}:{line}: unknown key 'colour'", result.Err, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _daemon.Dispose();
        _machine.Dispose();
        _repo.Dispose();
    }

    private JsonNode Status()
    {
        var result = Gen("status", "--json", "--state", _machine.State, "--root", _machine.Root, "--host", "cli-01");
        Assert.True(result.Code == 0, result.ToString());
        return JsonNode.Parse(result.Out)!;
    }

    private static (int Code, string Out, string Err) Gen(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gen.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The agent must take state, root and host from gen.conf, not from the environment of whoever runs the tests.
        foreach (var name in new[] { "GEN_STATE", "GEN_ROOT", "GEN_HOST", "GEN_CONFIG" })
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gen {string.Join(' ', args)} did not finish");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
