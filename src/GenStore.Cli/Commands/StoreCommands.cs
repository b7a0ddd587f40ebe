using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using GenStore.Store;
using ContentStore = GenStore.Store.Store;

namespace GenStore.Cli.Commands;

/// <summary>The <c>gen store</c> plumbing commands over the content-addressed store in <c>STATE/store</c>.</summary>
internal static class StoreCommands
{
    public static Command Create()
    {
        var command = new Command("store", "inspect and check the content-addressed store");
        command.Add(Verify());
        command.Add(Add());
        command.Add(Cat());
        return command;
    }

    private static Command Verify()
    {
        var json = new Option<bool>("--json") { Description = "print the result as one JSON object" };
        var command = new Command("verify", "re-hash every object; print the corrupt ones, one id per line; exit 5 if there are any") { json };
        command.SetAction(parse =>
        {
            var result = ContentStore.Open(StateOptions.StoreFolder(parse), create: false).Verify();
            if (parse.GetValue(json))
            {
                var report = new JsonObject
                {
                    ["checked"] = result.Checked,
                    ["bytes"] = result.Bytes,
                    ["corrupt"] = new JsonArray([.. result.Corrupt.Select(id => (JsonNode)id.ToString())]),
                    ["strays"] = new JsonArray([.. result.Strays.Select(path => (JsonNode)path)]),
                    ["staleTemps"] = result.StaleTemps,
                };
                Console.Out.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return result.IsClean ? ExitCodes.Done : ExitCodes.CorruptStore;
            }

            foreach (var id in result.Corrupt)
            {
                Console.Out.WriteLine(id);
            }

            foreach (var stray in result.Strays)
            {
                Console.Error.WriteLine($"gen: warning: {stray} is not a store object; move it out of the store");
            }

            if (result.StaleTemps > 0)
            {
                Console.Error.WriteLine($"gen: warning: {result.StaleTemps} temp files older than an hour in the store's tmp/ folder were left by a gen that died; they are safe to delete");
            }

            if (result.IsClean)
            {
                Console.Error.WriteLine($"gen: {result.Checked} store objects ({result.Bytes} bytes) are intact");
                return ExitCodes.Done;
            }

            Console.Error.WriteLine($"gen: {result.Corrupt.Count} of {result.Checked} store objects are corrupt; delete them and add their content again from the config repo or a backup");
            return ExitCodes.CorruptStore;
        });
        return command;
    }

    private static Command Add()
    {
        var files = new Argument<string[]>("FILE") { Description = "files to store (symlinks are refused)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("add", "store files and print their ids, one per line in argument order") { files };
        command.SetAction(parse =>
        {
            foreach (var id in ContentStore.Open(StateOptions.StoreFolder(parse)).AddFiles(parse.GetValue(files)!))
            {
                Console.Out.WriteLine(id);
            }

            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Cat()
    {
        var idArgument = new Argument<string>("ID") { Description = "object id: b3: and 64 hex digits" };
        var command = new Command("cat", "write an object's content to standard output, verified before any byte is written") { idArgument };
        command.SetAction(parse =>
        {
            var text = parse.GetValue(idArgument)!;
            if (!ObjectId.TryParse(text, out var id))
            {
                throw new InputException($"'{text}' is not an object id; give b3: followed by 64 hex digits");
            }

            using var stdout = Console.OpenStandardOutput();
            ContentStore.Open(StateOptions.StoreFolder(parse), create: false).CopyTo(id, stdout, verifyFirst: true);
            return ExitCodes.Done;
        });
        return command;
    }
}
