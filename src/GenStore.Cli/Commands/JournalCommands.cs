using System.CommandLine;

namespace GenStore.Cli.Commands;

/// <summary>The <c>gen journal</c> plumbing commands: check, fmt and diff of journal files.</summary>
internal static class JournalCommands
{
    public static Command Create()
    {
        var command = new Command("journal", "check, format and diff journal files");
        return command;
    }
}
