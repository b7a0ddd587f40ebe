using System.Diagnostics;
using System.Net.Sockets;
using GenStore.Testing;

namespace GenStore.Agent.Tests;

/// <summary>One host fetches over ssh:// from an sshd on 127.0.0.1 that the test starts with its own host key and authorized key.</summary>
public sealed class SshTests : IDisposable
{
    private const string Sshd = "/usr/sbin/sshd";
    private readonly ConfigRepo _repo = new();
    private readonly TempDir _dir = new("gen-sshd");
    private Process? _sshd;

    [Fact]
    public void A_host_fetches_its_track_over_ssh_from_a_loopback_sshd()
    {
        Assert.True(File.Exists(Sshd), $"{Sshd} is missing; install openssh-server (test.sh does when run as root)");
        var port = StartSshd();
        var url = $"ssh://{Environment.UserName}@127.0.0.1:{port}{_repo.BarePath}";
        using var host = new FleetHost("ssh-01", url);

        var run = host.Run();

        Assert.True(run.Result == AgentResult.Switched, run.Message + "\n" + string.Join('\n', host.Log));
        var head = _repo.Work.Git("rev-parse", "main").Trim();
        Assert.Equal(head, host.Commit);
        Assert.Equal(url, GitRepo.Run(Path.Combine(host.State, "repo.git"), "config", "--get", "remote.origin.url").Trim());

        var next = _repo.CommitOn("main", ("main.gen", ConfigRepo.App("good over ssh")));
        Assert.Equal(AgentResult.Switched, host.Run().Result);
        Assert.Equal(next, host.Commit);
        Assert.Contains($"commit=\"{next}\"", host.MetricsText, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (_sshd is { HasExited: false })
        {
            _sshd.Kill(entireProcessTree: true);
            _sshd.WaitForExit();
        }

        _sshd?.Dispose();
        _dir.Dispose();
        _repo.Dispose();
    }

    private int StartSshd()
    {
        TrustTests.RunTool("ssh-keygen", "-q", "-t", "ed25519", "-N", string.Empty, "-f", _dir.Combine("host_key"));
        TrustTests.RunTool("ssh-keygen", "-q", "-t", "ed25519", "-N", string.Empty, "-f", _dir.Combine("user_key"));
        File.Copy(_dir.Combine("user_key.pub"), _dir.Combine("authorized_keys"));
        var port = ConfigRepo.FreePort();
        File.WriteAllText(_dir.Combine("sshd_config"), $"""
            ListenAddress 127.0.0.1
            HostKey {_dir.Combine("host_key")}
            PidFile {_dir.Combine("sshd.pid")}
            AuthorizedKeysFile {_dir.Combine("authorized_keys")}
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            PermitRootLogin prohibit-password
            LogLevel ERROR

            """);

        // sshd refuses to start without its privilege separation folder, which Debian creates only at boot.
        if (Environment.IsPrivilegedProcess)
        {
            Directory.CreateDirectory("/run/sshd");
        }

        var start = new ProcessStartInfo(Sshd) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-D", "-e", "-f", _dir.Combine("sshd_config"), "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        _sshd = Process.Start(start)!;
        var errors = new System.Text.StringBuilder();
        _sshd.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        _sshd.BeginErrorReadLine();
        _sshd.BeginOutputReadLine();

        // The agent's git uses the key of this test only, and trusts the throwaway host key.
        Environment.SetEnvironmentVariable("GIT_SSH_COMMAND",
            $"ssh -i {_dir.Combine("user_key")} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient("127.0.0.1", port);
                return port;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_sshd.HasExited)
            {
                Thread.Sleep(50);
            }
            catch (SocketException)
            {
                lock (errors)
                {
                    throw new InvalidOperationException($"sshd did not start listening on 127.0.0.1:{port}: {errors}");
                }
            }
        }
    }
}
