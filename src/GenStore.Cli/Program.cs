using System.CommandLine;
using System.CommandLine.Parsing;
using GenStore.Cli.Commands;

namespace GenStore.Cli;

/// <summary>The entry point of <c>gen</c>: builds the command tree and maps every failure to one documented exit code.</summary>
public static class Program
{
    /// <summary>Runs one command line and returns its exit code.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("gen: numbered generations, instant rollback and a record of what a Debian machine runs, from a git repository.");
        StateOptions.AddTo(root);
        root.Add(HashCommand.Create());
        root.Add(StoreCommands.Create());
        root.Add(JournalCommands.Create());
        CompileCommands.AddTo(root);
        GenerationCommands.AddTo(root);
        AgentCommands.AddTo(root);

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line per problem and exit 2, like every other bad input; --help has the long story.
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"gen: {error.Message.TrimEnd('.')}; see '{string.Join(' ', CommandPath(parse))} --help'");
            }

            return ExitCodes.BadInput;
        }

        try
        {
            // The default handler would print a stack trace; every failure goes through ExitCodes instead.
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return ExitCodes.Report(e, Console.Error);
        }
    }

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (CommandResult? result = parse.CommandResult; result is not null; result = result.Parent as CommandResult)
        {
            names.Insert(0, result.Parent is null ? "gen" : result.Command.Name);
        }

        return names;
    }
}
