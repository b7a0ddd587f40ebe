using GenStore.Generations;
using GenStore.Testing;

namespace GenStore.Cli.Tests;

/// <summary>Runs <c>gen</c> against a <see cref="TestRoot"/> (its --state and --root), and opens its engine in-process for checks.</summary>
internal static class GenMachine
{
    /// <summary>Runs <c>gen --state STATE --root ROOT args…</c>.</summary>
    public static GenResult Gen(this TestRoot machine, params string[] args) => machine.GenWith(null, args);

    /// <summary>Runs gen with extra environment variables.</summary>
    public static GenResult GenWith(this TestRoot machine, IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        GenRunner.Run(["--state", machine.State, "--root", machine.Root, .. args], environment: environment);

    /// <summary>Opens the machine's engine in this process (for checks: verify, backups, the database).</summary>
    public static Engine Engine(this TestRoot machine, string? repo = null) =>
        Generations.Engine.Open(new EngineOptions(machine.State, machine.Root) { Repo = repo, HostId = "test-host", LockWaitSeconds = 30 });

    /// <summary>Fails with the run's output unless it ended with <paramref name="code"/>.</summary>
    public static GenResult Expect(this GenResult result, int code)
    {
        Assert.True(result.ExitCode == code, $"expected exit {code}, got {result}");
        return result;
    }
}
