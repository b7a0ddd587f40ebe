using System.CommandLine;
using GenStore.Agent;
using GenStore.Git;

namespace GenStore.Cli.Commands;

/// <summary>The <c>gen compile</c> and <c>gen explain</c> commands: the config repo at a revision, as a journal with its source map.</summary>
internal static class CompileCommands
{
    /// <summary>Adds <c>compile</c> and <c>explain</c> to the root: two top-level commands, so one call registers both.</summary>
    public static void AddTo(RootCommand root)
    {
        var compile = new Command("compile", "print the journal a revision of the config repo compiles to, with the .gen line of every step");
        var revision = new Argument<string>("REV") { Description = "branch, tag, commit hash or expression such as HEAD~2", DefaultValueFactory = _ => "HEAD" };
        var repo = new Option<string?>("--repo") { Description = "the config repo (default: STATE/repo.git if it exists, else the current folder's repo)", HelpName = "PATH" };
        var host = new Option<string?>("--host") { Description = "host id to compile for (env GEN_HOST; default: host_id in gen.conf, else this machine's host name)", HelpName = "ID" };
        compile.Add(revision);
        compile.Add(repo);
        compile.Add(host);
        compile.SetAction(parse => RepoCompiler.PrintCompile(
            new CompileRequest(parse.GetValue(revision)!, parse.GetValue(repo), HostControl.HostId(parse.GetValue(host), strict: true), StateOptions.StateFolder(parse)),
            Console.Out,
            Console.Error));

        var explain = new Command("explain", "say which .gen line(s) produced the step for a path (or user:NAME, group:NAME, on_change:NAME)");
        var what = new Argument<string>("PATH") { Description = "an absolute path on the machine, or user:NAME, group:NAME, on_change:NAME" };
        var explainRevision = new Argument<string>("REV") { Description = "revision to compile (default HEAD)", DefaultValueFactory = _ => "HEAD" };
        var explainRepo = new Option<string?>("--repo") { Description = repo.Description, HelpName = "PATH" };
        var explainHost = new Option<string?>("--host") { Description = host.Description, HelpName = "ID" };
        explain.Add(what);
        explain.Add(explainRevision);
        explain.Add(explainRepo);
        explain.Add(explainHost);
        explain.SetAction(parse => RepoCompiler.PrintExplain(
            new CompileRequest(parse.GetValue(explainRevision)!, parse.GetValue(explainRepo), HostControl.HostId(parse.GetValue(explainHost), strict: true), StateOptions.StateFolder(parse)),
            parse.GetValue(what)!,
            Console.Out,
            Console.Error));

        root.Add(compile);
        root.Add(explain);
    }
}
