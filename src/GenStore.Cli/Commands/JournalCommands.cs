using System.CommandLine;
using GenStore.Journal;
using ContentStore = GenStore.Store.Store;

namespace GenStore.Cli.Commands;

/// <summary>The <c>gen journal</c> plumbing commands: check, fmt and diff of journal files.</summary>
internal static class JournalCommands
{
    public static Command Create()
    {
        var command = new Command("journal", "check, format and diff journal files");
        command.Add(Check());
        command.Add(Format());
        command.Add(Diff());
        return command;
    }

    private static Command Check()
    {
        var file = new Argument<string>("FILE") { Description = "the journal to check (INCLUDEs are followed)" };
        var system = new Option<bool>("--system") { Description = "also accept directories present under --root and accounts of ROOT/etc/passwd and ROOT/etc/group" };
        var payloads = new Option<bool>("--payloads") { Description = "also check that every COPY payload is in the store under --state" };
        var command = new Command("check", "run the static checks; print every problem, one per line; exit 2 if there are any") { file, system, payloads };
        command.SetAction(parse =>
        {
            var options = new CheckOptions
            {
                Root = parse.GetValue(system) ? StateOptions.RootFolder(parse) : null,
                PayloadExists = parse.GetValue(payloads) ? ContentStore.Open(StateOptions.StoreFolder(parse), create: false).Contains : null,
            };
            return JournalTool.Check(parse.GetValue(file)!, options, Console.Out, Console.Error) == 0 ? ExitCodes.Done : ExitCodes.BadInput;
        });
        return command;
    }

    private static Command Format()
    {
        var file = new Argument<string>("FILE") { Description = "the journal to format" };
        var command = new Command("fmt", "print the canonical form of a journal file; exit 2 on syntax problems") { file };
        command.SetAction(parse =>
            JournalTool.Format(parse.GetValue(file)!, Console.Out, Console.Error) == 0 ? ExitCodes.Done : ExitCodes.BadInput);
        return command;
    }

    private static Command Diff()
    {
        var oldFile = new Argument<string>("OLD") { Description = "the journal the machine is on" };
        var newFile = new Argument<string>("NEW") { Description = "the journal to go to" };
        var json = new Option<bool>("--json") { Description = "print the plan as JSON" };
        var command = new Command("diff", "print the plan that takes a machine from OLD to NEW: + do, - undo, ~ change") { oldFile, newFile, json };
        command.SetAction(parse =>
        {
            JournalTool.Diff(parse.GetValue(oldFile)!, parse.GetValue(newFile)!, parse.GetValue(json), Console.Out);
            return ExitCodes.Done;
        });
        return command;
    }
}
