using System.Globalization;
using System.Text;
using GenStore.Config;
using GenStore.Git;
using GenStore.Store;

namespace GenStore.Generations;

/// <summary>Remembers which journal a commit compiled to for a host, so that a switch to where the machine already is can answer without compiling.</summary>
/// <remarks>
/// <para>A journal is a function of the commit's tree, the host id and the compiler. The key holds all three; the
/// compiler is named by the module version ids of the assemblies that turn a tree into journal text, which a
/// deterministic build changes whenever their code changes. So after an upgrade the memo misses and the commit is
/// compiled again.</para>
/// <para>The file (<c>STATE/compile-memo</c>) is only a shortcut: a lost or torn file costs one compile, never a
/// wrong answer, because a line that does not parse is ignored and a hit is used only to say "already there" when
/// the current generation has exactly that journal.</para>
/// </remarks>
internal sealed class CompileMemo(string path)
{
    private const int MaxEntries = 64;

    internal static readonly string CompilerId = string.Join('+',
        new[] { typeof(ConfigCompiler), typeof(Journal.Journal), typeof(RepoCompiler) }
            .Select(t => t.Assembly.ManifestModule.ModuleVersionId.ToString("N", CultureInfo.InvariantCulture)));

    /// <summary>The journal id recorded for <paramref name="commit"/> compiled for <paramref name="host"/> by this compiler, if any.</summary>
    public ObjectId? Find(string commit, string host)
    {
        var key = Key(commit, host);
        foreach (var line in Read())
        {
            if (line.StartsWith(key, StringComparison.Ordinal) && ObjectId.TryParse(line.AsSpan(key.Length), out var id))
            {
                return id;
            }
        }

        return null;
    }

    /// <summary>Records that <paramref name="commit"/> compiled for <paramref name="host"/> gave <paramref name="journal"/>; keeps the newest entries.</summary>
    public void Remember(string commit, string host, ObjectId journal)
    {
        var key = Key(commit, host);
        var lines = Read().Where(l => !l.StartsWith(key, StringComparison.Ordinal)).TakeLast(MaxEntries - 1).Append(key + journal).ToList();

        // No fsync: a memo lost in a crash only costs a compile.
        DurableFile.Write(path, Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"), (UnixFileMode)0b110_100_100, sync: false);
    }

    private static string Key(string commit, string host) => $"{CompilerId} {host} {commit} ";

    private List<string> Read()
    {
        try
        {
            return [.. File.ReadAllLines(path)];
        }
        catch (FileNotFoundException)
        {
            return [];
        }
    }
}
