using GenStore.Testing;

namespace GenStore.Agent.Tests;

/// <summary>With trust on, only commits whose SSH signature git verify-commit accepts are applied.</summary>
public sealed class TrustTests : IDisposable
{
    private readonly ConfigRepo _repo = new();
    private readonly TempDir _keys = new("gen-keys");
    private readonly FleetHost _host;
    private readonly string _key;

    public TrustTests()
    {
        _key = _keys.Combine("signer");
        RunTool("ssh-keygen", "-q", "-t", "ed25519", "-N", string.Empty, "-C", "signer", "-f", _key);
        var publicKey = File.ReadAllText(_key + ".pub").Trim();
        File.WriteAllText(_keys.Combine("allowed_signers"), $"test@example.org {publicKey}\n");

        _host = new FleetHost("web-01", _repo.BarePath);
        Assert.Equal(AgentResult.Switched, _host.Run().Result);
        _host.Config = _host.Config with { Trust = true, AllowedSigners = _keys.Combine("allowed_signers") };
    }

    [Fact]
    public void An_unsigned_commit_is_refused_and_the_host_stays()
    {
        var before = _host.Commit;
        _repo.CommitOn("main", ("main.gen", ConfigRepo.App("good 2")));

        var run = _host.Run();

        Assert.Equal(AgentResult.Untrusted, run.Result);
        Assert.Contains("is not signed by an allowed key", run.Message, StringComparison.Ordinal);
        Assert.Equal(before, _host.Commit);
        Assert.Contains("gen_errors_total{kind=\"untrusted\"} 1\n", _host.MetricsText, StringComparison.Ordinal);
    }

    [Fact]
    public void A_commit_signed_by_an_allowed_ssh_key_is_applied()
    {
        _repo.Work.Write("main.gen", ConfigRepo.App("good 2"));
        _repo.Work.Git("add", "-A");
        _repo.Work.Git("-c", "gpg.format=ssh", "-c", $"user.signingkey={_key}", "commit", "-q", "-S", "-m", "signed");
        var signed = _repo.Work.Git("rev-parse", "HEAD").Trim();
        _repo.Publish("main", signed);

        var run = _host.Run();

        Assert.Equal(AgentResult.Switched, run.Result);
        Assert.Equal(signed, _host.Commit);
    }

    [Fact]
    public void A_missing_allowed_signers_file_is_reported_and_nothing_is_applied()
    {
        var before = _host.Commit;
        _repo.CommitOn("main", ("main.gen", ConfigRepo.App("good 2")));
        _host.Config = _host.Config with { AllowedSigners = _keys.Combine("missing") };

        var run = _host.Run();

        Assert.Equal(AgentResult.Untrusted, run.Result);
        Assert.Contains("allowed signers file", run.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", run.Message, StringComparison.Ordinal);
        Assert.Equal(before, _host.Commit);
        Assert.Contains("gen_errors_total{kind=\"untrusted\"} 1\n", _host.MetricsText, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _host.Dispose();
        _keys.Dispose();
        _repo.Dispose();
    }

    internal static void RunTool(string program, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {stderr.Result}");
        }
    }
}
