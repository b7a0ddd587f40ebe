using GenStore.Store;

namespace GenStore.Journal;

/// <summary>Where in a <c>.gen</c> file (or an included journal) a step came from; printed <c>@file:line:col</c>.</summary>
public readonly record struct SourceSpan(string File, int Line, int Column)
{
    /// <summary>No known origin (a hand-written journal line without a tag).</summary>
    public static readonly SourceSpan None = new(string.Empty, 0, 0);

    /// <inheritdoc/>
    public override string ToString() => File.Length == 0 ? "(unknown)" : $"{File}:{Line}:{Column}";
}

/// <summary>The namespace an identity lives in: paths, user names, group names and trigger names never clash.</summary>
public enum IdentityKind
{
    /// <summary>A filesystem path (MKDIR, COPY, LINK).</summary>
    Path,

    /// <summary>A user account name (USER).</summary>
    User,

    /// <summary>A group name (GROUP).</summary>
    Group,

    /// <summary>A trigger name (RUN).</summary>
    Trigger,
}

/// <summary>What a step is about: unique within one journal, and the key the diff matches steps by.</summary>
public readonly record struct StepIdentity(IdentityKind Kind, string Name)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()} {Name}";
}

/// <summary>One atomic, idempotent action of a journal, with the source line that produced it.</summary>
/// <remarks>
/// Records give value equality over every member, so two steps are "the same" exactly when they would
/// print the same line. <see cref="Source"/> is deliberately excluded from equality: moving a block in a
/// <c>.gen</c> file must not make the diff touch the disk.
/// </remarks>
public abstract record Step
{
    /// <summary>The origin of this step, for error messages and <c>gen explain</c>.</summary>
    public SourceSpan Source { get; init; } = SourceSpan.None;

    /// <summary>Where the step's own line is in a journal file (file, line, column 1); <see cref="SourceSpan.None"/> for steps built in memory.</summary>
    /// <remarks>Not printed and not part of equality: it only lets errors name the journal line as well as the <c>.gen</c> line.</remarks>
    public SourceSpan Location { get; init; } = SourceSpan.None;

    /// <summary>The identity this step owns.</summary>
    public abstract StepIdentity Identity { get; }

    /// <summary>The journal keyword (MKDIR, COPY, …).</summary>
    public abstract string Keyword { get; }

    /// <summary>The name of the step's inverse, what undoing it does (DESIGN §5): RMDIR, RM, UNLINK, USERDEL, GROUPDEL; null for RUN, which is a trigger, not a state.</summary>
    public string? InverseKeyword => this switch
    {
        MkdirStep => "RMDIR",
        CopyStep => "RM",
        LinkStep => "UNLINK",
        UserStep => "USERDEL",
        GroupStep => "GROUPDEL",
        _ => null,
    };

    /// <summary>Equality ignores <see cref="Source"/>; subclasses compare their own members.</summary>
    public virtual bool Equals(Step? other) => other is not null && EqualityContract == other.EqualityContract;

    /// <inheritdoc/>
    public override int GetHashCode() => EqualityContract.GetHashCode();
}

/// <summary>A directory gen creates and owns: <c>MKDIR path mode owner group</c>.</summary>
public sealed record MkdirStep(string Path, int Mode, string Owner, string Group) : Step
{
    /// <inheritdoc/>
    public override StepIdentity Identity => new(IdentityKind.Path, Path);

    /// <inheritdoc/>
    public override string Keyword => "MKDIR";
}

/// <summary>A regular file whose content is a store object: <c>COPY path b3:… mode owner group</c>.</summary>
public sealed record CopyStep(string Path, ObjectId Payload, int Mode, string Owner, string Group) : Step
{
    /// <inheritdoc/>
    public override StepIdentity Identity => new(IdentityKind.Path, Path);

    /// <inheritdoc/>
    public override string Keyword => "COPY";
}

/// <summary>A symbolic link: <c>LINK path target</c>. The target is stored verbatim, relative or absolute.</summary>
public sealed record LinkStep(string Path, string Target) : Step
{
    /// <inheritdoc/>
    public override StepIdentity Identity => new(IdentityKind.Path, Path);

    /// <inheritdoc/>
    public override string Keyword => "LINK";
}

/// <summary>A group account: <c>GROUP name [gid=N]</c>.</summary>
public sealed record GroupStep(string Name, int? Gid) : Step
{
    /// <inheritdoc/>
    public override StepIdentity Identity => new(IdentityKind.Group, Name);

    /// <inheritdoc/>
    public override string Keyword => "GROUP";
}

/// <summary>A user account: <c>USER name [uid=N] [group=G] [groups=a,b] [home=/…] [shell=/…]</c>.</summary>
public sealed record UserStep(string Name, int? Uid, string? PrimaryGroup, ValueList<string> Groups, string? Home, string? Shell) : Step
{
    /// <inheritdoc/>
    public override StepIdentity Identity => new(IdentityKind.User, Name);

    /// <inheritdoc/>
    public override string Keyword => "USER";
}

/// <summary>A trigger, not a state: <c>RUN name on=glob,… argv=[…]</c> runs after a switch that changed a matching path.</summary>
public sealed record RunStep(string Name, ValueList<string> On, ValueList<string> Argv) : Step
{
    /// <inheritdoc/>
    public override StepIdentity Identity => new(IdentityKind.Trigger, Name);

    /// <inheritdoc/>
    public override string Keyword => "RUN";
}
