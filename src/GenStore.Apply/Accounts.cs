using System.Diagnostics;
using GenStore.Journal;
using GenStore.Store;

namespace GenStore.Apply;

/// <summary>The user and group database of a root: read from ROOT/etc/passwd and ROOT/etc/group, changed only through the shadow tools.</summary>
/// <remarks>
/// Names in a journal resolve against the root's own account files, never the host's: an image built
/// under a temp root may give 'deploy' another uid than the build machine does.
/// </remarks>
public sealed class Accounts
{
    private readonly string _root;

    // Parsed account files, dropped whenever a shadow tool changes them: a deploy resolves thousands of owners.
    private readonly Dictionary<string, Dictionary<string, int>> _tables = new(StringComparer.Ordinal);

    /// <summary>The accounts of the filesystem tree at <paramref name="root"/> (<c>/</c> for the running system).</summary>
    /// <param name="root">The root whose etc/passwd and etc/group are used.</param>
    /// <param name="rootless">True when gen runs without root (a demo or a trial in a home folder): accounts are not
    /// created and every owner resolves to the calling user, because only root may create accounts or give files away.</param>
    public Accounts(string root, bool rootless = false)
    {
        _root = Path.GetFullPath(root);
        Rootless = rootless;
    }

    /// <summary>True when accounts are left alone and every owner is the calling user.</summary>
    public bool Rootless { get; }

    private bool IsHostRoot => _root == "/";

    /// <summary>The uid of <paramref name="name"/> (a name or a number), or null when the root has no such user.</summary>
    public int? Uid(string name) => Rootless ? (int)Posix.EffectiveIds().Uid : int.TryParse(name, out var n) ? n : Lookup("passwd", name);

    /// <summary>The gid of <paramref name="name"/> (a name or a number), or null when the root has no such group.</summary>
    public int? Gid(string name) => Rootless ? (int)Posix.EffectiveIds().Gid : int.TryParse(name, out var n) ? n : Lookup("group", name);

    /// <summary>Whether the root has a user called <paramref name="name"/>.</summary>
    public bool UserExists(string name) => Lookup("passwd", name) is not null;

    /// <summary>Whether the root has a group called <paramref name="name"/>.</summary>
    public bool GroupExists(string name) => Lookup("group", name) is not null;

    /// <summary>All user names of the root.</summary>
    public IReadOnlySet<string> UserNames() => Names("passwd");

    /// <summary>All group names of the root.</summary>
    public IReadOnlySet<string> GroupNames() => Names("group");

    /// <summary>Creates the group with <c>groupadd</c>.</summary>
    public void AddGroup(GroupStep group)
    {
        var args = new List<string>();
        if (group.Gid is { } gid)
        {
            args.AddRange(["--gid", gid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        args.Add(group.Name);
        Run("groupadd", args, group);
    }

    /// <summary>Changes an existing group's gid with <c>groupmod</c>.</summary>
    public void ModifyGroup(GroupStep group)
    {
        if (group.Gid is { } gid)
        {
            Run("groupmod", ["--gid", gid.ToString(System.Globalization.CultureInfo.InvariantCulture), group.Name], group);
        }
    }

    /// <summary>Deletes a group gen created, with <c>groupdel</c>.</summary>
    public void DeleteGroup(GroupStep group) => Run("groupdel", [group.Name], group);

    /// <summary>Creates the user with <c>useradd</c>; its home folder is made only when the step names one.</summary>
    public void AddUser(UserStep user) => Run("useradd", [.. UserArgs(user, creating: true), user.Name], user);

    /// <summary>Brings an existing user to the step's attributes with <c>usermod</c>.</summary>
    public void ModifyUser(UserStep user)
    {
        var args = UserArgs(user, creating: false);

        // usermod --prefix (shadow 4.13) looks the --gid group up in the host's group file, not the root's, and fails
        // with "group 'x' does not exist"; so uid and primary group are passed only when they really change.
        var current = Entries("passwd").FirstOrDefault(f => f.Length > 3 && f[0] == user.Name);
        if (current is not null)
        {
            DropIfUnchanged(args, "--uid", user.Uid?.ToString(System.Globalization.CultureInfo.InvariantCulture), current[2]);
            DropIfUnchanged(args, "--gid", user.PrimaryGroup is { } g ? Gid(g)?.ToString(System.Globalization.CultureInfo.InvariantCulture) : null, current[3]);
        }

        if (args.Count > 0)
        {
            Run("usermod", [.. args, user.Name], user);
        }
    }

    /// <summary>Deletes a user gen created, with <c>userdel</c>; the home folder is kept, since it may hold data.</summary>
    public void DeleteUser(UserStep user) => Run("userdel", [user.Name], user);

    private static void DropIfUnchanged(List<string> args, string option, string? wanted, string current)
    {
        var at = args.IndexOf(option);
        if (at >= 0 && wanted == current)
        {
            args.RemoveRange(at, 2);
        }
    }

    private static List<string> UserArgs(UserStep user, bool creating)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var args = new List<string>();
        if (user.Uid is { } uid)
        {
            args.AddRange(["--uid", uid.ToString(inv)]);
        }

        if (user.PrimaryGroup is { } group)
        {
            args.AddRange(["--gid", group]);
        }
        else if (creating)
        {
            // Debian's default is a group named after the user; say so rather than depend on login.defs.
            args.Add("--user-group");
        }

        if (user.Groups.Count > 0)
        {
            args.AddRange(["--groups", string.Join(',', user.Groups)]);
        }

        if (user.Home is { } home)
        {
            args.AddRange(["--home-dir", home]);
            if (creating)
            {
                args.Add("--create-home");
            }
        }

        if (user.Shell is { } shell)
        {
            args.AddRange(["--shell", shell]);
        }

        return args;
    }

    private void Run(string tool, IReadOnlyList<string> args, Step step)
    {
        if (Rootless)
        {
            return;
        }

        if (!IsHostRoot && !File.Exists(Path.Combine(_root, "etc", "passwd")))
        {
            throw new StepFailedException(step.Identity, step.Source, $"{_root}/etc/passwd does not exist; {tool} --prefix needs the root's account files");
        }

        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (!IsHostRoot)
        {
            psi.ArgumentList.Add("--prefix");
            psi.ArgumentList.Add(_root);
        }

        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        _tables.Clear();
        using var process = Process.Start(psi) ?? throw new StepFailedException(step.Identity, step.Source, $"cannot start {tool}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        _ = stdout.Result;
        if (process.ExitCode != 0)
        {
            var why = stderr.Trim().ReplaceLineEndings(" ");
            throw new StepFailedException(step.Identity, step.Source, $"{tool} exited with {process.ExitCode}: {why}");
        }
    }

    private int? Lookup(string file, string name) => Table(file).TryGetValue(name, out var id) ? id : null;

    private Dictionary<string, int> Table(string file)
    {
        if (!_tables.TryGetValue(file, out var table))
        {
            table = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var fields in Entries(file))
            {
                if (fields.Length > 2 && int.TryParse(fields[2], out var id))
                {
                    table.TryAdd(fields[0], id);
                }
            }

            _tables[file] = table;
        }

        return table;
    }

    private HashSet<string> Names(string file) => Table(file).Keys.ToHashSet(StringComparer.Ordinal);

    private IEnumerable<string[]> Entries(string file)
    {
        var path = Path.Combine(_root, "etc", file);
        if (!File.Exists(path))
        {
            yield break;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.Length > 0 && line[0] != '#')
            {
                yield return line.Split(':');
            }
        }
    }
}
