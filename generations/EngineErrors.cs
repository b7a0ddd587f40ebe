namespace GenStore.Generations;

/// <summary>One managed path whose disk state no longer matches what the current generation left.</summary>
/// <param name="Path">The journal path.</param>
/// <param name="Expected">What the generation left, in words.</param>
/// <param name="Found">What is there now, in words.</param>
public sealed record Drift(string Path, string Expected, string Found)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Path}: expected {Expected}, found {Found}";
}

/// <summary>A switch refused because managed paths drifted; carries every drifted path.</summary>
public sealed class DriftException : GenException
{
    /// <summary>Creates the error for <paramref name="drifts"/>.</summary>
    public DriftException(IReadOnlyList<Drift> drifts)
        : base($"{drifts.Count} managed path{(drifts.Count == 1 ? " has" : "s have")} drifted ({Describe(drifts)}); " +
               "run 'gen verify' to see them, then 'gen verify --repair', or switch with --force to back them up and overwrite")
    {
        Drifts = drifts;
    }

    /// <summary>Every drifted path.</summary>
    public IReadOnlyList<Drift> Drifts { get; }

    private static string Describe(IReadOnlyList<Drift> drifts) =>
        string.Join("; ", drifts.Take(3)) + (drifts.Count > 3 ? $"; and {drifts.Count - 3} more" : string.Empty);
}

/// <summary>A switch that failed and could not be fully undone: the intent stays open for the next gen command to finish or undo.</summary>
public sealed class SwitchFailedException : GenException
{
    /// <summary>Creates the error from the switch's failure and the undo's.</summary>
    public SwitchFailedException(string cause, string undoProblem, Exception inner)
        : base($"switch failed ({cause}) and undoing it failed too ({undoProblem}); fix that, then run 'gen recover' or 'gen recover --rollback'", inner)
    {
    }
}
