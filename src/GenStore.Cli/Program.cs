using System.CommandLine;
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

        var parse = root.Parse(args);
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
}
