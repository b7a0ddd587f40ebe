using GenStore.Journal;

namespace GenStore.Config;

/// <summary>What a COPY step's payload is made from: a file of the source tree (cacheable by its content key) or bytes computed by the compiler.</summary>
internal abstract record PayloadSource;

/// <summary>A file of the source tree, copied as it is.</summary>
internal sealed record EntryPayload(SourceEntry Entry) : PayloadSource;

/// <summary>Bytes computed at compile time: inline content, or a template expanded from <paramref name="Template"/>.</summary>
internal sealed record BytesPayload(byte[] Bytes, string? Template = null) : PayloadSource;

/// <summary>One step being compiled: the step itself (a COPY still without its payload id), where it came from and what it must come after.</summary>
internal sealed class Decl(Step step, SourcePos origin)
{
    /// <summary>The step; for COPY, the payload is filled in once it is hashed.</summary>
    public Step Step { get; set; } = step;

    /// <summary>The block that produced the step.</summary>
    public SourcePos Origin { get; } = origin;

    private List<(StepIdentity Target, SourcePos At)>? _after;

    /// <summary>Explicit <c>after</c> references, with where each is written (made on first use: most steps have none).</summary>
    public List<(StepIdentity Target, SourcePos At)> After => _after ??= [];

    /// <summary>True when the step has <c>after</c> references.</summary>
    public bool HasAfter => _after is { Count: > 0 };

    /// <summary>For COPY: what the payload is made from.</summary>
    public PayloadSource? Payload { get; init; }

    /// <summary>The MKDIR this path's parent folder is, when the evaluator knows it (inside a tree); saves a lookup per file.</summary>
    public Decl? Parent { get; init; }

    /// <summary>Declaration order: the tie-breaker of the ordering.</summary>
    public int Index { get; set; }
}
