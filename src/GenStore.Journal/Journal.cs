namespace GenStore.Journal;

/// <summary>An ordered, self-contained list of steps: what one generation asks the disk and the account database to be.</summary>
public sealed class Journal
{
    /// <summary>The format version this code reads and writes (<c>gen-journal 1</c>).</summary>
    public const int FormatVersion = 1;

    /// <summary>Wraps steps in journal order.</summary>
    public Journal(IReadOnlyList<Step> steps)
    {
        Steps = steps;
    }

    /// <summary>The steps in the order they are done.</summary>
    public IReadOnlyList<Step> Steps { get; }
}
