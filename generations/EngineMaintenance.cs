using GenStore.Git;
using GenStore.Journal;
using GenStore.Store;

namespace GenStore.Generations;

/// <summary>What <c>gen verify</c> found and did.</summary>
/// <param name="Checked">Managed paths checked.</param>
/// <param name="Drifts">Paths that did not match.</param>
/// <param name="Repaired">True when the drifted paths were backed up and restored.</param>
public sealed record VerifyReport(int Checked, IReadOnlyList<Drift> Drifts, bool Repaired);

/// <summary>What <c>gen gc</c> removed, or would remove with <c>--dry-run</c>.</summary>
/// <param name="Generations">The generations deleted.</param>
/// <param name="Objects">Store objects no kept generation or backup needs.</param>
/// <param name="Bytes">Their total size.</param>
/// <param name="DryRun">True when nothing was deleted.</param>
public sealed record GcReport(IReadOnlyList<Generation> Generations, int Objects, long Bytes, bool DryRun);

public sealed partial class Engine
{
    /// <summary>Creates the state and mirrors the config repo at <paramref name="remote"/> (a path or URL) with the git CLI.</summary>
    public void Init(string remote)
    {
        if (Directory.Exists(MirrorPath))
        {
            throw new InputException($"this machine already mirrors {GitCli.RemoteOf(MirrorPath)}; run 'gen fetch' to update it");
        }

        GitCli.CloneMirror(remote, MirrorPath);
    }

    /// <summary>Updates the mirror from its remote; a failure is recorded and leaves the mirror as it was.</summary>
    public void Fetch()
    {
        if (!Directory.Exists(MirrorPath))
        {
            throw new InputException($"no mirror at {MirrorPath}; run 'gen init <url>' first");
        }

        try
        {
            GitCli.Fetch(MirrorPath);
            Db.RecordFetch(null);
        }
        catch (InputException e)
        {
            Db.RecordFetch(e.Message);
            Db.AddEvent(EventKind.FetchError, e.Message, Db.CurrentNumber);
            throw;
        }
    }

    /// <summary>Checks every managed path of the current generation; with <paramref name="repair"/>, backs drifted ones up and restores them.</summary>
    /// <param name="full">Rehash every file instead of trusting the stat cache.</param>
    /// <param name="repair">Put the current generation's state back where it drifted.</param>
    public VerifyReport Verify(bool full, bool repair)
    {
        var current = Db.Current ?? throw new InputException("there is no current generation to verify; run 'gen switch <rev>' first");
        using var held = repair ? Lock() : null;
        var journal = LoadJournal(current.Journal);
        var drifts = Drifts(journal, full);
        if (drifts.Count > 0)
        {
            Db.AddEvent(EventKind.Drift, $"{drifts.Count} drifted path(s); first: {drifts[0]}", current.Number);
        }

        if (!repair || drifts.Count == 0)
        {
            return new VerifyReport(journal.Steps.Count, drifts, Repaired: false);
        }

        BackUpDrifted(drifts);
        var byPath = journal.Steps.Where(s => s.Identity.Kind == IdentityKind.Path).ToDictionary(s => s.Identity.Name, StringComparer.Ordinal);

        // Rewriting a step over itself is a change in place: the applier writes what is missing or different.
        var plan = new Plan([.. drifts.Select(d => PlanAction.Modify(byPath[d.Path], byPath[d.Path]))]);
        Execute(plan, 0, [], verifyBeforeRemove: false);
        Db.UpdatePathCache(PathCacheDelta(plan, journal));
        Db.AddEvent(EventKind.Drift, $"repaired {drifts.Count} drifted path(s)", current.Number);
        return new VerifyReport(journal.Steps.Count, drifts, Repaired: true);
    }

    /// <summary>Deletes generations the rules do not keep, then every store object that no kept generation, backup or open switch needs.</summary>
    public GcReport Gc(GcRules rules, bool dryRun)
    {
        using var held = Lock();
        var doomed = Db.SelectForGc(rules);
        var doomedNumbers = doomed.Select(g => g.Number).ToHashSet();
        var live = new HashSet<ObjectId>();
        foreach (var generation in Db.List().Where(g => !doomedNumbers.Contains(g.Number)))
        {
            AddLive(live, generation.Journal);
        }

        var roots = Db.GcRoots();
        foreach (var journal in roots.Journals.Where(j => !live.Contains(j)))
        {
            // Journals the database still needs beyond the kept generations (an open intent's target).
            if (!doomed.Any(g => g.Journal == journal) || Db.OpenIntent?.Journal == journal)
            {
                AddLive(live, journal);
            }
        }

        live.UnionWith(roots.Objects.Where(o => !roots.Journals.Contains(o)));
        var garbage = Store.Enumerate().Where(id => !live.Contains(id)).ToList();
        var bytes = garbage.Sum(Store.SizeOf);
        if (!dryRun)
        {
            Db.DeleteGenerations(doomedNumbers);
            foreach (var id in garbage)
            {
                Store.Delete(id);
            }

            Db.AddEvent(EventKind.Gc, $"deleted {doomed.Count} generation(s) and {garbage.Count} object(s), {bytes} bytes", Db.CurrentNumber);
        }

        return new GcReport(doomed, garbage.Count, bytes, dryRun);
    }

    /// <summary>Exempts generation <paramref name="number"/> from gc.</summary>
    public void Pin(int number) => Db.Pin(number);

    /// <summary>Makes generation <paramref name="number"/> subject to gc again.</summary>
    public void Unpin(int number) => Db.Unpin(number);

    private void AddLive(HashSet<ObjectId> live, ObjectId journalId)
    {
        if (!live.Add(journalId) || !Store.Contains(journalId))
        {
            return;
        }

        foreach (var step in LoadJournal(journalId).Steps)
        {
            if (step is CopyStep copy)
            {
                live.Add(copy.Payload);
            }
        }
    }
}
