namespace GenStore.Generations.Tests;

public sealed class GcRulesTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Generations 1…6 created 60, 50, 40, 30, 20, 10 days ago.</summary>
    private static List<Generation> Six(params int[] pinned) =>
        Enumerable.Range(1, 6)
            .Select(n => new Generation(n, StateDbTests.Id((byte)n), null, null, null, "h", Now - TimeSpan.FromDays(70 - (10 * n)),
                GenerationResult.Ok, DiffStats.None, pinned.Contains(n)))
            .ToList();

    public static TheoryData<string, int?, int?, int?, int[], int[]> Cases => new()
    {
        // name, keep newest, keep days, current, pinned, expected deleted
        { "no rules delete nothing", null, null, 6, [], [] },
        { "keep 2 newest", 2, null, 6, [], [1, 2, 3, 4] },
        { "keep 0 deletes all but current", 0, null, 6, [], [1, 2, 3, 4, 5] },
        { "keep more than exist", 10, null, 6, [], [] },
        { "keep younger than 35 days", null, 35, 6, [], [1, 2, 3] },
        { "union: kept when newest OR young", 2, 45, 6, [], [1, 2] },
        { "union: count rule keeps more than age", 4, 15, 6, [], [1, 2] },
        { "pinned is kept", 1, null, 6, [2], [1, 3, 4, 5] },
        { "current is kept even when old", 0, null, 2, [], [1] },
        { "newer than current is kept", 1, 5, 3, [], [1, 2] },
        { "no current: nothing is newer than it", 1, null, null, [], [1, 2, 3, 4, 5] },
        { "exactly D days old is deleted", null, 30, 6, [], [1, 2, 3, 4] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gc_deletes_only_what_no_rule_or_protection_keeps(string name, int? keep, int? days, int? current, int[] pinned, int[] deleted)
    {
        var rules = new GcRules(keep, days is { } d ? TimeSpan.FromDays(d) : null);
        var selected = rules.SelectForDeletion(Six(pinned), current, Now).Select(g => g.Number);
        Assert.True(deleted.SequenceEqual(selected), $"{name}: expected [{string.Join(",", deleted)}], got [{string.Join(",", selected)}]");
    }

    [Fact]
    public void Negative_rules_are_bad_input()
    {
        Assert.Throws<InputException>(() => new GcRules(-1, null).SelectForDeletion(Six(), 6, Now));
        Assert.Throws<InputException>(() => new GcRules(null, TimeSpan.FromDays(-1)).SelectForDeletion(Six(), 6, Now));
    }
}
