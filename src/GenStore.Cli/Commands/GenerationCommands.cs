using System.CommandLine;
using GenStore.Agent;
using GenStore.Generations;

namespace GenStore.Cli.Commands;

/// <summary>The commands that move a machine between generations and report on them: init, fetch, switch, rollback, plan, list, diff, status, verify, gc, pin, backups, recover.</summary>
internal static class GenerationCommands
{
    private static readonly Option<string?> Host = new("--host") { Description = "host id (env GEN_HOST; default: host_id in gen.conf, else this machine's host name)", HelpName = "ID" };
    private static readonly Option<string?> Repo = new("--repo") { Description = "read this config repo instead of STATE/repo.git", HelpName = "PATH" };
    private static readonly Option<double?> Wait = new("--wait") { Description = "give up after waiting this many seconds for another gen (default: wait)", HelpName = "SECONDS" };
    private static readonly Option<bool> NoTriggers = new("--no-triggers") { Description = "do not run on_change triggers" };

    /// <summary>Adds the generation commands and their shared options to the root.</summary>
    public static void AddTo(RootCommand root)
    {
        var remote = new Argument<string>("REMOTE") { Description = "the config repo: a path or a URL git can clone" };
        root.Add(Make("init", "create the state folder and mirror the config repo", [remote], (parse, engine) =>
        {
            engine.Init(parse.GetValue(remote)!);
            Console.WriteLine($"mirrored {parse.GetValue(remote)} into {engine.MirrorPath}");
            return ExitCodes.Done;
        }));

        root.Add(Make("fetch", "update the mirror of the config repo (git CLI: the host's ssh config applies)", [], (_, engine) =>
        {
            engine.Fetch();
            return ExitCodes.Done;
        }));

        var target = new Argument<string>("TARGET") { Description = "a revision (branch, tag, hash, HEAD~2) or gen-N" };
        var force = new Option<bool>("--force") { Description = "back drifted paths up and overwrite them instead of stopping" };
        root.Add(Make("switch", "apply a revision or generation: only the difference to the current one", [target, force], (parse, engine) =>
            Views.Switch(engine.Switch(parse.GetValue(target)!, parse.GetValue(force)))));

        var back = new Argument<int>("N") { Description = "how many generations back (default 1)", DefaultValueFactory = _ => 1 };
        root.Add(Make("rollback", "switch to the previous (or N-th previous) generation; needs no git and no network", [back, force], (parse, engine) =>
            Views.Switch(engine.Rollback(parse.GetValue(back), parse.GetValue(force)))));

        var json = new Option<bool>("--json") { Description = "print JSON" };
        root.Add(Make("plan", "show what a switch would do, with source lines; touches nothing", [target, json], (parse, engine) =>
            Views.Plan(engine.Preview(parse.GetValue(target)!), parse.GetValue(json))));

        root.Add(Make("list", "list generations, newest first; * marks the current one", [json], (parse, engine) =>
            Views.List(engine.List(), parse.GetValue(json))));

        var from = new Argument<string>("A") { Description = "a revision or gen-N" };
        var to = new Argument<string>("B") { Description = "a revision or gen-N" };
        root.Add(Make("diff", "the step diff between two generations or revisions", [from, to, json], (parse, engine) =>
            Views.Diff(engine, parse.GetValue(from)!, parse.GetValue(to)!, parse.GetValue(json))));

        root.Add(Make("status", "current generation and commit, behind?, drift, last error", [json], (parse, engine) =>
            Views.Status(engine.Status(), parse.GetValue(json))));

        var full = new Option<bool>("--full") { Description = "rehash every file instead of trusting the stat cache" };
        var repair = new Option<bool>("--repair") { Description = "back drifted paths up, then restore the current generation's state" };
        root.Add(Make("verify", "check that managed paths still match the current generation (exit 3 on drift)", [full, repair, json], (parse, engine) =>
            Views.Verify(engine.Verify(parse.GetValue(full), parse.GetValue(repair)), parse.GetValue(json))));

        var keep = new Option<int?>("--keep") { Description = "keep the N newest generations", HelpName = "N" };
        var olderThan = new Option<string?>("--older-than") { Description = "delete only generations older than this (e.g. 30d, 12h)", HelpName = "AGE" };
        var dryRun = new Option<bool>("--dry-run") { Description = "say what would be deleted, delete nothing" };
        root.Add(Make("gc", "delete old generations and the store objects only they used", [keep, olderThan, dryRun, json], (parse, engine) =>
            Views.Gc(engine.Gc(new GcRules(parse.GetValue(keep), Views.ParseAge(parse.GetValue(olderThan))), parse.GetValue(dryRun)), parse.GetValue(json))));

        var generation = new Argument<string>("GENERATION") { Description = "gen-N or N" };
        root.Add(Make("pin", "exempt a generation from gc", [generation], (parse, engine) =>
        {
            engine.Pin(Views.ParseGeneration(parse.GetValue(generation)!));
            return ExitCodes.Done;
        }));
        root.Add(Make("unpin", "make a pinned generation subject to gc again", [generation], (parse, engine) =>
        {
            engine.Unpin(Views.ParseGeneration(parse.GetValue(generation)!));
            return ExitCodes.Done;
        }));

        root.Add(Make("backups", "list content gen backed up before overwriting or removing it", [json], (parse, engine) =>
            Views.Backups(engine.Backups(), parse.GetValue(json))));

        var keepSandbox = new Option<bool>("--keep") { Description = "keep the sandbox folder to look around in" };
        var demo = new Command("demo", "build a config repo from the examples in a temp folder and walk a sandbox root through switch, drift, rollback and gc") { keepSandbox };
        demo.SetAction(parse => Demo.Run(Console.Out, parse.GetValue(keepSandbox)));
        root.Add(demo);

        var rollback = new Option<bool>("--rollback") { Description = "undo the interrupted switch instead of finishing it" };
        root.Add(Make("recover", "finish (or undo) a switch that was interrupted", [rollback], (parse, engine) =>
        {
            var recovered = engine.Recover(parse.GetValue(rollback));
            Console.WriteLine(recovered ? "recovered the interrupted switch" : "no interrupted switch");
            return ExitCodes.Done;
        }));
    }

    private static Command Make(string name, string description, Symbol[] symbols, Func<ParseResult, Engine, int> run)
    {
        // Every generation command takes the same machine options; each command owns its copy so that
        // compile's own --host and --repo do not clash with them.
        var command = new Command(name, description) { Host, Repo, Wait, NoTriggers };
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument a:
                    command.Add(a);
                    break;
                case Option o:
                    command.Add(o);
                    break;
            }
        }

        command.SetAction(parse =>
        {
            // Commands that compile a revision must know the host id; the others keep working with a broken gen.conf.
            using var engine = Engine.Open(Options(parse, strictHost: name is "switch" or "plan" or "diff"));
            try
            {
                return run(parse, engine);
            }
            finally
            {
                if (name is "switch" or "rollback")
                {
                    // Metrics follow every switch, the agent's or an operator's (DESIGN §12).
                    AgentCommands.AfterSwitch(engine);
                }
            }
        });
        return command;
    }

    private static EngineOptions Options(ParseResult parse, bool strictHost) =>
        new(StateOptions.StateFolder(parse), StateOptions.RootFolder(parse))
        {
            HostId = HostControl.HostId(parse.GetValue(Host), strictHost),
            Repo = parse.GetValue(Repo) is { } repo ? Path.GetFullPath(repo) : null,
            LockWaitSeconds = parse.GetValue(Wait),
            RunTriggers = !parse.GetValue(NoTriggers),
            Report = message => Console.Error.WriteLine(message),
        };
}
