using System.Diagnostics;
using System.Net.Sockets;

namespace GenStore.Agent.Tests;

/// <summary>A <c>git daemon</c> on 127.0.0.1 serving every repository under one folder; killed on dispose.</summary>
internal sealed class GitDaemon : IDisposable
{
    private readonly Process _process;

    public GitDaemon(string basePath)
    {
        Port = ConfigRepo.FreePort();
        var start = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "daemon", "--export-all", "--reuseaddr", $"--base-path={basePath}", "--listen=127.0.0.1", $"--port={Port}", basePath })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        WaitUntilListening();
        BaseUrl = $"git://127.0.0.1:{Port}";
    }

    public int Port { get; }

    /// <summary><c>git://127.0.0.1:PORT</c>; append <c>/name.git</c>.</summary>
    public string BaseUrl { get; }

    private void WaitUntilListening()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"git daemon exited with {_process.ExitCode}");
                }

                Thread.Sleep(50);
            }
        }

        throw new TimeoutException("git daemon did not start listening within 10 s");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
