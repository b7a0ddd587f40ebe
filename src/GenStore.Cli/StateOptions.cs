using System.CommandLine;

namespace GenStore.Cli;

/// <summary>The global <c>--state</c> and <c>--root</c> options (DESIGN §9), shared by every command that touches the machine's state or its root.</summary>
/// <remarks>Both are recursive options of the root command, so they work before or after any subcommand. The
/// environment variables <c>GEN_STATE</c> and <c>GEN_ROOT</c> set their defaults, so tests and image builds can move
/// everything without repeating the options on every call.</remarks>
internal static class StateOptions
{
    /// <summary>The default state folder on a machine.</summary>
    public const string DefaultState = "/var/lib/gen";

    /// <summary>The default root that plans are applied under.</summary>
    public const string DefaultRoot = "/";

    /// <summary><c>--state DIR</c>: where gen keeps its store, database, mirror and lock.</summary>
    public static readonly Option<string> State = new("--state")
    {
        Description = "state folder: store, database, repo mirror, lock (env GEN_STATE)",
        HelpName = "DIR",
        Recursive = true,
        DefaultValueFactory = _ => FromEnvironment("GEN_STATE", DefaultState),
    };

    /// <summary><c>--root DIR</c>: the file system root that generations are applied under.</summary>
    public static readonly Option<string> Root = new("--root")
    {
        Description = "root the configuration is applied under (env GEN_ROOT)",
        HelpName = "DIR",
        Recursive = true,
        DefaultValueFactory = _ => FromEnvironment("GEN_ROOT", DefaultRoot),
    };

    /// <summary>Adds both options to the root command.</summary>
    public static void AddTo(RootCommand root)
    {
        root.Add(State);
        root.Add(Root);
    }

    /// <summary>The absolute state folder of this invocation.</summary>
    public static string StateFolder(ParseResult parse) => Path.GetFullPath(parse.GetValue(State)!);

    /// <summary>The absolute root folder of this invocation.</summary>
    public static string RootFolder(ParseResult parse) => Path.GetFullPath(parse.GetValue(Root)!);

    /// <summary>The store folder of this invocation: <c>STATE/store</c>.</summary>
    public static string StoreFolder(ParseResult parse) => Path.Combine(StateFolder(parse), "store");

    /// <summary>The switch lock file of this invocation: <c>STATE/lock</c>.</summary>
    public static string LockFile(ParseResult parse) => Path.Combine(StateFolder(parse), "lock");

    private static string FromEnvironment(string name, string fallback)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrEmpty(value) ? fallback : value;
    }
}
