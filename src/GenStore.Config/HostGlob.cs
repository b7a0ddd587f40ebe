namespace GenStore.Config;

/// <summary>Matches host ids against the patterns of a <c>hosts</c> block: <c>*</c> is any run of characters, <c>?</c> one character; case-sensitive.</summary>
public static class HostGlob
{
    /// <summary>True when <paramref name="hostId"/> matches <paramref name="pattern"/>.</summary>
    public static bool IsMatch(string pattern, string hostId)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(hostId);

        // Classic two-pointer wildcard match with one backtrack point: linear enough for host names.
        int p = 0, s = 0, star = -1, mark = 0;
        while (s < hostId.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == hostId[s]))
            {
                p++;
                s++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = s;
            }
            else if (star >= 0)
            {
                p = star + 1;
                s = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
