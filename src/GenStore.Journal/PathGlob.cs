namespace GenStore.Journal;

/// <summary>The glob patterns of <c>RUN on=</c>: <c>*</c> and <c>?</c> stay inside one path component, <c>**</c> crosses them.</summary>
/// <remarks>
/// <c>*</c> matches any run of characters except <c>/</c> (possibly none), <c>?</c> one character except <c>/</c>,
/// <c>**</c> any run of characters including <c>/</c>. A pattern ending in <c>/**</c> also matches the directory
/// itself, so <c>/etc/nginx/**</c> means "/etc/nginx and everything in it". Every other character matches itself;
/// there are no character classes and no escapes.
/// </remarks>
public static class PathGlob
{
    /// <summary>True when <paramref name="path"/> matches <paramref name="pattern"/>.</summary>
    public static bool IsMatch(string pattern, string path)
    {
        if (pattern.EndsWith("/**", StringComparison.Ordinal) && path.AsSpan().SequenceEqual(pattern.AsSpan(0, pattern.Length - 3)))
        {
            return true;
        }

        return Match(pattern, 0, path, 0);
    }

    /// <summary>The characters before the first wildcard: every matching path starts with them.</summary>
    public static string LiteralPrefix(string pattern)
    {
        var i = pattern.AsSpan().IndexOfAny('*', '?');
        var prefix = i < 0 ? pattern : pattern[..i];
        return pattern.EndsWith("/**", StringComparison.Ordinal) && prefix.Length == pattern.Length - 2
            ? prefix[..^1]
            : prefix;
    }

    private static bool Match(string pattern, int p, string path, int s)
    {
        // Iterative on plain characters, recursive only at stars; patterns are short, so the cost stays small.
        while (p < pattern.Length)
        {
            var c = pattern[p];
            if (c == '*')
            {
                var doubleStar = p + 1 < pattern.Length && pattern[p + 1] == '*';
                var rest = p + (doubleStar ? 2 : 1);
                while (rest < pattern.Length && pattern[rest] == '*')
                {
                    rest++;
                }

                if (rest == pattern.Length)
                {
                    return doubleStar || path.IndexOf('/', s) < 0;
                }

                for (var i = s; i <= path.Length; i++)
                {
                    if (Match(pattern, rest, path, i))
                    {
                        return true;
                    }

                    if (i < path.Length && path[i] == '/' && !doubleStar)
                    {
                        return false;
                    }
                }

                return false;
            }

            if (s >= path.Length)
            {
                return false;
            }

            if (c == '?' ? path[s] == '/' : path[s] != c)
            {
                return false;
            }

            p++;
            s++;
        }

        return s == path.Length;
    }
}
