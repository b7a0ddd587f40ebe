using System.CommandLine;

namespace GenStore.Cli.Commands;

/// <summary>The <c>gen store</c> plumbing commands over the content-addressed store.</summary>
internal static class StoreCommands
{
    public static Command Create()
    {
        var command = new Command("store", "inspect and check the content-addressed store");
        return command;
    }
}
