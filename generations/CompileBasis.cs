using System.Text;
using GenStore.Store;

namespace GenStore.Generations;

/// <summary>What the compile of the current generation depended on besides its payloads (<c>STATE/compile-basis</c>), so that the next switch can derive its journal when only copied files changed.</summary>
/// <remarks>
/// <para>Two files. <c>compile-basis</c> is a few lines: the compiler, host, commit and journal it describes and the
/// BLAKE3 of the second file. <c>compile-basis.sources</c> lists the repo files the evaluation read (<c>r</c> lines) and,
/// for each COPY step that copies a repo file as it is, that file (<c>c</c> lines) — about 1.4 MB for 20,000 files. A
/// derived compile has the same sources, so it rewrites only the first file; and a switch reads only the <c>c</c>
/// lines of the files that changed (see <see cref="Config.ConfigCompiler.Recompile"/>).</para>
/// <para>Used only when its commit and journal are the current generation's, compiled by this very compiler for this
/// host. Only a shortcut, like the compile memo: written without fsync, and a missing, torn or foreign file (a line that
/// does not parse, a digest that does not match, another compiler) means a full compile, never a wrong journal. Paths
/// holding a tab or a line break cannot be written in this format; a compile with one records no basis.</para>
/// </remarks>
internal sealed record CompileBasis(string CompilerId, string Host, string Commit, ObjectId Journal, ObjectId SourcesDigest)
{
    private const string Magic = "gen-compile-basis 2";

    /// <summary>Reads the basis at <paramref name="path"/> (its first file); null when there is none or it does not parse.</summary>
    public static CompileBasis? Load(string path)
    {
        // Six lines, each ending in '\n' (WriteHeader): seven pieces, the last one empty.
        var lines = DurableFile.TryReadAll(path) is { } bytes ? Encoding.UTF8.GetString(bytes).Split('\n') : [];
        return lines.Length == 7 && lines[6].Length == 0 && lines[0] == Magic && ObjectId.TryParse(lines[4], out var journal) && ObjectId.TryParse(lines[5], out var digest)
            ? new CompileBasis(lines[1], lines[2], lines[3], journal, digest)
            : null;
    }

    /// <summary>The sources file of this basis; null when it is missing or is not the one this basis names.</summary>
    public BasisSources? LoadSources(string path) =>
        DurableFile.TryReadAll(SourcesPath(path)) is { } bytes && Blake3.Hash(bytes) == SourcesDigest ? BasisSources.Parse(bytes) : null;

    /// <summary>Records a full compile: both files. Never throws for a file system error (it runs after a switch's commit point).</summary>
    public static void Save(string path, string compilerId, string host, string commit, ObjectId journal, IReadOnlySet<string> readPaths, IReadOnlyDictionary<string, string> copiedFiles)
    {
        var fields = readPaths.Concat(copiedFiles.Keys).Concat(copiedFiles.Values).Append(host).Append(commit);
        var text = new StringBuilder();
        foreach (var file in readPaths.Order(StringComparer.Ordinal))
        {
            text.Append("r\t").Append(file).Append('\n');
        }

        foreach (var (journalPath, repoFile) in copiedFiles)
        {
            text.Append("c\t").Append(journalPath).Append('\t').Append(repoFile).Append('\n');
        }

        Write(() =>
        {
            if (fields.Any(f => f.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0))
            {
                File.Delete(path);
                return;
            }

            var sources = Encoding.UTF8.GetBytes(text.ToString());

            // The sources first: the first file names them by digest, so a crash between the two leaves a basis
            // that does not match its sources (unused), never one that matches the wrong ones.
            DurableFile.Write(SourcesPath(path), sources, Mode, sync: false);
            new CompileBasis(compilerId, host, commit, journal, Blake3.Hash(sources)).WriteHeader(path);
        });
    }

    /// <summary>Records a compile derived from this basis: same sources, new commit and journal. Never throws for a file system error.</summary>
    public void SaveDerived(string path, string commit, ObjectId journal) =>
        Write(() => (this with { Commit = commit, Journal = journal }).WriteHeader(path));

    private const UnixFileMode Mode = (UnixFileMode)0b110_100_000;

    private static string SourcesPath(string path) => path + ".sources";

    private void WriteHeader(string path)
    {
        // No fsync: a basis lost in a crash only costs a full compile.
        var text = $"{Magic}\n{CompilerId}\n{Host}\n{Commit}\n{Journal}\n{SourcesDigest}\n";
        DurableFile.Write(path, Encoding.UTF8.GetBytes(text), Mode, sync: false);
    }

    private static void Write(Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The basis left behind (if any) names an older commit or other sources, so it is not used, and the next
            // switch compiles in full. Failing here would fail a switch that has already committed.
        }
    }
}

/// <summary>The sources file of a <see cref="CompileBasis"/>: the repo files the evaluation read, and which repo file each COPY step copies (looked up only for the files asked about).</summary>
internal sealed class BasisSources
{
    private readonly byte[] _bytes;
    private readonly List<(int Start, int Length)> _copies = [];

    private BasisSources(byte[] bytes) => _bytes = bytes;

    /// <summary>The repo files whose content the evaluation read.</summary>
    public HashSet<string> ReadPaths { get; } = new(StringComparer.Ordinal);

    /// <summary>Parses the file; the <c>c</c> lines are only indexed, not decoded.</summary>
    public static BasisSources? Parse(byte[] bytes)
    {
        var sources = new BasisSources(bytes);
        var at = 0;
        while (at < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', at);
            if (end < 0 || end - at < 2 || bytes[at + 1] != (byte)'\t')
            {
                return null;
            }

            switch (bytes[at])
            {
                case (byte)'r':
                    sources.ReadPaths.Add(Encoding.UTF8.GetString(bytes, at + 2, end - at - 2));
                    break;
                case (byte)'c':
                    sources._copies.Add((at + 2, end - at - 2));
                    break;
                default:
                    return null;
            }

            at = end + 1;
        }

        return sources;
    }

    /// <summary>For each COPY step whose content is one of <paramref name="repoFiles"/>: its journal path and that file.</summary>
    public Dictionary<string, string> CopiesOf(IEnumerable<string> repoFiles)
    {
        var wanted = new HashSet<string>(repoFiles, StringComparer.Ordinal);
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (start, length) in _copies)
        {
            var line = _bytes.AsSpan(start, length);
            var tab = line.LastIndexOf((byte)'\t');
            if (tab >= 0 && Encoding.UTF8.GetString(line[(tab + 1)..]) is var repoFile && wanted.Contains(repoFile))
            {
                found[Encoding.UTF8.GetString(line[..tab])] = repoFile;
            }
        }

        return found;
    }
}
