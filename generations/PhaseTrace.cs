using System.Diagnostics;
using System.Globalization;

namespace GenStore.Generations;

/// <summary>Opt-in phase timer (<c>GEN_TRACE=1</c>): prints how long each phase of a switch took to stderr, to see where the time goes.</summary>
/// <remarks>Off by default and then nearly free (one static bool test per mark); never part of normal output. Each line
/// gives the wall time and the process CPU time (all threads, user + system) of the phase, and the JIT work so far:
/// on a loaded machine the CPU column is the steadier one.</remarks>
internal static class PhaseTrace
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("GEN_TRACE") == "1";
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private static TimeSpan _last;
    private static TimeSpan _lastCpu;

    /// <summary>Prints the time since the previous mark (or since the process started, for the first one) under <paramref name="phase"/>.</summary>
    public static void Mark(string phase)
    {
        if (!Enabled)
        {
            return;
        }

        var now = Clock.Elapsed;
        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        if (_last == TimeSpan.Zero)
        {
            var sinceStart = DateTime.Now - self.StartTime;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trace: {"process start -> first mark",-28} {sinceStart.TotalMilliseconds,8:F1} ms wall {cpu.TotalMilliseconds,8:F1} ms cpu"));
        }
        else
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"trace: {phase,-28} {(now - _last).TotalMilliseconds,8:F1} ms wall {(cpu - _lastCpu).TotalMilliseconds,8:F1} ms cpu   (JIT so far: {System.Runtime.JitInfo.GetCompiledMethodCount()} methods, {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms)"));
        }

        _last = now == TimeSpan.Zero ? TimeSpan.FromTicks(1) : now;
        _lastCpu = cpu;
    }

    /// <summary>Prints <paramref name="detail"/> (made only when tracing) under the phase that is running.</summary>
    public static void Note(Func<string> detail)
    {
        if (Enabled)
        {
            Console.Error.WriteLine($"trace:   {detail()}");
        }
    }
}
