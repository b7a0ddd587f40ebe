namespace GenStore.Journal;

/// <summary>One problem found in a journal, by the parser or by the static checks, positioned at its journal line.</summary>
/// <param name="Code">The stable error code (<c>J001</c>…), listed in docs/journal.md.</param>
/// <param name="File">The journal file the problem is in (as given to the parser).</param>
/// <param name="Line">The 1-based journal line, 0 when the problem is about the whole file.</param>
/// <param name="Column">The 1-based column (in characters), 0 when unknown.</param>
/// <param name="Message">One line: what is wrong and what to do.</param>
public sealed record JournalProblem(string Code, string File, int Line, int Column, string Message)
{
    /// <summary>The <c>.gen</c> origin of the step the problem is about, when known.</summary>
    public SourceSpan Source { get; init; } = SourceSpan.None;

    /// <summary><c>file:line:col: CODE message (from src.gen:3:1)</c>, the one-line form <c>gen journal check</c> prints.</summary>
    public override string ToString()
    {
        var file = File.Length == 0 ? "(journal)" : File;
        var where = Line <= 0 ? file : Column <= 0 ? $"{file}:{Line}" : $"{file}:{Line}:{Column}";
        var from = Source.File.Length == 0 ? string.Empty : $" (from {Source})";
        return $"{where}: {Code} {Message}{from}";
    }

    /// <summary>The same problem as an <see cref="InputException"/>, for callers that stop at the first one.</summary>
    public InputException ToException() =>
        new($"{Code} {Message}" + (Source.File.Length == 0 ? string.Empty : $" (from {Source})"), File, Line, Column);
}

/// <summary>The error codes of journal problems; each names one rule, documented in docs/journal.md.</summary>
public static class JournalCodes
{
    /// <summary>A line does not follow the grammar.</summary>
    public const string Syntax = "J001";

    /// <summary>The first line is not <c>gen-journal 1</c>.</summary>
    public const string Header = "J002";

    /// <summary>The bytes are not UTF-8.</summary>
    public const string Encoding = "J003";

    /// <summary>An included file cannot be read.</summary>
    public const string IncludeMissing = "J004";

    /// <summary>Files include each other in a cycle.</summary>
    public const string IncludeCycle = "J005";

    /// <summary>Two steps have the same identity.</summary>
    public const string DuplicateIdentity = "J101";

    /// <summary>Two steps write the same path, spelled differently.</summary>
    public const string PathWrittenTwice = "J102";

    /// <summary>A path's parent directory is neither created earlier, declared EXTERNAL nor present.</summary>
    public const string ParentMissing = "J103";

    /// <summary>A path lies inside a LINK.</summary>
    public const string InsideLink = "J104";

    /// <summary>A path is relative, not normalised, or escapes the root.</summary>
    public const string BadPath = "J105";

    /// <summary>An owner or group is neither a system account nor created earlier.</summary>
    public const string UnknownAccount = "J106";

    /// <summary>A RUN pattern matches no path of the journal.</summary>
    public const string PatternMatchesNothing = "J107";

    /// <summary>A COPY payload is not in the store.</summary>
    public const string PayloadMissing = "J108";

    /// <summary>A user or group name that the account database cannot hold.</summary>
    public const string BadName = "J109";

    /// <summary>A RUN with an empty argv, or a mode outside 0000–7777.</summary>
    public const string BadValue = "J110";

    /// <summary>A path is declared EXTERNAL and also managed by a step.</summary>
    public const string ExternalManaged = "J111";

    /// <summary>An INCLUDE that was not resolved: a journal to apply or store must be self-contained.</summary>
    public const string UnresolvedInclude = "J112";
}
