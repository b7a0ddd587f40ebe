using System.Globalization;

namespace GenStore.Config;

/// <summary>A value of the config language after evaluation.</summary>
internal abstract record Value(SourcePos Position)
{
    /// <summary>The type name used in messages.</summary>
    public abstract string TypeName { get; }
}

/// <summary>A string.</summary>
internal sealed record StringValue(SourcePos Position, string Text) : Value(Position)
{
    public override string TypeName => "a string";
}

/// <summary>A non-negative integer, with its text as written.</summary>
internal sealed record NumberValue(SourcePos Position, string Text) : Value(Position)
{
    public override string TypeName => "a number";

    /// <summary>The decimal value, or null when it does not fit.</summary>
    public int? AsInt() => int.TryParse(Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}

/// <summary>true or false.</summary>
internal sealed record BoolValue(SourcePos Position, bool Flag) : Value(Position)
{
    public override string TypeName => "true/false";
}

/// <summary>A list.</summary>
internal sealed record ListValue(SourcePos Position, IReadOnlyList<Value> Items) : Value(Position)
{
    public override string TypeName => "a list";
}
