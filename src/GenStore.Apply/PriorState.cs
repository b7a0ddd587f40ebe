using GenStore.Journal;
using GenStore.Store;

namespace GenStore.Apply;

/// <summary>What stood at an identity before gen took it over: the content of a Backup, restored when the step is undone.</summary>
/// <param name="Identity">The path or account the step manages.</param>
/// <param name="Kind">One of <see cref="PriorKinds"/>.</param>
/// <param name="Content">The store object holding a file's content; null for other kinds.</param>
/// <param name="LinkTarget">A symlink's target; null for other kinds.</param>
/// <param name="Mode">Permission bits of a file or directory.</param>
/// <param name="Uid">Owner of a file, directory or link.</param>
/// <param name="Gid">Group of a file, directory or link.</param>
public sealed record PriorState(StepIdentity Identity, string Kind, ObjectId? Content, string? LinkTarget, int Mode, long Uid, long Gid);

/// <summary>The kinds of <see cref="PriorState"/>; the same words the state database stores.</summary>
public static class PriorKinds
{
    /// <summary>A regular file, its content in the store.</summary>
    public const string File = "file";

    /// <summary>A directory: only its mode and owner are kept, its entries stay where they are.</summary>
    public const string Directory = "dir";

    /// <summary>A symbolic link.</summary>
    public const string Link = "link";

    /// <summary>A user account that existed before gen declared it: gen never deletes it.</summary>
    public const string User = "user";

    /// <summary>A group that existed before gen declared it: gen never deletes it.</summary>
    public const string Group = "group";
}

/// <summary>The applier's links to the state database: where backups are found and recorded, and where progress and warnings go.</summary>
/// <param name="FindPrior">The unrestored backup for an identity, if any.</param>
/// <param name="PriorSaved">Records a backup; must be durable when it returns, because the original is destroyed next.</param>
/// <param name="PriorRestored">Marks the backup of an identity as restored.</param>
/// <param name="Progress">Told the number of plan actions completed so far.</param>
/// <param name="Warning">Told of things left in place on purpose (a directory that still holds unmanaged files).</param>
public sealed record ApplyHooks(
    Func<StepIdentity, PriorState?> FindPrior,
    Action<PriorState> PriorSaved,
    Action<StepIdentity> PriorRestored,
    Action<int> Progress,
    Action<string> Warning);
