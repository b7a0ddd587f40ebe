namespace GenStore.Config.Syntax;

/// <summary>The kinds of token in a <c>.gen</c> file.</summary>
internal enum TokenKind
{
    Identifier,
    String,
    Number,
    LeftBrace,
    RightBrace,
    LeftBracket,
    RightBracket,
    Equals,
    Comma,
    EndOfFile,
}

/// <summary>A piece of a string literal: literal text, or a <c>${name}</c> reference to a variable.</summary>
internal sealed record StringPart(string? Text, string? Variable, SourcePos Position);

/// <summary>One token, with its position and, for strings, its decoded parts.</summary>
internal sealed record Token(TokenKind Kind, string Text, SourcePos Position, bool FirstOnLine, IReadOnlyList<StringPart>? Parts = null)
{
    /// <summary>How the token reads in an error message.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.EndOfFile => "the end of the file",
        TokenKind.String => "a string",
        TokenKind.Number => $"the number {Text}",
        TokenKind.Identifier => $"'{Text}'",
        _ => $"'{Text}'",
    };
}
