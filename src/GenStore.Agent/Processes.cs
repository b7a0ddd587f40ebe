using System.Diagnostics;

namespace GenStore.Agent;

/// <summary>How a child process ended: its exit code, or that it ran out of time and was killed.</summary>
/// <param name="ExitCode">The exit code; -1 when it timed out.</param>
/// <param name="TimedOut">True when it was killed for running too long.</param>
/// <param name="Error">What it wrote on stderr (captured runs only), one line.</param>
/// <param name="Output">What it wrote on stdout (captured runs only).</param>
internal sealed record ProcessEnd(int ExitCode, bool TimedOut, string Error, string Output = "");

/// <summary>Runs argv arrays (never a shell) with a time limit.</summary>
internal static class Processes
{
    /// <summary>Runs <paramref name="argv"/>; kills the whole process tree after <paramref name="timeout"/>.</summary>
    /// <param name="argv">The program and its arguments.</param>
    /// <param name="timeout">The time limit.</param>
    /// <param name="environment">Extra environment variables.</param>
    /// <param name="capture">True captures stderr into the result (for git); false lets the child write to the agent's own streams (health checks, for the journal).</param>
    /// <param name="workingDirectory">The child's working directory, if any.</param>
    /// <exception cref="InputException">The program cannot be started.</exception>
    public static ProcessEnd Run(IReadOnlyList<string> argv, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, bool capture, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = capture,
            RedirectStandardError = capture,
            RedirectStandardInput = true,
        };
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }

        foreach (var arg in argv.Skip(1))
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InputException($"cannot run {argv[0]}: {e.Message}; check the path and that it is executable");
        }

        using (process)
        {
            // No one answers prompts: a child that reads stdin sees end-of-file at once.
            process.StandardInput.Close();
            var stdout = capture ? process.StandardOutput.ReadToEndAsync() : Task.FromResult(string.Empty);
            var stderr = capture ? process.StandardError.ReadToEndAsync() : Task.FromResult(string.Empty);
            if (!process.WaitForExit(timeout))
            {
                // A hung check may have children holding the pipes: kill them all, then do not wait on the pipes.
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(5));
                return new ProcessEnd(-1, TimedOut: true, string.Empty);
            }

            process.WaitForExit();
            var output = stdout.Wait(TimeSpan.FromSeconds(5)) ? stdout.Result : string.Empty;
            var error = stderr.Wait(TimeSpan.FromSeconds(5)) ? OneLine(stderr.Result) : string.Empty;
            return new ProcessEnd(process.ExitCode, TimedOut: false, error, output);
        }
    }

    /// <summary>Joins the lines of <paramref name="text"/> into one line.</summary>
    public static string OneLine(string text) =>
        string.Join(' ', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
