using GenStore.Apply;
using GenStore.Journal;

namespace GenStore.Generations;

/// <summary>The applier's view of the backups table: unrestored backups by identity, each new one recorded durably before the original is destroyed.</summary>
internal sealed class BackupBook
{
    private readonly StateDb _db;
    private readonly Dictionary<string, Backup> _open;

    public BackupBook(StateDb db)
    {
        _db = db;

        // The newest unrestored backup of a key wins: it is the state just before gen took the identity over.
        _open = db.Backups().Where(b => !b.Restored).GroupBy(b => b.Path, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.MaxBy(b => b.Id)!, StringComparer.Ordinal);
    }

    public PriorState? Find(StepIdentity identity) =>
        _open.TryGetValue(Key(identity), out var b)
            ? new PriorState(identity, b.Kind, b.Object, b.LinkTarget, b.Mode, b.Uid, b.Gid)
            : null;

    public void Save(PriorState prior)
    {
        var backup = new NewBackup(Key(prior.Identity), prior.Kind, prior.Content, prior.LinkTarget, prior.Mode, prior.Uid, prior.Gid);

        // Recorded in its own durable transaction now, not at the commit: a crash between here and the commit
        // must not leave a backed-up original that no row points to (gc would delete it).
        var id = _db.AddBackup(backup);
        _open[backup.Path] = _db.GetBackup(id)!;
    }

    public void Restored(StepIdentity identity)
    {
        if (_open.Remove(Key(identity), out var backup))
        {
            _db.MarkBackupRestored(backup.Id);
        }
    }

    /// <summary>Paths are their own key; accounts get a prefix no path can have.</summary>
    public static string Key(StepIdentity identity) => identity.Kind switch
    {
        IdentityKind.Path => identity.Name,
        IdentityKind.User => "user:" + identity.Name,
        IdentityKind.Group => "group:" + identity.Name,
        _ => "trigger:" + identity.Name,
    };
}
