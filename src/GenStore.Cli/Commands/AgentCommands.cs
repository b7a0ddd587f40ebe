using System.CommandLine;
using GenStore.Agent;
using GenStore.Generations;

namespace GenStore.Cli.Commands;

/// <summary>The fleet commands: agent, freeze and unfreeze (DESIGN §10, §11).</summary>
internal static class AgentCommands
{
    private static readonly Option<string?> Config = new("--config") { Description = "agent config file (env GEN_CONFIG; default /etc/gen/gen.conf)", HelpName = "PATH" };

    /// <summary>Adds the fleet commands to the root.</summary>
    public static void AddTo(RootCommand root)
    {
        var once = new Option<bool>("--once") { Description = "run one round and exit (for a systemd timer); without it, run every interval" };
        var host = new Option<string?>("--host") { Description = "host id (env GEN_HOST; overrides host_id)", HelpName = "ID" };
        var remote = new Option<string?>("--remote") { Description = "config repo URL (overrides remote)", HelpName = "URL" };
        var metrics = new Option<string?>("--metrics") { Description = "Prometheus textfile to write (overrides metrics_path)", HelpName = "PATH" };
        var wait = new Option<double?>("--wait") { Description = "give up after waiting this many seconds for another gen (default: wait)", HelpName = "SECONDS" };
        var agent = new Command("agent", "fetch, pick this host's track, verify the signature, switch, health-check (roll back on failure), write metrics")
        {
            Config, once, host, remote, metrics, wait,
        };
        agent.SetAction(parse =>
        {
            var run = AgentSetup.Create(new AgentOverrides(
                parse.GetValue(Config),
                Explicit(parse, StateOptions.State, "GEN_STATE") ? StateOptions.StateFolder(parse) : null,
                Explicit(parse, StateOptions.Root, "GEN_ROOT") ? StateOptions.RootFolder(parse) : null,
                StateOptions.StateFolder(parse),
                StateOptions.RootFolder(parse),
                parse.GetValue(host) ?? NonEmpty(Environment.GetEnvironmentVariable("GEN_HOST")),
                parse.GetValue(remote),
                parse.GetValue(metrics),
                parse.GetValue(wait)), line => Console.Error.WriteLine(line));
            return parse.GetValue(once) ? Report(run.RunOnce()) : Loop(run);
        });
        root.Add(agent);

        var reason = new Option<string?>("--reason") { Description = "why, shown in gen status", HelpName = "TEXT" };
        var freeze = new Command("freeze", "stop the agent from moving this host (persisted, shown in gen status)") { reason, Config, host };
        freeze.SetAction(parse =>
        {
            using var engine = Engine.Open(Options(parse, host));
            return Warn(HostControl.Freeze(engine, parse.GetValue(reason), HostControl.ConfigPath(parse.GetValue(Config))));
        });
        root.Add(freeze);

        var unfreeze = new Command("unfreeze", "let the agent move this host again") { Config, host };
        unfreeze.SetAction(parse =>
        {
            using var engine = Engine.Open(Options(parse, host));
            return Warn(HostControl.Unfreeze(engine, HostControl.ConfigPath(parse.GetValue(Config))));
        });
        root.Add(unfreeze);
    }

    /// <summary>Refreshes the metrics file after a manual switch or rollback, when gen.conf names one.</summary>
    public static void AfterSwitch(Engine engine) => Warn(HostControl.RefreshMetrics(engine, HostControl.ConfigPath(null)));

    private static int Report(AgentRun run)
    {
        Console.WriteLine($"{run.ResultName}: {run.Message}");
        return run.Result switch
        {
            AgentResult.HealthFailed => ExitCodes.HealthCheckFailed,
            AgentResult.FleetInvalid or AgentResult.Untrusted => ExitCodes.BadInput,
            AgentResult.FetchFailed or AgentResult.SwitchFailed => ExitCodes.Failed,
            _ => ExitCodes.Done,
        };
    }

    private static int Loop(Agent.Agent agent)
    {
        using var stop = new CancellationTokenSource();
        void Stop(System.Runtime.InteropServices.PosixSignalContext context)
        {
            // Finish the current round cleanly instead of dying in the middle of a switch.
            context.Cancel = true;
            stop.Cancel();
        }

        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
        agent.Run(stop.Token);
        return ExitCodes.Done;
    }

    private static int Warn(string? warning)
    {
        if (warning is not null)
        {
            Console.Error.WriteLine(warning);
        }

        return ExitCodes.Done;
    }

    private static EngineOptions Options(ParseResult parse, Option<string?> host)
    {
        return new EngineOptions(StateOptions.StateFolder(parse), StateOptions.RootFolder(parse))
        {
            HostId = HostControl.HostId(parse.GetValue(host), strict: false),
            Report = m => Console.Error.WriteLine(m),
        };
    }

    private static bool Explicit(ParseResult parse, Option<string> option, string variable) =>
        parse.GetResult(option) is { Implicit: false } || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable));

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
