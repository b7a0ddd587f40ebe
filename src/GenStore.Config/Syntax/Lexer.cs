using System.Globalization;
using System.Text;

namespace GenStore.Config.Syntax;

/// <summary>Splits a <c>.gen</c> file into tokens: identifiers, strings (quoted or heredoc), numbers and punctuation; skips whitespace and comments.</summary>
/// <remarks>Comments run from <c>#</c> or <c>//</c> to the end of the line, or between <c>/*</c> and <c>*/</c>. Errors go to the bag and lexing goes on.</remarks>
internal sealed class Lexer
{
    private readonly string _text;
    private readonly string _file;
    private readonly DiagnosticBag _diagnostics;
    private int _pos;
    private int _line = 1;
    private int _lineStart;
    private bool _firstOnLine = true;

    private Lexer(string text, string file, DiagnosticBag diagnostics)
    {
        _text = text;
        _file = file;
        _diagnostics = diagnostics;
    }

    /// <summary>All tokens of <paramref name="text"/>, ending with one end-of-file token.</summary>
    public static List<Token> Tokenize(string text, string file, DiagnosticBag diagnostics)
    {
        var lexer = new Lexer(text, file, diagnostics);
        var tokens = new List<Token>();
        while (true)
        {
            var token = lexer.Next();
            if (token is null)
            {
                continue;
            }

            tokens.Add(token);
            if (token.Kind == TokenKind.EndOfFile)
            {
                return tokens;
            }
        }
    }

    private SourcePos Here(int length = 1) => new(_file, _line, _pos - _lineStart + 1, length);

    private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private void NewLine()
    {
        _line++;
        _lineStart = _pos;
        _firstOnLine = true;
    }

    private Token? Next()
    {
        SkipTrivia();
        if (_pos >= _text.Length)
        {
            return new Token(TokenKind.EndOfFile, string.Empty, Here(), true);
        }

        var first = _firstOnLine;
        _firstOnLine = false;
        var start = Here();
        var c = _text[_pos];
        switch (c)
        {
            case '{': _pos++; return new Token(TokenKind.LeftBrace, "{", start, first);
            case '}': _pos++; return new Token(TokenKind.RightBrace, "}", start, first);
            case '[': _pos++; return new Token(TokenKind.LeftBracket, "[", start, first);
            case ']': _pos++; return new Token(TokenKind.RightBracket, "]", start, first);
            case '=': _pos++; return new Token(TokenKind.Equals, "=", start, first);
            case ',': _pos++; return new Token(TokenKind.Comma, ",", start, first);
            case '"': return ReadString(start, first);
            case '<' when Peek(1) == '<': return ReadHeredoc(start, first);
        }

        if (char.IsAsciiDigit(c))
        {
            var begin = _pos;
            while (char.IsAsciiDigit(Peek()))
            {
                _pos++;
            }

            var text = _text[begin.._pos];
            return new Token(TokenKind.Number, text, start with { Length = text.Length }, first);
        }

        if (IsIdentifierStart(c))
        {
            var begin = _pos;
            while (IsIdentifierPart(Peek()))
            {
                _pos++;
            }

            var text = _text[begin.._pos];
            return new Token(TokenKind.Identifier, text, start with { Length = text.Length }, first);
        }

        _pos++;
        _diagnostics.Add(start, $"unexpected character '{Printable(c)}'", "expected a block, an attribute (name = value), a string, a number, a list or a brace");
        return null;
    }

    internal static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    internal static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-';

    private static string Printable(char c) => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString();

    private void SkipTrivia()
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c == '\n')
            {
                _pos++;
                NewLine();
            }
            else if (c is ' ' or '\t' or '\r' or '\uFEFF')
            {
                _pos++;
            }
            else if (c == '#' || (c == '/' && Peek(1) == '/'))
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else if (c == '/' && Peek(1) == '*')
            {
                var start = Here(2);
                _pos += 2;
                while (_pos < _text.Length && !(_text[_pos] == '*' && Peek(1) == '/'))
                {
                    if (_text[_pos++] == '\n')
                    {
                        NewLine();
                    }
                }

                if (_pos >= _text.Length)
                {
                    _diagnostics.Add(start, "comment is not closed", "expected */ before the end of the file");
                }
                else
                {
                    _pos += 2;
                }
            }
            else
            {
                return;
            }
        }
    }

    private Token ReadString(SourcePos start, bool first)
    {
        var startOffset = _pos;
        _pos++;
        var parts = new List<StringPart>();
        var literal = new StringBuilder();
        var literalStart = Here();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
            {
                _diagnostics.Add(start, "string is not closed", "expected a closing \" on the same line; use a heredoc (<<EOF … EOF) for text over several lines");
                break;
            }

            var c = _text[_pos];
            if (c == '"')
            {
                _pos++;
                break;
            }

            if (c == '\\')
            {
                var escapeAt = Here(2);
                _pos++;
                var e = Peek();
                _pos++;
                switch (e)
                {
                    case '\\': literal.Append('\\'); break;
                    case '"': literal.Append('"'); break;
                    case 'n': literal.Append('\n'); break;
                    case 't': literal.Append('\t'); break;
                    case 'r': literal.Append('\r'); break;
                    case '0': literal.Append('\0'); break;
                    case '$': literal.Append('$'); break;
                    case 'u' when Peek() == '{':
                        ReadUnicodeEscape(literal, escapeAt);
                        break;
                    default:
                        if (e == '\n' || e == '\0')
                        {
                            _pos--;
                        }

                        _diagnostics.Add(escapeAt, $"unknown escape '\\{Printable(e)}' in a string", "expected one of \\\\ \\\" \\n \\t \\r \\0 \\$ \\u{hex}");
                        break;
                }

                continue;
            }

            if (c == '$' && Peek(1) == '{')
            {
                if (literal.Length > 0)
                {
                    parts.Add(new StringPart(literal.ToString(), null, literalStart));
                    literal.Clear();
                }

                ReadInterpolation(parts, stopAtNewline: true);
                literalStart = Here();
                continue;
            }

            literal.Append(c);
            _pos++;
        }

        if (literal.Length > 0 || parts.Count == 0)
        {
            parts.Add(new StringPart(literal.ToString(), null, literalStart));
        }

        var raw = _text[startOffset.._pos];
        return new Token(TokenKind.String, raw, start with { Length = Math.Max(1, raw.Length) }, first, parts);
    }

    private void ReadUnicodeEscape(StringBuilder literal, SourcePos at)
    {
        _pos++;
        var begin = _pos;
        while (char.IsAsciiHexDigit(Peek()))
        {
            _pos++;
        }

        var hex = _text[begin.._pos];
        if (Peek() == '}' && hex.Length is > 0 and <= 6
            && int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code)
            && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF))
        {
            _pos++;
            literal.Append(char.ConvertFromUtf32(code));
            return;
        }

        _diagnostics.Add(at, "bad unicode escape", "expected \\u{1F600}: one to six hex digits naming a character, in braces");
    }

    private void ReadInterpolation(List<StringPart> parts, bool stopAtNewline)
    {
        var at = Here(2);
        _pos += 2;
        var begin = _pos;
        while (_pos < _text.Length && _text[_pos] != '}' && !(stopAtNewline && _text[_pos] is '\n' or '"'))
        {
            _pos++;
        }

        var name = _text[begin.._pos].Trim();
        if (Peek() != '}')
        {
            _diagnostics.Add(at, "'${' is not closed", "expected ${name}; write \\$ (or $${ in a heredoc) for a literal dollar sign");
            return;
        }

        _pos++;
        if (!IsVariableName(name))
        {
            _diagnostics.Add(at with { Length = _pos - begin + 2 }, $"'{name}' is not a variable name", "expected ${name} or ${host.id}: letters, digits, '_', '-' and '.' between names");
            return;
        }

        parts.Add(new StringPart(null, name, at with { Length = _pos - begin + 2 }));
    }

    /// <summary>True for <c>name</c> and dotted names such as <c>host.id</c>.</summary>
    internal static bool IsVariableName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var piece in name.Split('.'))
        {
            if (piece.Length == 0 || !IsIdentifierStart(piece[0]) || !piece.All(IsIdentifierPart))
            {
                return false;
            }
        }

        return true;
    }

    private Token ReadHeredoc(SourcePos start, bool first)
    {
        // <<EOF or <<-EOF (strip the common indentation), then the text on the following lines up to a line holding only EOF.
        _pos += 2;
        var indent = false;
        if (Peek() == '-')
        {
            indent = true;
            _pos++;
        }

        var begin = _pos;
        while (IsIdentifierPart(Peek()))
        {
            _pos++;
        }

        var marker = _text[begin.._pos];
        var restStart = _pos;
        while (_pos < _text.Length && _text[_pos] != '\n')
        {
            _pos++;
        }

        if (marker.Length == 0 || _text[restStart.._pos].Trim().Length > 0)
        {
            _diagnostics.Add(start with { Length = Math.Max(2, restStart - begin + 2) }, "bad heredoc start", "expected <<NAME (or <<-NAME) alone at the end of its line, then the text, then a line holding only NAME");
            return new Token(TokenKind.String, string.Empty, start, first, [new StringPart(string.Empty, null, start)]);
        }

        var lines = new List<(string Text, int Line, int LineStart)>();
        var closed = false;
        while (_pos < _text.Length)
        {
            _pos++;
            NewLine();
            var lineBegin = _pos;
            while (_pos < _text.Length && _text[_pos] != '\n')
            {
                _pos++;
            }

            var line = _text[lineBegin.._pos].TrimEnd('\r');
            if (line.Trim() == marker)
            {
                closed = true;
                break;
            }

            lines.Add((line, _line, lineBegin));
        }

        _firstOnLine = false;
        if (!closed)
        {
            _diagnostics.Add(start with { Length = marker.Length + 2 }, $"heredoc <<{marker} is not closed", $"expected a line holding only {marker}");
        }

        var strip = indent
            ? lines.Where(l => l.Text.Trim().Length > 0).Select(l => l.Text.Length - l.Text.TrimStart(' ', '\t').Length).DefaultIfEmpty(0).Min()
            : 0;

        var parts = new List<StringPart>();
        var literal = new StringBuilder();
        foreach (var (rawLine, lineNo, lineStart) in lines)
        {
            var line = rawLine.Length >= strip ? rawLine[strip..] : rawLine.TrimStart();
            var offset = rawLine.Length - line.Length;
            for (var i = 0; i < line.Length; i++)
            {
                if (line[i] == '$' && i + 2 < line.Length && line[i + 1] == '$' && line[i + 2] == '{')
                {
                    literal.Append("${");
                    i += 2;
                    continue;
                }

                if (line[i] == '$' && i + 1 < line.Length && line[i + 1] == '{')
                {
                    var close = line.IndexOf('}', i + 2);
                    var at = new SourcePos(_file, lineNo, offset + i + 1, close < 0 ? 2 : close - i + 1);
                    var name = close < 0 ? string.Empty : line[(i + 2)..close].Trim();
                    if (close < 0 || !IsVariableName(name))
                    {
                        _diagnostics.Add(at, close < 0 ? "'${' is not closed" : $"'{name}' is not a variable name", "expected ${name} or ${host.id}; write $${ for a literal ${");
                        if (close < 0)
                        {
                            literal.Append(line[i..]);
                            break;
                        }

                        i = close;
                        continue;
                    }

                    if (literal.Length > 0)
                    {
                        parts.Add(new StringPart(literal.ToString(), null, start));
                        literal.Clear();
                    }

                    parts.Add(new StringPart(null, name, at));
                    i = close;
                    continue;
                }

                literal.Append(line[i]);
            }

            literal.Append('\n');
        }

        if (literal.Length > 0 || parts.Count == 0)
        {
            parts.Add(new StringPart(literal.ToString(), null, start));
        }

        return new Token(TokenKind.String, "<<" + marker, start with { Length = marker.Length + 2 }, first, parts);
    }
}
