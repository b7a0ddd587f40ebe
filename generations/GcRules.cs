namespace GenStore.Generations;

/// <summary>Which generations <c>gen gc</c> keeps: the N newest and those younger than a given age, never the protected ones.</summary>
/// <remarks>
/// The two rules are combined as a union of what they keep: a generation is deleted only when it is outside
/// the <see cref="KeepNewest"/> newest AND older than <see cref="KeepYoungerThan"/>. That is the safe reading
/// of <c>gen gc --keep 5 --older-than 30d</c> ("delete what is both old and not among the last five"): adding a
/// rule can only keep more. A rule left null keeps nothing by itself; with both null nothing is deleted, so a bare
/// call never destroys anything. Regardless of the rules the current generation, pinned generations and
/// generations numbered above the current one (left behind by a rollback, so the machine can go forward again)
/// are always kept. "Newest" is by number, which grows with creation time; failed generations count too.
/// </remarks>
/// <param name="KeepNewest">Keep the generations with the N highest numbers; null for no such rule.</param>
/// <param name="KeepYoungerThan">Keep generations created less than this long ago; null for no such rule.</param>
public sealed record GcRules(int? KeepNewest, TimeSpan? KeepYoungerThan)
{
    /// <summary>The generations among <paramref name="all"/> the rules delete, in increasing number order.</summary>
    /// <param name="all">Every recorded generation.</param>
    /// <param name="current">The current generation's number, or null.</param>
    /// <param name="now">The time ages are measured from.</param>
    public IReadOnlyList<Generation> SelectForDeletion(IEnumerable<Generation> all, int? current, DateTimeOffset now)
    {
        if (KeepNewest is < 0)
        {
            throw new InputException($"--keep must be 0 or more, not {KeepNewest}");
        }

        if (KeepYoungerThan is { } age && age < TimeSpan.Zero)
        {
            throw new InputException($"--older-than must not be negative, not {age}");
        }

        if (KeepNewest is null && KeepYoungerThan is null)
        {
            return [];
        }

        var byNewest = all.OrderByDescending(g => g.Number).ToList();
        var deleted = new List<Generation>();
        for (var i = 0; i < byNewest.Count; i++)
        {
            var g = byNewest[i];
            var isProtected = g.Pinned || (current is { } c && g.Number >= c);
            var keptByCount = KeepNewest is { } n && i < n;
            var keptByAge = KeepYoungerThan is { } d && now - g.Created < d;
            if (!isProtected && !keptByCount && !keptByAge)
            {
                deleted.Add(g);
            }
        }

        deleted.Reverse();
        return deleted;
    }
}
