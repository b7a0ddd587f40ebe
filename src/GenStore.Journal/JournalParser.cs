using System.Buffers;
using System.Globalization;
using System.Text;
using GenStore.Store;

namespace GenStore.Journal;

/// <summary>The outcome of reading journal text: the journal (as far as it could be read) and every problem found.</summary>
public sealed class JournalParseResult
{
    internal JournalParseResult(Journal journal, IReadOnlyList<JournalProblem> problems)
    {
        Journal = journal;
        Problems = problems;
    }

    /// <summary>The steps of every line that parsed; lines with problems are left out.</summary>
    public Journal Journal { get; }

    /// <summary>Every problem, in line order; empty when the text is a valid journal.</summary>
    public IReadOnlyList<JournalProblem> Problems { get; }

    /// <summary>True when there are no problems.</summary>
    public bool Succeeded => Problems.Count == 0;

    /// <summary>The journal, or the first problem as an <see cref="InputException"/>.</summary>
    public Journal GetJournalOrThrow() => Succeeded ? Journal : throw Problems[0].ToException();
}

/// <summary>Reads the journal text format (docs/journal.md); any input gives a journal or positioned problems, never an exception.</summary>
public static class JournalParser
{
    private static readonly SearchValues<char> Octal = SearchValues.Create("01234567");

    // Where a bare word may end or go wrong: blanks, quotes, backslashes, control characters (and, in a list, its punctuation).
    private const string BareSpecials = " \t\"\\\x7f\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f";
    private static readonly SearchValues<char> BareStop = SearchValues.Create(BareSpecials);
    private static readonly SearchValues<char> ListItemStop = SearchValues.Create(BareSpecials + ",[]");

    /// <summary>Parses UTF-8 bytes; <paramref name="fileName"/> is only used to position problems and steps.</summary>
    public static JournalParseResult Parse(ReadOnlySpan<byte> utf8, string fileName)
    {
        // Lines are decoded one at a time into one reused buffer: no copy of the whole file as a string, and a
        // line that is not UTF-8 is reported where it is while the other lines still parse.
        var state = new State(fileName);
        var buffer = ArrayPool<char>.Shared.Rent(512);
        var lineNo = 0;
        try
        {
            while (!utf8.IsEmpty)
            {
                var end = utf8.IndexOf((byte)'\n');
                var line = end < 0 ? utf8 : utf8[..end];
                utf8 = end < 0 ? [] : utf8[(end + 1)..];
                lineNo++;
                if (buffer.Length < line.Length)
                {
                    ArrayPool<char>.Shared.Return(buffer);
                    buffer = ArrayPool<char>.Shared.Rent(line.Length);
                }

                var status = System.Text.Unicode.Utf8.ToUtf16(line, buffer, out var read, out var written, replaceInvalidSequences: false);
                if (status == OperationStatus.Done)
                {
                    state.ParseLine(buffer.AsSpan(0, written), lineNo);
                }
                else
                {
                    state.Add(JournalCodes.Encoding, lineNo, written + 1, $"byte 0x{line[read]:x2} is not UTF-8; a journal is UTF-8 text, so re-save it as UTF-8 (names that are not UTF-8 cannot be written)");
                }
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }

        return state.Finish(lineNo);
    }

    /// <summary>Parses text; <paramref name="fileName"/> is only used to position problems and steps.</summary>
    public static JournalParseResult Parse(string text, string fileName)
    {
        var state = new State(fileName);
        var lineNo = 0;
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            var next = end < 0 ? text.Length : end + 1;
            if (end < 0)
            {
                end = text.Length;
            }

            lineNo++;
            state.ParseLine(text.AsSpan(start, end - start), lineNo);
            start = next;
        }

        return state.Finish(lineNo);
    }

    /// <summary>Reads a journal file as it is (INCLUDE lines are kept, not resolved); see <see cref="JournalLoader"/> to resolve them.</summary>
    public static JournalParseResult ParseFile(string path) => Parse(File.ReadAllBytes(path), path);

    private sealed class LineException(int column, string message) : Exception(message)
    {
        public int Column { get; } = column;
    }

    private sealed class State(string fileName)
    {
        private readonly List<Step> _steps = [];
        private readonly List<ExternalPath> _externals = [];
        private readonly List<IncludeDirective> _includes = [];
        private readonly List<JournalProblem> _problems = [];
        private readonly StringPool _pool = new();

        public void Add(string code, int line, int column, string message) =>
            _problems.Add(new JournalProblem(code, fileName, line, column, message));

        public JournalParseResult Finish(int lines)
        {
            if (lines == 0)
            {
                Add(JournalCodes.Header, 1, 1, $"the file is empty; a journal starts with the line '{JournalSyntax.Header}'");
            }

            return new JournalParseResult(new Journal(_steps, _externals, _includes), _problems);
        }

        public void ParseLine(ReadOnlySpan<char> line, int lineNo)
        {
            if (line.Length > 0 && line[^1] == '\r')
            {
                line = line[..^1];
            }

            if (lineNo == 1)
            {
                ParseHeader(line);
                return;
            }

            if (line.IsEmpty || line[0] == '#' || line.IsWhiteSpace())
            {
                return;
            }

            try
            {
                var c = new Cursor(line, _pool);
                ParseEntry(ref c, lineNo);
            }
            catch (LineException e)
            {
                Add(JournalCodes.Syntax, lineNo, e.Column, e.Message);
            }
        }

        private void ParseHeader(ReadOnlySpan<char> line)
        {
            if (line.SequenceEqual(JournalSyntax.Header))
            {
                return;
            }

            if (line.StartsWith("gen-journal ", StringComparison.Ordinal))
            {
                Add(JournalCodes.Header, 1, 13, $"journal format version '{line[12..].ToString()}' is not supported; this gen reads '{JournalSyntax.Header}', upgrade gen or regenerate the journal");
            }
            else
            {
                Add(JournalCodes.Header, 1, 1, $"expected the header '{JournalSyntax.Header}' as the first line");
            }
        }

        private void ParseEntry(ref Cursor c, int lineNo)
        {
            var keywordStart = c.Position;
            var keyword = c.ReadKeyword();
            var location = new SourceSpan(fileName, lineNo, 1);
            Step step;
            switch (keyword)
            {
                case "MKDIR":
                {
                    var path = c.NextString("a path");
                    var mode = c.NextMode();
                    var owner = c.NextString("an owner", pooled: true);
                    var group = c.NextString("a group", pooled: true);
                    step = new MkdirStep(path, mode, owner, group) { Source = c.FinishWithTag(), Location = location };
                    break;
                }

                case "COPY":
                {
                    var path = c.NextString("a path");
                    var payload = c.NextObjectId();
                    var mode = c.NextMode();
                    var owner = c.NextString("an owner", pooled: true);
                    var group = c.NextString("a group", pooled: true);
                    step = new CopyStep(path, payload, mode, owner, group) { Source = c.FinishWithTag(), Location = location };
                    break;
                }

                case "LINK":
                {
                    var path = c.NextString("a path");
                    var target = c.NextString("a link target");
                    step = new LinkStep(path, target) { Source = c.FinishWithTag(), Location = location };
                    break;
                }

                case "GROUP":
                {
                    var name = c.NextString("a group name", pooled: true);
                    int? gid = null;
                    while (c.NextKey(out var key, out var keyColumn))
                    {
                        switch (key)
                        {
                            case "gid" when gid is null: gid = c.ReadNumber(); break;
                            default: throw BadKey(key, keyColumn, gid is not null, "gid=");
                        }
                    }

                    step = new GroupStep(name, gid) { Source = c.FinishWithTag(), Location = location };
                    break;
                }

                case "USER":
                {
                    var name = c.NextString("a user name", pooled: true);
                    int? uid = null;
                    string? group = null, home = null, shell = null;
                    ValueList<string>? groups = null;
                    while (c.NextKey(out var key, out var keyColumn))
                    {
                        switch (key)
                        {
                            case "uid" when uid is null: uid = c.ReadNumber(); break;
                            case "group" when group is null: group = c.ReadString("a group name", listItem: false, pooled: true); break;
                            case "groups" when groups is null: groups = c.ReadList(); break;
                            case "home" when home is null: home = c.ReadString("a home directory", listItem: false); break;
                            case "shell" when shell is null: shell = c.ReadString("a shell", listItem: false, pooled: true); break;
                            default:
                                throw BadKey(key, keyColumn, key is "uid" or "group" or "groups" or "home" or "shell", "uid=, group=, groups=, home= or shell=");
                        }
                    }

                    step = new UserStep(name, uid, group, groups ?? ValueList<string>.Empty, home, shell) { Source = c.FinishWithTag(), Location = location };
                    break;
                }

                case "RUN":
                {
                    var name = c.NextString("a trigger name");
                    ValueList<string>? on = null, argv = null;
                    while (c.NextKey(out var key, out var keyColumn))
                    {
                        switch (key)
                        {
                            case "on" when on is null: on = c.ReadList(); break;
                            case "argv" when argv is null: argv = c.ReadList(); break;
                            default: throw BadKey(key, keyColumn, key is "on" or "argv", "on= or argv=");
                        }
                    }

                    if (on is null || argv is null)
                    {
                        throw new LineException(c.Position + 1, $"RUN needs {(on is null ? "on=<glob,…>" : "argv=[\"program\",…]")}");
                    }

                    step = new RunStep(name, on.Value, argv.Value) { Source = c.FinishWithTag(), Location = location };
                    break;
                }

                case "EXTERNAL":
                {
                    var path = c.NextString("a path");
                    var tag = c.FinishWithTag();
                    _externals.Add(new ExternalPath(path) { Source = tag, Location = location });
                    return;
                }

                case "INCLUDE":
                {
                    var file = c.NextString("a file name");
                    c.FinishWithTag(allowTag: false);
                    _includes.Add(new IncludeDirective(_steps.Count, file, location));
                    return;
                }

                default:
                    throw new LineException(keywordStart + 1, $"unknown keyword '{keyword}'; expected MKDIR, COPY, LINK, GROUP, USER, RUN, EXTERNAL or INCLUDE");
            }

            _steps.Add(step);
        }

        private static LineException BadKey(string key, int column, bool duplicate, string expected) =>
            duplicate
                ? new LineException(column, $"'{key}=' is given twice; keep one")
                : new LineException(column, $"unknown field '{key}='; expected {expected}");
    }

    /// <summary>A position in one line; every Read method throws <see cref="LineException"/> with the column on bad input.</summary>
    private ref struct Cursor(ReadOnlySpan<char> line, StringPool pool)
    {
        private readonly ReadOnlySpan<char> _line = line;
        private readonly StringPool _pool = pool;
        private int _pos;

        public readonly int Position => _pos;

        private readonly bool AtEnd => _pos >= _line.Length;

        private readonly char Current => _line[_pos];

        public string ReadKeyword()
        {
            var start = _pos;
            while (!AtEnd && Current is >= 'A' and <= 'Z')
            {
                _pos++;
            }

            if (_pos == start || (!AtEnd && !IsSpace(Current)))
            {
                while (!AtEnd && !IsSpace(Current))
                {
                    _pos++;
                }

                var word = _line[start.._pos].ToString();
                throw new LineException(start + 1, $"unknown keyword '{word}'; expected MKDIR, COPY, LINK, GROUP, USER, RUN, EXTERNAL or INCLUDE");
            }

            return _line[start.._pos] switch
            {
                "MKDIR" => "MKDIR",
                "COPY" => "COPY",
                "LINK" => "LINK",
                "GROUP" => "GROUP",
                "USER" => "USER",
                "RUN" => "RUN",
                "EXTERNAL" => "EXTERNAL",
                "INCLUDE" => "INCLUDE",
                var other => other.ToString(),
            };
        }

        /// <summary>Skips the separating blanks, then reads a positional string.</summary>
        public string NextString(string what, bool pooled = false)
        {
            Separator(what);
            return ReadString(what, listItem: false, pooled);
        }

        public int NextMode()
        {
            Separator("a mode (4 octal digits)");
            var start = _pos;
            var end = TokenEnd();
            var token = _line[start..end];
            if (token.Length != 4 || token.ContainsAnyExcept(Octal))
            {
                throw new LineException(start + 1, $"expected a mode as 4 octal digits (like 0644), found '{token.ToString()}'");
            }

            _pos = end;
            return ((token[0] - '0') << 9) | ((token[1] - '0') << 6) | ((token[2] - '0') << 3) | (token[3] - '0');
        }

        public ObjectId NextObjectId()
        {
            Separator("a payload id (b3:…)");
            var start = _pos;
            var end = TokenEnd();
            if (!ObjectId.TryParse(_line[start..end], out var id) || _line[(start + 3)..end].ContainsAny("ABCDEF"))
            {
                throw new LineException(start + 1, $"expected a payload id as b3: and 64 lowercase hex digits, found '{Shorten(_line[start..end])}'");
            }

            _pos = end;
            return id;
        }

        /// <summary>Moves to the next <c>key=</c> field; false at the end of the fields (end of line or the source tag).</summary>
        public bool NextKey(out string key, out int column)
        {
            key = string.Empty;
            column = 0;
            var save = _pos;
            SkipSpaces();
            if (AtEnd || Current == '@')
            {
                _pos = save;
                return false;
            }

            if (_pos == save)
            {
                throw new LineException(_pos + 1, "expected a space before the next field");
            }

            var start = _pos;
            while (!AtEnd && Current is >= 'a' and <= 'z')
            {
                _pos++;
            }

            if (_pos == start || AtEnd || Current != '=')
            {
                throw new LineException(start + 1, $"expected a field as key=value or the source tag @file:line:col, found '{Shorten(_line[start..TokenEnd()])}'");
            }

            key = _line[start.._pos].ToString();
            column = start + 1;
            _pos++;
            return true;
        }

        public int ReadNumber()
        {
            var start = _pos;
            while (!AtEnd && char.IsAsciiDigit(Current))
            {
                _pos++;
            }

            var digits = _line[start.._pos];
            if (digits.IsEmpty || (digits.Length > 1 && digits[0] == '0') || (!AtEnd && !IsSpace(Current))
                || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                throw new LineException(start + 1, $"expected a decimal number without leading zeros (0 to {int.MaxValue}), found '{Shorten(_line[start..TokenEnd()])}'");
            }

            return value;
        }

        /// <summary>Reads <c>a,b,c</c> or <c>[a,b,c]</c> (items bare or quoted; blanks allowed after commas inside brackets).</summary>
        public ValueList<string> ReadList()
        {
            var items = new List<string>();
            if (!AtEnd && Current == '[')
            {
                _pos++;
                if (!AtEnd && Current == ']')
                {
                    _pos++;
                    return ValueList<string>.Empty;
                }

                while (true)
                {
                    items.Add(ReadString("a list item", listItem: true));
                    if (!AtEnd && Current == ']')
                    {
                        _pos++;
                        break;
                    }

                    if (AtEnd || Current != ',')
                    {
                        throw new LineException(_pos + 1, "expected ',' or ']' in the list");
                    }

                    _pos++;
                    SkipSpaces();
                }
            }
            else
            {
                while (true)
                {
                    items.Add(ReadString("a list item", listItem: true));
                    if (AtEnd || Current != ',')
                    {
                        break;
                    }

                    _pos++;
                }
            }

            if (!AtEnd && !IsSpace(Current))
            {
                throw new LineException(_pos + 1, $"unexpected '{Current}' after the list; separate fields with a space");
            }

            return new ValueList<string>(items);
        }

        public string ReadString(string what, bool listItem, bool pooled = false, bool keep = true)
        {
            if (AtEnd || IsSpace(Current))
            {
                throw new LineException(_pos + 1, $"expected {what}");
            }

            if (Current == '"')
            {
                return ReadQuoted();
            }

            var start = _pos;
            if (Current == '@')
            {
                throw new LineException(start + 1, $"expected {what}, found the source tag; a value starting with '@' must be quoted");
            }

            // One vectorised search to the first character that ends the word or is not allowed in it.
            var stop = _line[_pos..].IndexOfAny(listItem ? ListItemStop : BareStop);
            _pos = stop < 0 ? _line.Length : _pos + stop;
            if (!AtEnd && !IsSpace(Current) && !(listItem && Current is ',' or ']'))
            {
                var ch = Current;
                if (ch == '"' || ch == '\\' || ch < ' ' || ch == '\x7f')
                {
                    throw new LineException(_pos + 1, $"character {Describe(ch)} is not allowed in a bare word; write the whole value in double quotes");
                }

                throw new LineException(_pos + 1, "'[' in a list item must be quoted");
            }

            if (_pos == start)
            {
                throw new LineException(start + 1, $"expected {what}");
            }

            return !keep ? string.Empty : pooled ? _pool.Get(_line[start.._pos]) : _line[start.._pos].ToString();
        }

        /// <summary>Reads the optional source tag and checks that nothing follows it.</summary>
        public SourceSpan FinishWithTag(bool allowTag = true)
        {
            var save = _pos;
            SkipSpaces();
            if (AtEnd)
            {
                return SourceSpan.None;
            }

            if (_pos == save)
            {
                throw new LineException(_pos + 1, "expected a space before the next field");
            }

            if (Current != '@' || !allowTag)
            {
                throw new LineException(_pos + 1, allowTag ? $"unexpected '{Shorten(_line[_pos..TokenEnd()])}'; expected the source tag @file:line:col or the end of the line" : "unexpected text after the file name; quote a name with spaces");
            }

            var tagStart = _pos;
            _pos++;
            string file;
            int line, column;
            if (!AtEnd && Current == '"')
            {
                file = ReadQuoted();
                line = TagNumber(tagStart);
                column = TagNumber(tagStart);
            }
            else
            {
                var end = TokenEnd();
                var token = _line[_pos..end];
                var lastColon = token.LastIndexOf(':');
                var midColon = lastColon <= 0 ? -1 : token[..lastColon].LastIndexOf(':');
                if (midColon <= 0)
                {
                    throw new LineException(tagStart + 1, "expected the source tag as @file:line:col");
                }

                // Checked like any bare word; the word itself (file:line:col) is not kept.
                ReadString("a file name", listItem: false, keep: false);
                file = _pool.Get(token[..midColon]);
                _pos = tagStart + 1 + midColon;
                line = TagNumber(tagStart);
                column = TagNumber(tagStart);
            }

            SkipSpaces();
            if (!AtEnd)
            {
                throw new LineException(_pos + 1, "unexpected text after the source tag; the tag comes last");
            }

            return new SourceSpan(file, line, column);
        }

        private int TagNumber(int tagStart)
        {
            if (AtEnd || Current != ':')
            {
                throw new LineException(_pos + 1, "expected ':' and a number in the source tag @file:line:col");
            }

            _pos++;
            var start = _pos;
            while (!AtEnd && char.IsAsciiDigit(Current))
            {
                _pos++;
            }

            var digits = _line[start.._pos];
            if (digits.IsEmpty || (digits.Length > 1 && digits[0] == '0')
                || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                throw new LineException(start + 1, $"expected a line or column number in the source tag starting at column {tagStart + 1}");
            }

            return value;
        }

        private string ReadQuoted()
        {
            var start = _pos;
            _pos++;
            var sb = new StringBuilder();
            while (true)
            {
                if (AtEnd)
                {
                    throw new LineException(start + 1, "the quoted string is not closed; add '\"'");
                }

                var ch = Current;
                if (ch == '"')
                {
                    _pos++;
                    return sb.ToString();
                }

                if (ch < ' ' || ch == '\x7f')
                {
                    throw new LineException(_pos + 1, $"control character {Describe(ch)} inside quotes; write it as \\x{(int)ch:x2}");
                }

                if (ch != '\\')
                {
                    sb.Append(ch);
                    _pos++;
                    continue;
                }

                var escapeStart = _pos;
                _pos++;
                if (AtEnd)
                {
                    throw new LineException(escapeStart + 1, "the line ends inside an escape");
                }

                switch (Current)
                {
                    case '"': sb.Append('"'); _pos++; break;
                    case '\\': sb.Append('\\'); _pos++; break;
                    case 'n': sb.Append('\n'); _pos++; break;
                    case 't': sb.Append('\t'); _pos++; break;
                    case 'r': sb.Append('\r'); _pos++; break;
                    case 'x':
                        if (_pos + 2 < _line.Length
                            && int.TryParse(_line.Slice(_pos + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
                            && code < 0x80)
                        {
                            sb.Append((char)code);
                            _pos += 3;
                            break;
                        }

                        throw new LineException(escapeStart + 1, "expected \\x and two hex digits 00–7f; write non-ASCII characters as themselves (UTF-8)");
                    default:
                        throw new LineException(escapeStart + 1, $"unknown escape '\\{Current}'; use \\\" \\\\ \\n \\t \\r or \\xNN");
                }
            }
        }

        private void Separator(string what)
        {
            var start = _pos;
            SkipSpaces();
            if (AtEnd)
            {
                throw new LineException(_pos + 1, $"expected {what}");
            }

            if (Current == '@')
            {
                throw new LineException(_pos + 1, $"expected {what}, found the source tag; a value starting with '@' must be quoted");
            }

            if (_pos == start)
            {
                throw new LineException(_pos + 1, $"expected a space before {what}");
            }
        }

        private void SkipSpaces()
        {
            while (!AtEnd && IsSpace(Current))
            {
                _pos++;
            }
        }

        private readonly int TokenEnd()
        {
            var end = _pos;
            while (end < _line.Length && !IsSpace(_line[end]))
            {
                end++;
            }

            return end;
        }

        private static bool IsSpace(char c) => c is ' ' or '\t';

        private static string Describe(char c) => c is >= ' ' and < '\x7f' ? $"'{c}'" : $"0x{(int)c:x2}";

        private static string Shorten(ReadOnlySpan<char> text) => text.Length <= 40 ? text.ToString() : text[..40].ToString() + "…";
    }

    /// <summary>Shares the strings that repeat on many lines (owners, groups, source file names) instead of allocating each.</summary>
    private sealed class StringPool
    {
        private readonly HashSet<string> _strings = new(StringComparer.Ordinal);

        public string Get(ReadOnlySpan<char> text)
        {
            if (text.Length > 64)
            {
                return text.ToString();
            }

            var lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(text, out var existing))
            {
                return existing;
            }

            var created = text.ToString();
            _strings.Add(created);
            return created;
        }
    }
}
