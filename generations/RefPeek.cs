using System.Text.RegularExpressions;

namespace GenStore.Generations;

/// <summary>Reads what a plain ref name points at straight from a repository's ref files, for the no-op check only.</summary>
/// <remarks>
/// <para>Loading libgit2 and opening the repository costs a no-op switch tens of milliseconds; most targets are a branch,
/// a tag or a full commit hash, which the ref files answer directly. The lookup follows git's own order for a short
/// name (<c>NAME</c>, <c>refs/NAME</c>, <c>refs/tags/NAME</c>, <c>refs/heads/NAME</c>, <c>refs/remotes/NAME</c>,
/// <c>refs/remotes/NAME/HEAD</c>), a loose ref file before the packed-refs line, symbolic refs followed.</para>
/// <para>It is only ever used to say "this is the commit the machine is on": anything it cannot read plainly (an
/// expression like <c>main~1</c>, a short hash, a name git might read as <c>describe</c> output, a worktree's
/// <c>.git</c> file) gives null, and the caller asks libgit2 as before. An annotated tag gives the tag object's id,
/// which is never a commit's, so it too falls through to libgit2.</para>
/// </remarks>
internal static partial class RefPeek
{
    private const int MaxSymbolicHops = 5;

    /// <summary>The object id <paramref name="revision"/> names in the repository at <paramref name="repo"/> (bare, or a work tree with a .git folder), or null when it cannot be read plainly.</summary>
    public static string? Peek(string repo, string revision)
    {
        if (FullHash().IsMatch(revision))
        {
            return revision;
        }

        if (!PlainName().IsMatch(revision) || revision.Contains("..", StringComparison.Ordinal) || revision.EndsWith(".lock", StringComparison.Ordinal)
            || revision.EndsWith('/') || revision.StartsWith('/') || revision.Contains("//", StringComparison.Ordinal) || DescribeLike().IsMatch(revision))
        {
            return null;
        }

        var gitDir = Directory.Exists(Path.Join(repo, ".git")) ? Path.Join(repo, ".git") : repo;
        if (!File.Exists(Path.Join(gitDir, "HEAD")))
        {
            return null;
        }

        try
        {
            var packed = ReadPacked(gitDir);
            foreach (var candidate in (string[])[revision, $"refs/{revision}", $"refs/tags/{revision}", $"refs/heads/{revision}", $"refs/remotes/{revision}", $"refs/remotes/{revision}/HEAD"])
            {
                // A top-level name is a ref only in capitals (HEAD, FETCH_HEAD), as in git.
                if (candidate == revision && (revision.Contains('/', StringComparison.Ordinal) || revision.Any(char.IsAsciiLetterLower)))
                {
                    continue;
                }

                if (Exists(gitDir, candidate, packed))
                {
                    return Read(gitDir, candidate, packed, 0);
                }
            }
        }
        catch (IOException)
        {
            // A ref file that vanishes or cannot be read: let libgit2 decide.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static bool Exists(string gitDir, string refName, Dictionary<string, string> packed) =>
        File.Exists(Path.Join(gitDir, refName)) || packed.ContainsKey(refName);

    private static string? Read(string gitDir, string refName, Dictionary<string, string> packed, int hops)
    {
        var loose = Path.Join(gitDir, refName);
        string value;
        if (File.Exists(loose))
        {
            value = File.ReadAllText(loose).Trim();
        }
        else if (!packed.TryGetValue(refName, out value!))
        {
            return null;
        }

        if (value.StartsWith("ref: ", StringComparison.Ordinal))
        {
            return hops < MaxSymbolicHops ? Read(gitDir, value[5..].Trim(), packed, hops + 1) : null;
        }

        return FullHash().IsMatch(value) ? value : null;
    }

    private static Dictionary<string, string> ReadPacked(string gitDir)
    {
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = Path.Join(gitDir, "packed-refs");
        if (!File.Exists(path))
        {
            return refs;
        }

        foreach (var line in File.ReadLines(path))
        {
            // "# pack-refs with: …" and "^peeled" lines carry no ref name.
            if (line.Length > 41 && line[40] == ' ' && line[0] is not ('#' or '^'))
            {
                refs.TryAdd(line[41..], line[..40]);
            }
        }

        return refs;
    }

    [GeneratedRegex("^[0-9a-f]{40}$", RegexOptions.CultureInvariant)]
    private static partial Regex FullHash();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._/-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainName();

    [GeneratedRegex("-g[0-9a-fA-F]+$", RegexOptions.CultureInvariant)]
    private static partial Regex DescribeLike();
}
