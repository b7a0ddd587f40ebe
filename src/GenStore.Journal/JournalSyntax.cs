using System.Text;

namespace GenStore.Journal;

/// <summary>The quoting rule of the journal text: which strings are written bare and how the rest are quoted.</summary>
/// <remarks>
/// A string is written bare when it is non-empty, every character is printable ASCII (0x21–0x7E) other than
/// <c>" \ , [ ]</c>, and it does not start with <c>@</c> or <c>#</c>. Anything else is written in double quotes, with
/// <c>\"</c>, <c>\\</c>, <c>\n</c>, <c>\t</c>, <c>\r</c> and <c>\xNN</c> for the other control characters (0x00–0x1F,
/// 0x7F). Non-ASCII characters appear as themselves (UTF-8) inside the quotes. One string thus has exactly one
/// canonical spelling, which is what makes printing canonical.
/// </remarks>
public static class JournalSyntax
{
    /// <summary>The first line of every journal.</summary>
    public const string Header = "gen-journal 1";

    /// <summary>True when <paramref name="value"/> can be written without quotes.</summary>
    public static bool IsBare(string value)
    {
        if (value.Length == 0 || value[0] == '@' || value[0] == '#')
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c <= ' ' || c >= 0x7F || c == '"' || c == '\\' || c == ',' || c == '[' || c == ']')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Appends <paramref name="value"/> bare if it may be, else quoted.</summary>
    public static void AppendString(StringBuilder sb, string value)
    {
        if (IsBare(value))
        {
            sb.Append(value);
        }
        else
        {
            AppendQuoted(sb, value);
        }
    }

    /// <summary>Appends <paramref name="value"/> in double quotes with the journal's escapes.</summary>
    public static void AppendQuoted(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                case < ' ' or '\x7f': sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }

        sb.Append('"');
    }

    /// <summary>The string as the journal writes it: bare or quoted.</summary>
    public static string Format(string value)
    {
        if (IsBare(value))
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 2);
        AppendQuoted(sb, value);
        return sb.ToString();
    }

    /// <summary>A mode as four octal digits, e.g. <c>0755</c>.</summary>
    public static string FormatMode(int mode) => Convert.ToString(mode, 8).PadLeft(4, '0');
}
