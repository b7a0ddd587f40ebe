namespace GenStore.Config.Syntax;

/// <summary>A value written in a <c>.gen</c> file.</summary>
internal abstract record Expr(SourcePos Position);

/// <summary>A quoted string or heredoc, possibly with <c>${…}</c> references.</summary>
internal sealed record StringExpr(SourcePos Position, IReadOnlyList<StringPart> Parts) : Expr(Position);

/// <summary>A decimal integer as written (kept as text so that <c>mode = 0644</c> can be read as octal).</summary>
internal sealed record NumberExpr(SourcePos Position, string Text) : Expr(Position);

/// <summary><c>true</c> or <c>false</c>.</summary>
internal sealed record BoolExpr(SourcePos Position, bool Value) : Expr(Position);

/// <summary>A bare name used as a value: a reference to a <c>let</c> variable.</summary>
internal sealed record NameExpr(SourcePos Position, string Name) : Expr(Position);

/// <summary><c>[a, b, …]</c>.</summary>
internal sealed record ListExpr(SourcePos Position, IReadOnlyList<Expr> Items) : Expr(Position);

/// <summary>A statement of a <c>.gen</c> file or of a <c>hosts</c> block.</summary>
internal abstract record Statement(SourcePos Position);

/// <summary><c>let name = value</c>.</summary>
internal sealed record LetStatement(SourcePos Position, string Name, SourcePos NamePosition, Expr Value) : Statement(Position);

/// <summary><c>include "file.gen"</c>.</summary>
internal sealed record IncludeStatement(SourcePos Position, Expr File) : Statement(Position);

/// <summary><c>hosts ["glob", …] { statements }</c>.</summary>
internal sealed record HostsStatement(SourcePos Position, Expr Patterns, IReadOnlyList<Statement> Body) : Statement(Position);

/// <summary><c>name = value</c> inside a block.</summary>
internal sealed record AttributeSyntax(SourcePos Position, string Name, Expr Value);

/// <summary>A resource block: <c>kind "label" { attributes }</c>.</summary>
internal sealed record BlockStatement(SourcePos Position, string Kind, Expr Label, IReadOnlyList<AttributeSyntax> Attributes, SourcePos End) : Statement(Position);
