using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using GenStore.Config.Syntax;
using GenStore.Journal;

namespace GenStore.Config;

/// <summary>Walks the statements of <c>main.gen</c> and its includes for one host, and turns blocks into steps (<see cref="Decl"/>s) in declaration order.</summary>
internal sealed partial class Evaluator
{
    /// <summary>Directory mode when none is given.</summary>
    public const int DefaultDirMode = 0x1ED; // 0755

    /// <summary>File mode when none is given (an executable source file gets 0755).</summary>
    public const int DefaultFileMode = 0x1A4; // 0644

    /// <summary>Owner and group when none are given.</summary>
    public const string DefaultOwner = "root";

    private static readonly Dictionary<string, string[]> Schemas = new(StringComparer.Ordinal)
    {
        ["dir"] = ["mode", "owner", "group", "after"],
        ["file"] = ["source", "content", "template", "mode", "owner", "group", "after"],
        ["tree"] = ["source", "dir_mode", "file_mode", "owner", "group", "after"],
        ["link"] = ["target", "after"],
        ["group"] = ["gid", "after"],
        ["user"] = ["uid", "group", "groups", "home", "shell", "after"],
        ["on_change"] = ["paths", "run", "after"],
    };

    private readonly ISourceTree _tree;
    private readonly string _hostId;
    private readonly DiagnosticBag _diagnostics;
    private readonly Dictionary<string, Value> _variables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourcePos> _variableOrigins = new(StringComparer.Ordinal);
    private readonly List<string> _includeStack = [];
    private readonly IdentityTable<Decl> _byIdentity = new();

    public Evaluator(ISourceTree tree, string hostId, DiagnosticBag diagnostics)
    {
        _tree = tree;
        _hostId = hostId;
        _diagnostics = diagnostics;
        _variables["host.id"] = new StringValue(default, hostId);
    }

    /// <summary>The steps found so far, in declaration order.</summary>
    public List<Decl> Decls { get; } = [];

    /// <summary>Bytes of template sources read (they are expanded on every compile).</summary>
    public long TemplateBytes { get; private set; }

    /// <summary>Every source file whose content the evaluation read (<c>.gen</c> files, templates): the journal depends
    /// on their bytes, where it depends on a copied file's bytes only through its payload id.</summary>
    public HashSet<string> ReadPaths { get; } = new(StringComparer.Ordinal);

    /// <summary>Evaluates the entry file; errors go to the bag.</summary>
    public void Run(string entryPoint)
    {
        var entry = _tree.Find(entryPoint);
        if (entry is null || entry.Kind != SourceEntryKind.File)
        {
            _diagnostics.Add(entryPoint, 0, 0, 1, $"there is no {entryPoint} at the root of {_tree.Name}", $"add {entryPoint}: it is the entry point of the configuration");
            return;
        }

        EvaluateFile(entry, null);
    }

    private void EvaluateFile(SourceEntry entry, SourcePos? includedAt)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(ReadAll(entry));
        }
        catch (DecoderFallbackException)
        {
            Report(includedAt, entry.Path, $"{entry.Path} is not valid UTF-8", "save it as UTF-8 text");
            return;
        }

        _diagnostics.AddSource(entry.Path, text);
        var statements = Parser.Parse(text, entry.Path, _diagnostics);
        _includeStack.Add(entry.Path);
        Evaluate(statements, active: true);
        _includeStack.RemoveAt(_includeStack.Count - 1);
    }

    private void Report(SourcePos? at, string file, string message, string expected)
    {
        if (at is { } pos)
        {
            _diagnostics.Add(pos, message, expected);
        }
        else
        {
            _diagnostics.Add(file, 0, 0, 1, message, expected);
        }
    }

    private byte[] ReadAll(SourceEntry entry)
    {
        ReadPaths.Add(entry.Path);
        using var stream = _tree.OpenRead(entry);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private void Evaluate(IReadOnlyList<Statement> statements, bool active)
    {
        foreach (var statement in statements)
        {
            switch (statement)
            {
                case LetStatement let when active:
                    EvaluateLet(let);
                    break;
                case IncludeStatement include when active:
                    EvaluateInclude(include);
                    break;
                case HostsStatement hosts:
                    var matches = active && HostsMatch(hosts);
                    Evaluate(hosts.Body, matches);
                    break;
                case BlockStatement block:
                    var reader = new BlockReader(this, block);
                    if (active)
                    {
                        EvaluateBlock(block, reader);
                    }

                    break;
            }
        }
    }

    private void EvaluateLet(LetStatement let)
    {
        if (let.Name == "host" || _variableOrigins.ContainsKey(let.Name))
        {
            var where = _variableOrigins.TryGetValue(let.Name, out var first) ? $" (first set at {first})" : " (it holds host facts)";
            _diagnostics.Add(let.NamePosition, $"variable '{let.Name}' is already defined{where}", "give the new variable another name; variables are set once");
            return;
        }

        var value = Eval(let.Value);
        if (value is not null)
        {
            _variables[let.Name] = value;
            _variableOrigins[let.Name] = let.NamePosition;
        }
    }

    private void EvaluateInclude(IncludeStatement include)
    {
        if (Eval(include.File) is not StringValue name)
        {
            ExpectType(include.File, "a string naming a .gen file, relative to the repo root");
            return;
        }

        var path = NormalizeSource(name.Text, include.File.Position);
        if (path is null)
        {
            return;
        }

        if (_includeStack.Contains(path, StringComparer.Ordinal))
        {
            var chain = string.Join(" -> ", _includeStack.SkipWhile(f => f != path).Append(path));
            _diagnostics.Add(include.File.Position, $"include cycle: {chain}", "remove one of these includes");
            return;
        }

        var entry = _tree.Find(path);
        if (entry is null || entry.Kind != SourceEntryKind.File)
        {
            _diagnostics.Add(include.File.Position, entry is null ? $"included file '{path}' is not in {_tree.Name}" : $"included '{path}' is not a file", "include a .gen file by its path from the repo root, and commit it");
            return;
        }

        EvaluateFile(entry, include.File.Position);
    }

    private bool HostsMatch(HostsStatement hosts)
    {
        var value = Eval(hosts.Patterns);
        var items = value switch
        {
            ListValue list => list.Items,
            StringValue s => [s],
            _ => null,
        };
        if (items is null || items.Any(i => i is not StringValue))
        {
            if (value is not null)
            {
                ExpectType(hosts.Patterns, "a list of host id patterns: hosts [\"web-*\", \"db-01\"] { … }");
            }

            return false;
        }

        return items.Cast<StringValue>().Any(p => HostGlob.IsMatch(p.Text, _hostId));
    }

    private void EvaluateBlock(BlockStatement block, BlockReader reader)
    {
        if (Eval(block.Label) is not StringValue label)
        {
            ExpectType(block.Label, block.Kind is "group" or "user" or "on_change" ? $"a quoted name: {block.Kind} \"name\" {{ … }}" : $"a quoted absolute path: {block.Kind} \"/path\" {{ … }}");
            return;
        }

        var origin = block.Position with { Length = block.Kind.Length };
        var span = origin.ToSpan();
        Decl? decl = null;
        switch (block.Kind)
        {
            case "dir":
            {
                var path = NormalizeTarget(label.Text, block.Label.Position);
                var mode = reader.Mode("mode") ?? DefaultDirMode;
                var (owner, group) = reader.Ownership();
                if (path is not null)
                {
                    decl = Add(new MkdirStep(path, mode, owner, group) { Source = span }, origin);
                }

                break;
            }

            case "file":
                decl = EvaluateFile(block, reader, label, origin);
                break;

            case "tree":
                decl = EvaluateTree(block, reader, label, origin);
                break;

            case "link":
            {
                var path = NormalizeTarget(label.Text, block.Label.Position);
                var target = reader.String("target", required: true);
                if (target is { Text.Length: 0 })
                {
                    _diagnostics.Add(target.Position, "link target is empty", "expected the path the link points to");
                }
                else if (path is not null && target is not null)
                {
                    decl = Add(new LinkStep(path, target.Text) { Source = span }, origin);
                }

                break;
            }

            case "group":
            {
                var gid = reader.Int("gid");
                if (CheckAccountName(label, "group"))
                {
                    decl = Add(new GroupStep(label.Text, gid) { Source = span }, origin);
                }

                break;
            }

            case "user":
            {
                var uid = reader.Int("uid");
                var primary = reader.AccountName("group");
                var groups = reader.StringList("groups")?.Select(g => g.Text).ToArray() ?? [];
                var home = reader.String("home") is { } h ? NormalizeTarget(h.Text, h.Position) : null;
                var shell = reader.String("shell") is { } s ? NormalizeTarget(s.Text, s.Position) : null;
                if (CheckAccountName(label, "user"))
                {
                    decl = Add(new UserStep(label.Text, uid, primary, new ValueList<string>(groups), home, shell) { Source = span }, origin);
                }

                break;
            }

            case "on_change":
            {
                var paths = reader.StringList("paths", required: true);
                var run = reader.StringList("run", required: true);
                foreach (var p in paths ?? [])
                {
                    if (!p.Text.StartsWith('/') || p.Text.Contains(',') || p.Text.Any(char.IsWhiteSpace))
                    {
                        _diagnostics.Add(p.Position, $"'{p.Text}' is not an absolute path pattern", "expected a pattern such as \"/etc/nginx/**\" (no spaces or commas)");
                    }
                }

                if (run is { Count: 0 })
                {
                    _diagnostics.Add(block.Position, "on_change needs a command", "expected run = [\"program\", \"arg\", …]");
                }

                if (CheckTriggerName(label) && paths is not null && run is { Count: > 0 })
                {
                    decl = Add(new RunStep(label.Text, new ValueList<string>(paths.Select(p => p.Text)), new ValueList<string>(run.Select(r => r.Text))) { Source = span }, origin);
                }

                break;
            }
        }

        var after = reader.StringList("after");
        reader.Finish();
        if (decl is not null && after is not null)
        {
            foreach (var item in after)
            {
                var target = ParseReference(item);
                if (target is { } t)
                {
                    decl.After.Add((t, item.Position));
                }
            }
        }
    }

    private Decl? EvaluateFile(BlockStatement block, BlockReader reader, StringValue label, SourcePos origin)
    {
        var path = NormalizeTarget(label.Text, block.Label.Position);
        var source = reader.String("source");
        var content = reader.String("content");
        var template = reader.Bool("template") ?? false;
        var mode = reader.Mode("mode");
        var (owner, group) = reader.Ownership();
        if ((source is null) == (content is null))
        {
            _diagnostics.Add(origin, source is null ? "the file block needs 'source' or 'content'" : "the file block has both 'source' and 'content'",
                "expected source = \"files/…\" (a file in the repo) or content = \"…\" (inline text), one of them");
            return null;
        }

        if (template && content is not null)
        {
            _diagnostics.Add(reader.PositionOf("template"), "template = true only applies to a source file", "remove it: ${…} in inline content is already expanded");
            return null;
        }

        PayloadSource payload;
        var executable = false;
        if (source is not null)
        {
            var sourcePath = NormalizeSource(source.Text, source.Position);
            if (sourcePath is null)
            {
                return null;
            }

            var entry = _tree.Find(sourcePath);
            if (entry is null || entry.Kind != SourceEntryKind.File)
            {
                var what = entry is null ? "is not in " + _tree.Name
                    : entry.Kind == SourceEntryKind.Directory ? "is a folder (use a tree block to copy a folder)"
                    : entry.Kind == SourceEntryKind.Symlink ? "is a symlink (use a link block, or point source at a file)"
                    : "is not a regular file";
                _diagnostics.Add(source.Position, $"source '{sourcePath}' {what}", "expected the path of a committed file, relative to the repo root");
                return null;
            }

            executable = entry.Executable;
            if (template)
            {
                var expanded = ExpandTemplate(entry);
                if (expanded is null)
                {
                    return null;
                }

                payload = new BytesPayload(expanded, entry.Path);
            }
            else
            {
                payload = new EntryPayload(entry);
            }
        }
        else
        {
            payload = new BytesPayload(Encoding.UTF8.GetBytes(content!.Text));
        }

        if (path is null)
        {
            return null;
        }

        var fileMode = mode ?? (executable ? 0x1ED : DefaultFileMode);
        return Add(new CopyStep(path, default, fileMode, owner, group) { Source = origin.ToSpan() }, origin, payload);
    }

    private Decl? EvaluateTree(BlockStatement block, BlockReader reader, StringValue label, SourcePos origin)
    {
        var root = NormalizeTarget(label.Text, block.Label.Position);
        var source = reader.String("source", required: true);
        var dirMode = reader.Mode("dir_mode") ?? DefaultDirMode;
        var fileMode = reader.Mode("file_mode") ?? DefaultFileMode;
        var (owner, group) = reader.Ownership();
        if (source is null || root is null)
        {
            return null;
        }

        var sourcePath = NormalizeSource(source.Text, source.Position);
        if (sourcePath is null)
        {
            return null;
        }

        var entry = _tree.Find(sourcePath);
        if (entry is null || entry.Kind != SourceEntryKind.Directory)
        {
            _diagnostics.Add(source.Position, entry is null ? $"tree source folder '{sourcePath}' is not in {_tree.Name}" : $"tree source '{sourcePath}' is not a folder",
                "expected a committed folder, relative to the repo root (git does not keep empty folders)");
            return null;
        }

        var span = origin.ToSpan();
        var execMode = fileMode | ((fileMode & 0x124) >> 2); // r bits give x bits: 0644 -> 0755, 0640 -> 0750
        var rootDecl = Add(new MkdirStep(root, dirMode, owner, group) { Source = span }, origin);
        if (rootDecl is not null)
        {
            ExpandFolder(sourcePath, root, rootDecl, source.Position, origin, dirMode, fileMode, execMode, owner, group);
        }
        return rootDecl;
    }

    /// <summary>Depth-first, in name order: a folder's MKDIR is followed by everything inside it, then by its next sibling.</summary>
    private void ExpandFolder(string dir, string target, Decl parent, SourcePos sourceAt, SourcePos origin, int dirMode, int fileMode, int execMode, string owner, string group)
    {
        var span = origin.ToSpan();
        foreach (var child in _tree.List(dir))
        {
            var childTarget = target + "/" + child.Name;
            switch (child.Kind)
            {
                case SourceEntryKind.Directory:
                    var folder = Add(new MkdirStep(childTarget, dirMode, owner, group) { Source = span }, origin, parent: parent);
                    if (folder is not null)
                    {
                        ExpandFolder(child.Path, childTarget, folder, sourceAt, origin, dirMode, fileMode, execMode, owner, group);
                    }

                    break;
                case SourceEntryKind.File:
                    Add(new CopyStep(childTarget, default, child.Executable ? execMode : fileMode, owner, group) { Source = span }, origin, new EntryPayload(child), parent);
                    break;
                case SourceEntryKind.Symlink:
                    Add(new LinkStep(childTarget, child.LinkTarget ?? string.Empty) { Source = span }, origin, parent: parent);
                    break;
                default:
                    _diagnostics.Add(sourceAt, $"'{child.Path}' in the tree source is neither a file, a folder nor a symlink (a git submodule?)", "remove it from the folder, or copy what it holds");
                    break;
            }
        }
    }

    private byte[]? ExpandTemplate(SourceEntry entry)
    {
        var bytes = ReadAll(entry);
        TemplateBytes += bytes.Length;
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            _diagnostics.Add(entry.Path, 0, 0, 1, $"template {entry.Path} is not valid UTF-8", "templates are text; drop template = true for binary files");
            return null;
        }

        _diagnostics.AddSource(entry.Path, text);
        var sb = new StringBuilder(text.Length);
        var line = 1;
        var lineStart = 0;
        var ok = true;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
                lineStart = i + 1;
            }

            if (c == '$' && i + 2 < text.Length && text[i + 1] == '$' && text[i + 2] == '{')
            {
                sb.Append("${");
                i += 2;
                continue;
            }

            if (c == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                var close = text.IndexOf('}', i + 2);
                var newline = text.IndexOf('\n', i + 2);
                var at = new SourcePos(entry.Path, line, i - lineStart + 1, close < 0 ? 2 : close - i + 1);
                if (close < 0 || (newline >= 0 && newline < close))
                {
                    _diagnostics.Add(at with { Length = 2 }, "'${' is not closed in the template", "expected ${name}; write $${ for a literal ${");
                    ok = false;
                    sb.Append(c);
                    continue;
                }

                var name = text[(i + 2)..close].Trim();
                var value = Lexer.IsVariableName(name) ? Lookup(name, at) : null;
                if (!Lexer.IsVariableName(name))
                {
                    _diagnostics.Add(at, $"'{name}' is not a variable name", "expected ${name} or ${host.id}; write $${ for a literal ${");
                }

                if (value is null)
                {
                    ok = false;
                }
                else
                {
                    sb.Append(value);
                }

                i = close;
                continue;
            }

            sb.Append(c);
        }

        return ok ? Encoding.UTF8.GetBytes(sb.ToString()) : null;
    }

    private Decl? Add(Step step, SourcePos origin, PayloadSource? payload = null, Decl? parent = null)
    {
        if (_byIdentity.TryGetValue(step.Identity, out var existing))
        {
            _diagnostics.Add(origin, $"{Describe(step.Identity)} is declared twice; first at {existing.Origin}", "keep one declaration: every path, user, group and trigger is managed by exactly one block");
            return null;
        }

        var decl = new Decl(step, origin) { Payload = payload, Parent = parent, Index = Decls.Count };
        Decls.Add(decl);
        _byIdentity.Set(step.Identity, decl);
        return decl;
    }

    internal static string Describe(StepIdentity identity) => identity.Kind switch
    {
        IdentityKind.Path => $"path {identity.Name}",
        IdentityKind.User => $"user {identity.Name}",
        IdentityKind.Group => $"group {identity.Name}",
        _ => $"on_change {identity.Name}",
    };

    private StepIdentity? ParseReference(StringValue item)
    {
        var text = item.Text;
        if (text.StartsWith('/'))
        {
            var path = NormalizeTarget(text, item.Position);
            return path is null ? null : new StepIdentity(IdentityKind.Path, path);
        }

        var colon = text.IndexOf(':');
        var kind = colon < 0 ? null : text[..colon] switch
        {
            "user" => (IdentityKind?)IdentityKind.User,
            "group" => IdentityKind.Group,
            "on_change" => IdentityKind.Trigger,
            _ => null,
        };
        if (kind is null || colon == text.Length - 1)
        {
            _diagnostics.Add(item.Position, $"'{text}' does not name a step", "expected an absolute path (\"/etc/nginx\") or user:NAME, group:NAME, on_change:NAME");
            return null;
        }

        return new StepIdentity(kind.Value, text[(colon + 1)..]);
    }

    private bool CheckAccountName(StringValue name, string what)
    {
        if (AccountNameRegex().IsMatch(name.Text))
        {
            return true;
        }

        _diagnostics.Add(name.Position, $"'{name.Text}' is not a valid {what} name", "expected lowercase letters, digits, '_', '-' or '.', starting with a letter or '_', at most 32 characters");
        return false;
    }

    private bool CheckTriggerName(StringValue name)
    {
        if (name.Text.Length > 0 && name.Text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            return true;
        }

        _diagnostics.Add(name.Position, $"'{name.Text}' is not a valid trigger name", "expected letters, digits, '_', '-' or '.'");
        return false;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_.-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex AccountNameRegex();

    /// <summary>An absolute machine path in normal form, or null (with an error) when it cannot be one.</summary>
    internal string? NormalizeTarget(string text, SourcePos at)
    {
        if (!text.StartsWith('/'))
        {
            _diagnostics.Add(at, $"'{text}' is not an absolute path", "expected a path starting with /");
            return null;
        }

        var parts = new List<string>();
        foreach (var part in text.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part is "." or ".." || part.Contains('\0'))
            {
                _diagnostics.Add(at, $"'{text}' has a '{(part.Contains('\0') ? "\\0" : part)}' component", "write the path without . or .. components");
                return null;
            }

            parts.Add(part);
        }

        if (parts.Count == 0)
        {
            _diagnostics.Add(at, "'/' itself cannot be managed", "expected a path below /");
            return null;
        }

        return "/" + string.Join('/', parts);
    }

    /// <summary>A repo-relative path in normal form ('/'-separated, no leading or trailing '/'), or null with an error.</summary>
    internal string? NormalizeSource(string text, SourcePos at)
    {
        if (text.StartsWith('/'))
        {
            _diagnostics.Add(at, $"source '{text}' is an absolute path", "expected a path relative to the repo root, such as \"files/nginx.conf\"");
            return null;
        }

        var parts = new List<string>();
        foreach (var part in text.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == ".." || part.Contains('\0'))
            {
                _diagnostics.Add(at, $"source '{text}' leaves the repo", "expected a path inside the repo, without .. components");
                return null;
            }

            parts.Add(part);
        }

        return string.Join('/', parts);
    }

    private void ExpectType(Expr expr, string expected)
    {
        if (Eval(expr, report: false) is { } value)
        {
            _diagnostics.Add(expr.Position, $"found {value.TypeName}", "expected " + expected);
        }
    }

    /// <summary>The value of an expression, or null (after reporting) when a variable in it is unknown or of the wrong type.</summary>
    internal Value? Eval(Expr expr, bool report = true)
    {
        switch (expr)
        {
            case StringExpr s:
            {
                if (s.Parts.Count == 1 && s.Parts[0].Text is { } only)
                {
                    return new StringValue(s.Position, only);
                }

                var sb = new StringBuilder();
                var ok = true;
                foreach (var part in s.Parts)
                {
                    if (part.Text is not null)
                    {
                        sb.Append(part.Text);
                    }
                    else if ((report ? Lookup(part.Variable!, part.Position) : LookupQuiet(part.Variable!)) is { } text)
                    {
                        sb.Append(text);
                    }
                    else
                    {
                        ok = false;
                    }
                }

                return ok ? new StringValue(s.Position, sb.ToString()) : null;
            }

            case NumberExpr n:
                return new NumberValue(n.Position, n.Text);
            case BoolExpr b:
                return new BoolValue(b.Position, b.Value);
            case NameExpr name:
                if (_variables.TryGetValue(name.Name, out var value))
                {
                    // Keep the use's position so type errors point at the use, not at the let.
                    return value with { Position = name.Position };
                }

                if (report)
                {
                    _diagnostics.Add(name.Position, $"unknown variable '{name.Name}'", UnknownVariableHint(name.Name));
                }

                return null;
            case ListExpr list:
            {
                var items = new List<Value>();
                var ok = true;
                foreach (var item in list.Items)
                {
                    var v = Eval(item, report);
                    if (v is null)
                    {
                        ok = false;
                    }
                    else
                    {
                        items.Add(v);
                    }
                }

                return ok ? new ListValue(list.Position, items) : null;
            }

            default:
                return null;
        }
    }

    private string? LookupQuiet(string name) =>
        _variables.TryGetValue(name, out var value) ? Stringify(value) : null;

    private string? Lookup(string name, SourcePos at)
    {
        if (!_variables.TryGetValue(name, out var value))
        {
            _diagnostics.Add(at, $"unknown variable '{name}'", UnknownVariableHint(name));
            return null;
        }

        var text = Stringify(value);
        if (text is null)
        {
            _diagnostics.Add(at, $"variable '{name}' is a list and cannot be put into text", "use a string, number or true/false variable here");
        }

        return text;
    }

    private string UnknownVariableHint(string name)
    {
        var known = _variables.Keys.Order(StringComparer.Ordinal).ToList();
        return $"set it with let {name.Replace('.', '_')} = … before this line; known here: {string.Join(", ", known)}";
    }

    private static string? Stringify(Value value) => value switch
    {
        StringValue s => s.Text,
        NumberValue n => n.Text,
        BoolValue b => b.Flag ? "true" : "false",
        _ => null,
    };

    /// <summary>Reads and checks the attributes of one block: unknown and repeated names, types, required ones.</summary>
    private sealed class BlockReader
    {
        private readonly Evaluator _owner;
        private readonly BlockStatement _block;
        private readonly Dictionary<string, AttributeSyntax> _attributes = new(StringComparer.Ordinal);

        public BlockReader(Evaluator owner, BlockStatement block)
        {
            _owner = owner;
            _block = block;
            var allowed = Schemas[block.Kind];
            foreach (var attribute in block.Attributes)
            {
                var at = attribute.Position with { Length = attribute.Name.Length };
                if (!allowed.Contains(attribute.Name))
                {
                    owner._diagnostics.Add(at, $"unknown attribute '{attribute.Name}' in a {block.Kind} block", $"expected one of: {string.Join(", ", allowed)}");
                }
                else if (!_attributes.TryAdd(attribute.Name, attribute))
                {
                    owner._diagnostics.Add(at, $"attribute '{attribute.Name}' is set twice", "set each attribute once");
                }
            }
        }

        public SourcePos PositionOf(string name) => _attributes.TryGetValue(name, out var a) ? a.Position with { Length = name.Length } : _block.Position;

        public void Finish()
        {
        }

        private Value? Get(string name, bool required, string example)
        {
            if (!_attributes.TryGetValue(name, out var attribute))
            {
                if (required)
                {
                    _owner._diagnostics.Add(_block.Position with { Length = _block.Kind.Length }, $"the {_block.Kind} block needs '{name}'", $"expected {name} = {example}");
                }

                return null;
            }

            return _owner.Eval(attribute.Value);
        }

        private T? Typed<T>(string name, bool required, string example)
            where T : Value
        {
            var value = Get(name, required, example);
            if (value is null or T)
            {
                return (T?)value;
            }

            _owner._diagnostics.Add(value.Position, $"'{name}' is {value.TypeName}", $"expected {name} = {example}");
            return null;
        }

        public StringValue? String(string name, bool required = false) => Typed<StringValue>(name, required, "\"…\"");

        public bool? Bool(string name) => Typed<BoolValue>(name, false, "true")?.Flag;

        public int? Int(string name)
        {
            var number = Typed<NumberValue>(name, false, "1001");
            if (number is null)
            {
                return null;
            }

            var n = number.AsInt();
            if (n is null)
            {
                _owner._diagnostics.Add(number.Position, $"{number.Text} is too large for '{name}'", "expected a number below 2147483648");
            }

            return n;
        }

        public int? Mode(string name)
        {
            var value = Get(name, false, "\"0644\"");
            var text = value switch
            {
                StringValue s => s.Text,
                NumberValue n => n.Text,
                _ => null,
            };
            if (value is null)
            {
                return null;
            }

            if (text is not null && text.Length is >= 3 and <= 4 && text.All(c => c is >= '0' and <= '7'))
            {
                return Convert.ToInt32(text, 8);
            }

            _owner._diagnostics.Add(value.Position, $"'{text ?? value.TypeName}' is not a file mode", $"expected an octal mode such as {name} = \"0644\" or \"0755\"");
            return null;
        }

        public (string Owner, string Group) Ownership() => (AccountName("owner") ?? DefaultOwner, AccountName("group") ?? DefaultOwner);

        public string? AccountName(string name)
        {
            var value = String(name);
            if (value is null)
            {
                return null;
            }

            return _owner.CheckAccountName(value, name == "owner" ? "user" : "group") ? value.Text : null;
        }

        public List<StringValue>? StringList(string name, bool required = false)
        {
            var value = Get(name, required, "[\"…\", …]");
            switch (value)
            {
                case null:
                    return null;
                case ListValue list when list.Items.All(i => i is StringValue):
                    return list.Items.Cast<StringValue>().ToList();
                case ListValue list:
                    var bad = list.Items.First(i => i is not StringValue);
                    _owner._diagnostics.Add(bad.Position, $"list item is {bad.TypeName}", $"expected {name} to be a list of strings");
                    return null;
                default:
                    _owner._diagnostics.Add(value.Position, $"'{name}' is {value.TypeName}", $"expected a list: {name} = [\"…\", …]");
                    return null;
            }
        }
    }
}
