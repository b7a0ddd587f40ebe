namespace GenStore.Journal;

/// <summary>The path rules of journals: absolute, normalised (no <c>.</c>, <c>..</c>, <c>//</c> or trailing <c>/</c>), never escaping the root.</summary>
public static class JournalPaths
{
    /// <summary>Why <paramref name="path"/> is not an absolute normalised path below the root, or null when it is one.</summary>
    public static string? Problem(string path)
    {
        if (path.Length == 0)
        {
            return "the path is empty";
        }

        if (path[0] != '/')
        {
            return "the path is relative; write it absolute, starting with '/'";
        }

        if (path == "/")
        {
            return "the root itself cannot be a step's path";
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return "the path contains a NUL character";
        }

        if (IsNormalised(path))
        {
            return null;
        }

        return Normalise(path) is null
            ? "the path escapes the root with '..'; write the absolute path it means"
            : $"the path is not normalised; write it as {JournalSyntax.Format(Normalise(path)!)}";
    }

    /// <summary>True for an absolute path with no empty, <c>.</c> or <c>..</c> component and no trailing <c>/</c>.</summary>
    public static bool IsNormalised(string path)
    {
        if (path.Length < 2 || path[0] != '/' || path[^1] == '/')
        {
            return false;
        }

        var start = 1;
        while (start <= path.Length)
        {
            var end = path.IndexOf('/', start);
            if (end < 0)
            {
                end = path.Length;
            }

            var length = end - start;
            if (length == 0 || (length == 1 && path[start] == '.') || (length == 2 && path[start] == '.' && path[start + 1] == '.'))
            {
                return false;
            }

            start = end + 1;
        }

        return true;
    }

    /// <summary>The normalised form of an absolute path, or null when <c>..</c> climbs above the root.</summary>
    public static string? Normalise(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(part);
        }

        return "/" + string.Join('/', parts);
    }

    /// <summary>The parent of an absolute normalised path; <c>/</c> for a top-level path.</summary>
    public static string Parent(string path)
    {
        var i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    /// <summary>The proper ancestors of an absolute normalised path, nearest first, ending before <c>/</c>.</summary>
    public static IEnumerable<string> Ancestors(string path) => JournalDiff.Ancestors(path);

    /// <summary>True when <paramref name="path"/> is <paramref name="ancestor"/> or lies below it.</summary>
    public static bool IsAtOrBelow(string path, string ancestor) =>
        ancestor == "/" || path == ancestor || (path.StartsWith(ancestor, StringComparison.Ordinal) && path.Length > ancestor.Length && path[ancestor.Length] == '/');
}
