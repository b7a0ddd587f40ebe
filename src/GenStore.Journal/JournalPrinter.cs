using System.Globalization;
using System.Text;

namespace GenStore.Journal;

/// <summary>Writes journals in their one canonical text form: header, EXTERNAL lines, then one line per step.</summary>
/// <remarks>
/// Fields are separated by exactly one space, the source tag (<c>@file:line:col</c>) comes last, and every line ends
/// with <c>\n</c>. Parsing the output gives an equal journal, and printing a parsed canonical text gives the same bytes.
/// </remarks>
public static class JournalPrinter
{
    /// <summary>The whole journal as canonical text.</summary>
    public static string Print(Journal journal)
    {
        var sb = new StringBuilder(64 + (journal.Steps.Count * 140));
        Append(sb, journal);
        return sb.ToString();
    }

    /// <summary>Writes the whole journal as canonical text to <paramref name="writer"/>, a few lines at a time.</summary>
    public static void Write(Journal journal, TextWriter writer)
    {
        var sb = new StringBuilder(16 * 1024);
        AppendLines(sb, journal, flush: () =>
        {
            writer.Write(sb);
            sb.Clear();
        });
        writer.Write(sb);
    }

    /// <summary>Appends the whole journal as canonical text.</summary>
    public static void Append(StringBuilder sb, Journal journal) => AppendLines(sb, journal, flush: null);

    private static void AppendLines(StringBuilder sb, Journal journal, Action? flush)
    {
        sb.Append(JournalSyntax.Header).Append('\n');
        foreach (var external in journal.Externals)
        {
            AppendExternal(sb, external);
            sb.Append('\n');
        }

        var includes = journal.Includes;
        var nextInclude = 0;
        for (var i = 0; i <= journal.Steps.Count; i++)
        {
            while (nextInclude < includes.Count && includes[nextInclude].Index <= i)
            {
                sb.Append("INCLUDE ");
                JournalSyntax.AppendString(sb, includes[nextInclude++].File);
                sb.Append('\n');
            }

            if (i < journal.Steps.Count)
            {
                AppendStep(sb, journal.Steps[i]);
                sb.Append('\n');
            }

            if (flush is not null && sb.Length >= 12 * 1024)
            {
                flush();
            }
        }
    }

    /// <summary>One step's line, without the newline.</summary>
    public static string FormatStep(Step step)
    {
        var sb = new StringBuilder(96);
        AppendStep(sb, step);
        return sb.ToString();
    }

    /// <summary>Appends one step's line, without the newline.</summary>
    public static void AppendStep(StringBuilder sb, Step step)
    {
        sb.Append(step.Keyword).Append(' ');
        switch (step)
        {
            case MkdirStep m:
                JournalSyntax.AppendString(sb, m.Path);
                AppendAttributes(sb, m.Mode, m.Owner, m.Group);
                break;
            case CopyStep c:
                JournalSyntax.AppendString(sb, c.Path);
                sb.Append(' ');
                AppendObjectId(sb, c.Payload);
                AppendAttributes(sb, c.Mode, c.Owner, c.Group);
                break;
            case LinkStep l:
                JournalSyntax.AppendString(sb, l.Path);
                sb.Append(' ');
                JournalSyntax.AppendString(sb, l.Target);
                break;
            case GroupStep g:
                JournalSyntax.AppendString(sb, g.Name);
                if (g.Gid is { } gid)
                {
                    sb.Append(CultureInfo.InvariantCulture, $" gid={gid}");
                }

                break;
            case UserStep u:
                JournalSyntax.AppendString(sb, u.Name);
                if (u.Uid is { } uid)
                {
                    sb.Append(CultureInfo.InvariantCulture, $" uid={uid}");
                }

                AppendOptional(sb, "group", u.PrimaryGroup);
                if (u.Groups.Count > 0)
                {
                    sb.Append(" groups=");
                    AppendList(sb, u.Groups, bracketed: false);
                }

                AppendOptional(sb, "home", u.Home);
                AppendOptional(sb, "shell", u.Shell);
                break;
            case RunStep r:
                JournalSyntax.AppendString(sb, r.Name);
                sb.Append(" on=");
                AppendList(sb, r.On, bracketed: r.On.Count == 0);
                sb.Append(" argv=[");
                for (var i = 0; i < r.Argv.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }

                    JournalSyntax.AppendQuoted(sb, r.Argv[i]);
                }

                sb.Append(']');
                break;
            default:
                throw new ArgumentException($"unknown step type {step.GetType().Name}", nameof(step));
        }

        AppendTag(sb, step.Source);
    }

    /// <summary>The <c>@file:line:col</c> form of a source span (with the quoting rule for the file name).</summary>
    public static string FormatTag(SourceSpan span)
    {
        var sb = new StringBuilder();
        AppendTag(sb, span);
        return sb.ToString().TrimStart();
    }

    private static void AppendObjectId(StringBuilder sb, Store.ObjectId id)
    {
        Span<byte> bytes = stackalloc byte[Store.ObjectId.Size];
        Span<char> hex = stackalloc char[Store.ObjectId.Size * 2];
        id.CopyTo(bytes);
        Convert.TryToHexStringLower(bytes, hex, out _);
        sb.Append(Store.ObjectId.Prefix).Append(hex);
    }

    private static void AppendExternal(StringBuilder sb, ExternalPath external)
    {
        sb.Append("EXTERNAL ");
        JournalSyntax.AppendString(sb, external.Path);
        AppendTag(sb, external.Source);
    }

    private static void AppendTag(StringBuilder sb, SourceSpan span)
    {
        if (span == SourceSpan.None)
        {
            return;
        }

        sb.Append(" @");
        JournalSyntax.AppendString(sb, span.File);
        sb.Append(CultureInfo.InvariantCulture, $":{span.Line}:{span.Column}");
    }

    private static void AppendAttributes(StringBuilder sb, int mode, string owner, string group)
    {
        sb.Append(' ');
        if (mode is >= 0 and <= 0xfff)
        {
            sb.Append((char)('0' + ((mode >> 9) & 7))).Append((char)('0' + ((mode >> 6) & 7)))
              .Append((char)('0' + ((mode >> 3) & 7))).Append((char)('0' + (mode & 7)));
        }
        else
        {
            sb.Append(JournalSyntax.FormatMode(mode));
        }

        sb.Append(' ');
        JournalSyntax.AppendString(sb, owner);
        sb.Append(' ');
        JournalSyntax.AppendString(sb, group);
    }

    private static void AppendOptional(StringBuilder sb, string key, string? value)
    {
        if (value is not null)
        {
            sb.Append(' ').Append(key).Append('=');
            JournalSyntax.AppendString(sb, value);
        }
    }

    private static void AppendList(StringBuilder sb, ValueList<string> items, bool bracketed)
    {
        if (bracketed)
        {
            sb.Append('[');
        }

        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            JournalSyntax.AppendString(sb, items[i]);
        }

        if (bracketed)
        {
            sb.Append(']');
        }
    }
}
