using BenchmarkDotNet.Running;

namespace GenStore.Benchmarks;

/// <summary>Runs the BenchmarkDotNet suite; pass <c>--filter *Name*</c> to pick benchmarks.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
