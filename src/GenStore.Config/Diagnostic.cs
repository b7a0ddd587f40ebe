using System.Text;

namespace GenStore.Config;

/// <summary>One compile error: where it is (file relative to the repo root, 1-based line and column), what is wrong and what was expected.</summary>
/// <param name="File">The <c>.gen</c> (or template) file, relative to the repo root.</param>
/// <param name="Line">1-based line; 0 when the error concerns the whole file.</param>
/// <param name="Column">1-based column (UTF-16 code units, tabs count as one).</param>
/// <param name="Length">How many columns the caret underline spans (at least one).</param>
/// <param name="Message">The problem, one line.</param>
/// <param name="Expected">What would have been right, or what to do; null when the message says it all.</param>
public sealed record Diagnostic(string File, int Line, int Column, int Length, string Message, string? Expected = null)
{
    /// <summary>The one-line form <c>file:line:col: message; expected …</c>.</summary>
    public override string ToString()
    {
        var where = Line <= 0 ? File : $"{File}:{Line}:{Column}";
        return Expected is null ? $"{where}: {Message}" : $"{where}: {Message}; {Expected}";
    }

    /// <summary>The compiler-style form: the one-line message, then the offending line with a caret under the column.</summary>
    public string Render(string? sourceText)
    {
        var sb = new StringBuilder();
        var where = Line <= 0 ? File : $"{File}:{Line}:{Column}";
        sb.Append(where).Append(": error: ").Append(Message).Append('\n');
        var line = sourceText is null || Line <= 0 ? null : LineOf(sourceText, Line);
        if (line is not null)
        {
            var number = Line.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var gutter = new string(' ', number.Length);
            sb.Append(' ').Append(number).Append(" | ").Append(line).Append('\n');
            sb.Append(' ').Append(gutter).Append(" | ");

            // Copy tabs from the line so the caret lines up however the terminal renders them.
            var col = Math.Clamp(Column, 1, line.Length + 1);
            for (var i = 0; i < col - 1; i++)
            {
                sb.Append(line[i] == '\t' ? '\t' : ' ');
            }

            sb.Append('^');
            var extra = Math.Min(Math.Max(Length, 1), Math.Max(line.Length - col + 1, 1)) - 1;
            sb.Append('~', extra).Append('\n');
        }

        if (Expected is not null)
        {
            sb.Append("  = ").Append(Expected).Append('\n');
        }

        return sb.ToString();
    }

    private static string? LineOf(string text, int lineNumber)
    {
        var start = 0;
        for (var n = 1; n < lineNumber; n++)
        {
            var next = text.IndexOf('\n', start);
            if (next < 0)
            {
                return null;
            }

            start = next + 1;
        }

        var end = text.IndexOf('\n', start);
        var line = end < 0 ? text[start..] : text[start..end];
        return line.TrimEnd('\r');
    }
}

/// <summary>Collects the errors of one compilation, in the order they were found, and the source texts needed to show them.</summary>
public sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];
    private readonly Dictionary<string, string> _sources = new(StringComparer.Ordinal);
    private readonly List<string> _fileOrder = [];
    private readonly object _gate = new();

    /// <summary>The errors so far, by file (in the order files were read), then line and column.</summary>
    public IReadOnlyList<Diagnostic> Items
    {
        get
        {
            lock (_gate)
            {
                return Sorted();
            }
        }
    }

    private List<Diagnostic> Sorted()
    {
        // Parse errors are found before evaluation errors; show them in reading order. OrderBy is stable.
        var fileOrder = _fileOrder.Select((file, i) => (file, i)).ToDictionary(x => x.file, x => x.i, StringComparer.Ordinal);
        return _items
            .OrderBy(d => fileOrder.GetValueOrDefault(d.File, int.MaxValue))
            .ThenBy(d => d.Line)
            .ThenBy(d => d.Column)
            .ToList();
    }

    /// <summary>True when at least one error was reported.</summary>
    public bool HasErrors
    {
        get
        {
            lock (_gate)
            {
                return _items.Count > 0;
            }
        }
    }

    /// <summary>Remembers the text of a file so that its errors can show the offending line.</summary>
    public void AddSource(string file, string text)
    {
        lock (_gate)
        {
            if (_sources.TryAdd(file, text))
            {
                _fileOrder.Add(file);
            }
        }
    }

    /// <summary>The text of a file read during the compile, if any.</summary>
    public string? SourceOf(string file)
    {
        lock (_gate)
        {
            return _sources.GetValueOrDefault(file);
        }
    }

    /// <summary>Line <paramref name="line"/> (1-based) of a file read during the compile, without its newline.</summary>
    public string? LineOf(string file, int line)
    {
        var text = SourceOf(file);
        if (text is null || line <= 0)
        {
            return null;
        }

        var lines = text.Split('\n');
        return line <= lines.Length ? lines[line - 1].TrimEnd('\r') : null;
    }

    /// <summary>Reports an error.</summary>
    public void Add(string file, int line, int column, int length, string message, string? expected = null)
    {
        lock (_gate)
        {
            _items.Add(new Diagnostic(file, line, column, Math.Max(length, 1), message, expected));
        }
    }

    /// <summary>Reports an error at a position.</summary>
    public void Add(SourcePos at, string message, string? expected = null) =>
        Add(at.File, at.Line, at.Column, at.Length, message, expected);

    /// <summary>Every error in compiler style, each with its line and caret, then a count.</summary>
    public string Render()
    {
        lock (_gate)
        {
            var sb = new StringBuilder();
            foreach (var item in Sorted())
            {
                sb.Append(item.Render(_sources.GetValueOrDefault(item.File)));
            }

            if (_items.Count > 0)
            {
                sb.Append(_items.Count == 1 ? "1 error\n" : $"{_items.Count} errors\n");
            }

            return sb.ToString();
        }
    }
}

/// <summary>A position in a config file: file relative to the repo root, 1-based line and column, and the length of the token there.</summary>
public readonly record struct SourcePos(string File, int Line, int Column, int Length = 1)
{
    /// <summary>The journal's form of this position.</summary>
    public Journal.SourceSpan ToSpan() => new(File, Line, Column);

    /// <inheritdoc/>
    public override string ToString() => $"{File}:{Line}:{Column}";
}
