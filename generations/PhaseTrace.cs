using System.Diagnostics;
using System.Globalization;

namespace GenStore.Generations;

/// <summary>Opt-in phase timer (<c>GEN_TRACE=1</c>): prints how long each phase of a switch took to stderr, to see where the time goes.</summary>
/// <remarks>Off by default and then nearly free (one static bool test per mark); never part of normal output.</remarks>
internal static class PhaseTrace
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("GEN_TRACE") == "1";
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private static TimeSpan _last;

    /// <summary>Prints the time since the previous mark (or since the process started, for the first one) under <paramref name="phase"/>.</summary>
    public static void Mark(string phase)
    {
        if (!Enabled)
        {
            return;
        }

        var now = Clock.Elapsed;
        if (_last == TimeSpan.Zero)
        {
            var sinceStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trace: {"process start -> first mark",-28} {sinceStart.TotalMilliseconds,8:F1} ms"));
        }
        else
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trace: {phase,-28} {(now - _last).TotalMilliseconds,8:F1} ms   (JIT so far: {System.Runtime.JitInfo.GetCompiledMethodCount()} methods, {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms)"));
        }

        _last = now == TimeSpan.Zero ? TimeSpan.FromTicks(1) : now;
    }
}
