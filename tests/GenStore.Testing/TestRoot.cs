using System.Diagnostics;

namespace GenStore.Testing;

/// <summary>A temp machine for end-to-end tests: a root with the account files useradd --prefix needs, and a state folder.</summary>
/// <remarks>
/// ROOT/etc/{passwd,group,shadow,gshadow} get the host's lines for a few system accounts (root, daemon, www-data,
/// sudo, nogroup), so owners like root and www-data resolve the same way on every test machine. ROOT/srv, ROOT/opt
/// and ROOT/home exist and are not managed, as on a fresh Debian install.
/// </remarks>
public sealed class TestRoot : IDisposable
{
    private static readonly string[] SystemAccounts = ["root", "daemon", "www-data", "sudo", "nogroup"];
    private readonly TempDir? _dir;

    /// <summary>Creates the machine in a new temp folder.</summary>
    public TestRoot()
        : this(new TempDir("gen-machine"))
    {
    }

    /// <summary>Creates the machine inside <paramref name="folder"/>: FOLDER/root and FOLDER/state.</summary>
    public TestRoot(string folder)
        : this(folder, null)
    {
        Directory.CreateDirectory(State);
        foreach (var dir in new[] { "etc", "srv", "opt", "home" })
        {
            Directory.CreateDirectory(System.IO.Path.Combine(Root, dir));
        }

        foreach (var file in new[] { "passwd", "group", "shadow", "gshadow" })
        {
            var lines = File.Exists("/etc/" + file)
                ? File.ReadLines("/etc/" + file).Where(l => SystemAccounts.Contains(l.Split(':')[0])).ToList()
                : [];
            var path = System.IO.Path.Combine(Root, "etc", file);
            File.WriteAllText(path, lines.Count == 0 ? string.Empty : string.Join('\n', lines) + "\n");
            File.SetUnixFileMode(path, file.Contains("shadow", StringComparison.Ordinal)
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }

    private TestRoot(TempDir dir)
        : this(dir.Path)
    {
        _dir = dir;
    }

    private TestRoot(string folder, TempDir? dir)
    {
        _dir = dir;
        Folder = folder;
        Root = System.IO.Path.Combine(folder, "root");
        State = System.IO.Path.Combine(folder, "state");
    }

    /// <summary>The folder holding root and state.</summary>
    public string Folder { get; }

    /// <summary>The root the generations are applied under.</summary>
    public string Root { get; }

    /// <summary>The state folder (store, database, lock).</summary>
    public string State { get; }

    /// <summary>The host path of journal path <paramref name="path"/> ("/etc/motd").</summary>
    public string Host(string path) => System.IO.Path.Combine(Root, path.TrimStart('/'));

    /// <summary>The users named in ROOT/etc/passwd.</summary>
    public IReadOnlyList<string> Users() => Names("passwd");

    /// <summary>The groups named in ROOT/etc/group.</summary>
    public IReadOnlyList<string> Groups() => Names("group");

    /// <summary>A snapshot of the root (account files left out unless <paramref name="accounts"/>).</summary>
    public TreeSnapshot Snapshot(bool accounts = false) => TreeSnapshot.Take(Root, accounts);

    /// <summary>Copies this machine (root and state, with modes, owners and links) into <paramref name="folder"/> with <c>cp -a</c>.</summary>
    public TestRoot CopyTo(string folder)
    {
        Directory.CreateDirectory(folder);
        CopyTree(Root, System.IO.Path.Combine(folder, "root"));
        CopyTree(State, System.IO.Path.Combine(folder, "state"));
        return Open(folder);
    }

    /// <summary>A machine that already exists in <paramref name="folder"/>, without touching it.</summary>
    public static TestRoot Open(string folder) => new(folder, null);

    /// <summary>Copies <paramref name="from"/> to <paramref name="to"/> with <c>cp -a</c> (modes, owners, links, timestamps).</summary>
    public static void CopyTree(string from, string to)
    {
        var start = new ProcessStartInfo("cp") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in new[] { "-a", "--", from, to })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"cp -a {from} {to} failed: {stderr}");
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _dir?.Dispose();

    private List<string> Names(string file) =>
        [.. File.ReadLines(System.IO.Path.Combine(Root, "etc", file)).Where(l => l.Contains(':', StringComparison.Ordinal)).Select(l => l.Split(':')[0])];
}
