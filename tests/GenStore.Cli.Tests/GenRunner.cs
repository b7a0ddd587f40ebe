using System.Diagnostics;

namespace GenStore.Cli.Tests;

/// <summary>What one run of <c>gen</c> did: its exit code and everything it printed.</summary>
public sealed record GenResult(int ExitCode, string StdOut, string StdErr)
{
    /// <inheritdoc/>
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}--- stderr\n{StdErr}";
}

/// <summary>Runs the built <c>gen.dll</c> as a real process, the way a user or a script would.</summary>
public static class GenRunner
{
    private static readonly Lazy<string> GenDllLazy = new(FindGenDll);

    /// <summary>How long one run may take before it is killed and the test fails.</summary>
    public static TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The gen.dll the tests run: the one copied next to the test assembly.</summary>
    public static string GenDll => GenDllLazy.Value;

    /// <summary>Runs <c>gen</c> with <paramref name="args"/>, feeding <paramref name="stdin"/> (or nothing), with extra
    /// <paramref name="environment"/> variables (a null value removes one), in <paramref name="workingDirectory"/>.</summary>
    public static GenResult Run(IReadOnlyList<string> args, byte[]? stdin = null, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        info.ArgumentList.Add(GenDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Output must not depend on the terminal or on whoever runs the tests.
        info.Environment["NO_COLOR"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.BaseStream.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gen {string.Join(' ', args)} did not finish within {Timeout}");
        }

        return new GenResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    private static string FindGenDll()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "gen.dll");
        if (File.Exists(beside) && File.Exists(Path.Combine(AppContext.BaseDirectory, "gen.runtimeconfig.json")))
        {
            return beside;
        }

        // With artifacts output the CLI's own folder is a sibling: bin/GenStore.Cli.Tests/<config> -> bin/GenStore.Cli/<config>.
        var config = Path.GetFileName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var sibling = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "GenStore.Cli", config, "gen.dll"));
        return File.Exists(sibling) ? sibling : throw new FileNotFoundException($"gen.dll is neither beside the tests nor at {sibling}; build src/GenStore.Cli");
    }
}
