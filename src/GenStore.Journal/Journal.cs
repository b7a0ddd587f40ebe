namespace GenStore.Journal;

/// <summary>An ordered, self-contained list of steps: what one generation asks the disk and the account database to be.</summary>
/// <remarks>
/// A journal as read from one file may still hold <see cref="Includes"/>; <see cref="JournalLoader"/> splices them in,
/// and a loaded journal (the kind that is stored as a generation) never has any.
/// </remarks>
public sealed class Journal
{
    /// <summary>The format version this code reads and writes (<c>gen-journal 1</c>).</summary>
    public const int FormatVersion = 1;

    /// <summary>Wraps steps in journal order.</summary>
    public Journal(IReadOnlyList<Step> steps)
        : this(steps, [], [])
    {
    }

    /// <summary>Wraps steps in journal order, with the paths the journal declares as existing but not managed by gen.</summary>
    public Journal(IReadOnlyList<Step> steps, IReadOnlyList<ExternalPath> externals, IReadOnlyList<IncludeDirective>? includes = null)
    {
        Steps = steps;
        Externals = externals;
        Includes = includes ?? [];
    }

    /// <summary>The empty journal: the state of a machine before its first generation.</summary>
    public static Journal Empty { get; } = new([]);

    /// <summary>The steps in the order they are done.</summary>
    public IReadOnlyList<Step> Steps { get; }

    /// <summary>Paths declared with <c>EXTERNAL</c>: they exist on the machine, gen relies on them and never touches them.</summary>
    public IReadOnlyList<ExternalPath> Externals { get; }

    /// <summary>Unresolved <c>INCLUDE</c> lines of a journal read from one file; empty once loaded.</summary>
    public IReadOnlyList<IncludeDirective> Includes { get; }
}

/// <summary>An <c>EXTERNAL path</c> declaration: the path exists (a directory gen may put things into) and gen does not manage it.</summary>
public sealed record ExternalPath(string Path)
{
    /// <summary>The origin of the declaration, as for a step.</summary>
    public SourceSpan Source { get; init; } = SourceSpan.None;

    /// <summary>Where the declaration's line is in a journal file.</summary>
    public SourceSpan Location { get; init; } = SourceSpan.None;

    /// <summary>Equality ignores the positions, like steps.</summary>
    public bool Equals(ExternalPath? other) => other is not null && Path == other.Path;

    /// <inheritdoc/>
    public override int GetHashCode() => Path.GetHashCode(StringComparison.Ordinal);
}

/// <summary>An <c>INCLUDE file</c> line: another journal's steps go in before the step at <paramref name="Index"/>.</summary>
/// <param name="Index">How many of this file's steps come before the include.</param>
/// <param name="File">The included file as written, relative to the including file unless absolute.</param>
/// <param name="Location">Where the INCLUDE line is.</param>
public sealed record IncludeDirective(int Index, string File, SourceSpan Location);
