namespace GenStore.Config.Syntax;

/// <summary>Parses the tokens of one <c>.gen</c> file into statements, reporting every syntax error and recovering at the next statement or attribute.</summary>
internal sealed class Parser
{
    /// <summary>The resource block kinds, in the order they are listed in messages.</summary>
    public static readonly string[] BlockKinds = ["dir", "file", "tree", "link", "group", "user", "on_change"];

    private static readonly string StatementList = "expected a block: dir, file, tree, link, group, user, on_change, include, hosts or let";

    private readonly List<Token> _tokens;
    private readonly DiagnosticBag _diagnostics;
    private readonly IReadOnlyList<string> _blockKinds;
    private readonly string _statementList;
    private int _index;

    private Parser(List<Token> tokens, DiagnosticBag diagnostics, IReadOnlyList<string>? blockKinds)
    {
        _tokens = tokens;
        _diagnostics = diagnostics;
        _blockKinds = blockKinds ?? BlockKinds;
        _statementList = blockKinds is null ? StatementList : $"expected a block: {string.Join(", ", blockKinds)}";
    }

    /// <summary>The statements of a file; syntax errors go to <paramref name="diagnostics"/> and the broken statements are left out.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="file">The file name used in positions.</param>
    /// <param name="diagnostics">Receives the syntax errors.</param>
    /// <param name="blockKinds">The block kinds this file may hold instead of the resource blocks (fleet.gen has its own).</param>
    public static IReadOnlyList<Statement> Parse(string text, string file, DiagnosticBag diagnostics, IReadOnlyList<string>? blockKinds = null)
    {
        var tokens = Lexer.Tokenize(text, file, diagnostics);
        var parser = new Parser(tokens, diagnostics, blockKinds);
        return parser.ParseStatements(topLevel: true);
    }

    private Token Peek => _tokens[_index];

    private Token Advance()
    {
        var token = _tokens[_index];
        if (token.Kind != TokenKind.EndOfFile)
        {
            _index++;
        }

        return token;
    }

    private bool IsStatementStart(Token token) =>
        token.Kind == TokenKind.Identifier && (token.Text is "let" or "include" or "hosts" || _blockKinds.Contains(token.Text));

    private List<Statement> ParseStatements(bool topLevel)
    {
        var statements = new List<Statement>();
        while (true)
        {
            var token = Peek;
            if (token.Kind == TokenKind.EndOfFile)
            {
                return statements;
            }

            if (token.Kind == TokenKind.RightBrace)
            {
                if (!topLevel)
                {
                    return statements;
                }

                Advance();
                _diagnostics.Add(token.Position, "'}' without a matching '{'", "remove it, or open the block it closes");
                continue;
            }

            var statement = ParseStatement();
            if (statement is null)
            {
                Recover();
            }
            else
            {
                statements.Add(statement);
            }
        }
    }

    /// <summary>Skips to the next token that starts a line and a statement, or to a '}' that closes the enclosing block.</summary>
    private void Recover()
    {
        var depth = 0;
        while (true)
        {
            var token = Peek;
            if (token.Kind == TokenKind.EndOfFile)
            {
                return;
            }

            if (depth == 0 && token.FirstOnLine && IsStatementStart(token))
            {
                return;
            }

            if (token.Kind == TokenKind.LeftBrace)
            {
                depth++;
            }
            else if (token.Kind == TokenKind.RightBrace)
            {
                if (depth == 0)
                {
                    return;
                }

                depth--;
                if (depth == 0)
                {
                    Advance();
                    return;
                }
            }

            Advance();
        }
    }

    private Statement? ParseStatement()
    {
        var keyword = Advance();
        if (keyword.Kind != TokenKind.Identifier)
        {
            _diagnostics.Add(keyword.Position, $"unexpected {keyword.Describe()}", _statementList);
            return null;
        }

        switch (keyword.Text)
        {
            case "let":
            {
                var name = Advance();
                if (name.Kind != TokenKind.Identifier)
                {
                    _diagnostics.Add(name.Position, $"unexpected {name.Describe()} after let", "expected a variable name: let name = value");
                    return null;
                }

                if (!Expect(TokenKind.Equals, "'=' after the variable name: let name = value"))
                {
                    return null;
                }

                var value = ParseExpr();
                return value is null ? null : new LetStatement(keyword.Position, name.Text, name.Position, value);
            }

            case "include":
            {
                var file = ParseExpr();
                if (file is null)
                {
                    return null;
                }

                return new IncludeStatement(keyword.Position, file);
            }

            case "hosts":
            {
                var patterns = ParseExpr();
                if (patterns is null || !Expect(TokenKind.LeftBrace, "'{' after the host patterns: hosts [\"web-*\"] { … }"))
                {
                    return null;
                }

                var body = ParseStatements(topLevel: false);
                if (!Expect(TokenKind.RightBrace, "'}' to close the hosts block"))
                {
                    return null;
                }

                return new HostsStatement(keyword.Position, patterns, body);
            }
        }

        if (!_blockKinds.Contains(keyword.Text))
        {
            _diagnostics.Add(keyword.Position, $"unknown block '{keyword.Text}'", _statementList);
            return null;
        }

        var label = ParseExpr();
        if (label is null)
        {
            return null;
        }

        if (!Expect(TokenKind.LeftBrace, $"'{{' to open the {keyword.Text} block"))
        {
            return null;
        }

        var attributes = new List<AttributeSyntax>();
        while (true)
        {
            var token = Peek;
            if (token.Kind == TokenKind.RightBrace)
            {
                Advance();
                return new BlockStatement(keyword.Position, keyword.Text, label, attributes, token.Position);
            }

            if (token.Kind == TokenKind.EndOfFile)
            {
                _diagnostics.Add(keyword.Position with { Length = keyword.Text.Length }, $"the {keyword.Text} block is not closed", "expected '}' before the end of the file");
                return null;
            }

            if (token.Kind == TokenKind.Identifier && token.FirstOnLine && IsStatementStart(token) && _tokens[_index + 1].Kind != TokenKind.Equals)
            {
                // A new block starts before this one was closed: report the missing brace here, keep the next block.
                _diagnostics.Add(token.Position, $"the {keyword.Text} block that starts at line {keyword.Position.Line} is not closed", "expected '}' before the next block");
                return null;
            }

            var attribute = ParseAttribute();
            if (attribute is null)
            {
                if (!SkipToNextAttribute())
                {
                    return null;
                }

                continue;
            }

            attributes.Add(attribute);
        }
    }

    /// <summary>After a broken attribute: skips to the next attribute or the closing brace; false when the block cannot be recovered.</summary>
    private bool SkipToNextAttribute()
    {
        var depth = 0;
        while (true)
        {
            var token = Peek;
            if (token.Kind == TokenKind.EndOfFile)
            {
                return false;
            }

            if (depth == 0 && token.Kind == TokenKind.RightBrace)
            {
                return true;
            }

            if (depth == 0 && token.FirstOnLine && token.Kind == TokenKind.Identifier)
            {
                return !(IsStatementStart(token) && _tokens[_index + 1].Kind != TokenKind.Equals);
            }

            if (token.Kind is TokenKind.LeftBrace or TokenKind.LeftBracket)
            {
                depth++;
            }
            else if (token.Kind is TokenKind.RightBrace or TokenKind.RightBracket)
            {
                depth = Math.Max(0, depth - 1);
            }

            Advance();
        }
    }

    private AttributeSyntax? ParseAttribute()
    {
        var name = Advance();
        if (name.Kind != TokenKind.Identifier)
        {
            _diagnostics.Add(name.Position, $"unexpected {name.Describe()} in a block", "expected an attribute: name = value, or '}' to close the block");
            return null;
        }

        if (!Expect(TokenKind.Equals, $"'=' after '{name.Text}': {name.Text} = value"))
        {
            return null;
        }

        var value = ParseExpr();
        return value is null ? null : new AttributeSyntax(name.Position, name.Text, value);
    }

    private bool Expect(TokenKind kind, string expected)
    {
        var token = Peek;
        if (token.Kind == kind)
        {
            Advance();
            return true;
        }

        _diagnostics.Add(token.Position, $"unexpected {token.Describe()}", "expected " + expected);
        return false;
    }

    private Expr? ParseExpr()
    {
        var token = Advance();
        switch (token.Kind)
        {
            case TokenKind.String:
                return new StringExpr(token.Position, token.Parts!);
            case TokenKind.Number:
                return new NumberExpr(token.Position, token.Text);
            case TokenKind.Identifier when token.Text is "true" or "false":
                return new BoolExpr(token.Position, token.Text == "true");
            case TokenKind.Identifier:
                return new NameExpr(token.Position, token.Text);
            case TokenKind.LeftBracket:
            {
                var items = new List<Expr>();
                while (true)
                {
                    if (Peek.Kind == TokenKind.RightBracket)
                    {
                        Advance();
                        return new ListExpr(token.Position, items);
                    }

                    var item = ParseExpr();
                    if (item is null)
                    {
                        return null;
                    }

                    items.Add(item);
                    if (Peek.Kind == TokenKind.Comma)
                    {
                        Advance();
                    }
                    else if (Peek.Kind != TokenKind.RightBracket)
                    {
                        _diagnostics.Add(Peek.Position, $"unexpected {Peek.Describe()} in a list", "expected ',' or ']'");
                        return null;
                    }
                }
            }

            default:
                _diagnostics.Add(token.Position, $"unexpected {token.Describe()}", "expected a value: a string, a number, true, false, a variable name or a [list]");
                return null;
        }
    }
}
