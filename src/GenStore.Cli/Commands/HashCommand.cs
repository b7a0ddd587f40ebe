using System.CommandLine;
using GenStore.Store;

namespace GenStore.Cli.Commands;

/// <summary>The <c>gen hash</c> command: BLAKE3 of files, printed exactly as b3sum prints them.</summary>
internal static class HashCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("FILE") { Description = "files to hash; - reads standard input", Arity = ArgumentArity.OneOrMore };
        var threads = new Option<int>("--threads") { Description = "threads to hash one large file with (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };
        threads.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--threads must be at least 1");
            }
        });
        var command = new Command("hash", "print the BLAKE3 digest of each file, in b3sum's format") { files, threads };
        command.SetAction(parse =>
            FileHasher.HashAll(parse.GetValue(files)!, parse.GetValue(threads), Console.Out, Console.Error));
        return command;
    }
}
