using System.Runtime.ExceptionServices;
using GenStore.Journal;
using GenStore.Store;

namespace GenStore.Apply;

/// <summary>Carries out a Plan under a Root, one idempotent action at a time, backing up whatever gen did not create before it is replaced.</summary>
/// <remarks>
/// Every action first looks at what is on disk and does only what is missing, so running a plan again from any
/// point after a crash converges on the same end state. Writes are not fsynced one by one: the caller makes the
/// whole batch durable with <see cref="RootFs.SyncAll"/> before it commits the switch.
/// </remarks>
public sealed class Applier
{
    private readonly RootFs _fs;
    private readonly Store.Store _store;
    private readonly Accounts _accounts;
    private readonly ApplyHooks _hooks;

    // Payloads up to this size are copied through one buffer; larger ones stream.
    private const long SmallFile = 1 << 20;

    // Runs of at least this many file writes are spread over threads, in chunks of at most ParallelChunk actions. A tree
    // deploy interleaves one MKDIR per folder with that folder's files, so runs are a folder long: at 32, the 63 folders
    // of the 20,000-file benchmark holding fewer files (1,551 of them) were written on one thread.
    private const int ParallelMin = 8;
    private const int ParallelChunk = 512;

    // Guards what file writes share when they run in parallel: the RootFs caches, the account tables, the hooks.
    private readonly Lock _gate = new();

    /// <summary>An applier writing under <paramref name="fs"/> with payloads from <paramref name="store"/>, resolving owners through <paramref name="accounts"/>.</summary>
    public Applier(RootFs fs, Store.Store store, Accounts accounts, ApplyHooks hooks)
    {
        _fs = fs;
        _store = store;
        _accounts = accounts;
        _hooks = hooks;
    }

    /// <summary>When true, an undo removes a file or link only if it is still what the step made; anything else is left and reported.</summary>
    /// <remarks>Used to undo a switch that was cut off: actions after the crash never ran, so what stands there may be the original.</remarks>
    public bool VerifyBeforeRemove { get; init; }

    /// <summary>When true, a Change rewrites a file without first reading it to see whether it already holds the new content.</summary>
    /// <remarks>For a switch run from the start right after its preflight, which proved every changed path still holds the
    /// old generation's content: hashing a same-size file only to find it differs costs a full read per file. Rewriting
    /// is idempotent (temp file, rename), so this is about speed only; resumed runs leave it false and skip files already done.</remarks>
    public bool TrustPreflight { get; init; }

    /// <summary>How many file writes may run at once; 1 applies strictly one action after the other.</summary>
    /// <remarks>Creating a file costs the kernel far more than gen spends around it, and that cost spreads over cores
    /// (git's parallel checkout does the same). Only consecutive COPY writes to distinct files run together.</remarks>
    public int Parallelism { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>Applies the actions of <paramref name="plan"/> from index <paramref name="start"/> on (earlier ones are done).</summary>
    /// <remarks>Progress is reported in plan order and only for actions that are complete, so "actions before N are
    /// done" stays true however the writes of a parallel run interleave; a crash mid-run redoes that run (idempotent).</remarks>
    public void Apply(Plan plan, int start = 0)
    {
        var i = start;
        while (i < plan.Actions.Count)
        {
            var end = i;
            while (end < plan.Actions.Count && end - i < ParallelChunk && IsFileWrite(plan.Actions[end]))
            {
                end++;
            }

            if (Parallelism > 1 && end - i >= ParallelMin && ApplyInParallel(plan, i, end))
            {
                i = end;
                continue;
            }

            var action = plan.Actions[i];
            try
            {
                Apply(action);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Failed(action, e);
            }

            _hooks.Progress(i + 1);
            i++;
        }
    }

    private static bool IsFileWrite(PlanAction action) => action.Kind is PlanActionKind.Do or PlanActionKind.Change && action.New is CopyStep;

    private static StepFailedException Failed(PlanAction action, Exception e)
    {
        // ENOSPC (28) is worth naming plainly: the operator's fix is to free space, not to fix the config.
        var problem = (e.HResult & 0xFFFF) == 28 || e.Message.Contains("No space left", StringComparison.Ordinal)
            ? $"the disk is full ({e.Message}); free some space and switch again"
            : e.Message;
        return new StepFailedException(action.Identity, action.Source, problem, e);
    }

    /// <summary>Writes the files of actions <paramref name="from"/> … <paramref name="to"/>−1 on several threads; false (nothing done) when two of them land on one host file.</summary>
    private bool ApplyInParallel(Plan plan, int from, int to)
    {
        // Host paths are resolved first, in order: a root-owned symlinked parent (/lib -> usr/lib) could map two
        // journal paths onto one file, and then only the plan order may decide which write wins.
        var hosts = new string[to - from];
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        for (var k = from; k < to; k++)
        {
            try
            {
                hosts[k - from] = _fs.HostPath(plan.Actions[k].Identity.Name);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Let the one-by-one path meet the error at its own action.
                return false;
            }

            if (!distinct.Add(hosts[k - from]))
            {
                return false;
            }
        }

        var failures = new ExceptionDispatchInfo?[to - from];
        Parallel.For(from, to, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, k =>
        {
            var action = plan.Actions[k];
            try
            {
                DoFile((CopyStep)action.New!, takeOver: action.Kind == PlanActionKind.Do, hosts[k - from]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failures[k - from] = ExceptionDispatchInfo.Capture(Failed(action, e));
            }
            catch (Exception e)
            {
                failures[k - from] = ExceptionDispatchInfo.Capture(e);
            }
        });

        // Actions before the first failure are complete and reported; the first failure in plan order is the one raised.
        for (var k = from; k < to; k++)
        {
            failures[k - from]?.Throw();
            _hooks.Progress(k + 1);
        }

        return true;
    }

    private void Apply(PlanAction action)
    {
        switch (action.Kind)
        {
            case PlanActionKind.Do:
                Do(action.New!);
                break;
            case PlanActionKind.Change:
                Change(action.Old!, action.New!);
                break;
            case PlanActionKind.Undo:
                Undo(action.Old!);
                break;
        }
    }

    private void Do(Step step)
    {
        switch (step)
        {
            case MkdirStep dir:
                DoDirectory(dir, takeOver: true);
                break;
            case CopyStep copy:
                DoFile(copy, takeOver: true, _fs.HostPath(copy.Path));
                break;
            case LinkStep link:
                DoLink(link, takeOver: true);
                break;
            case GroupStep group:
                if (_accounts.GroupExists(group.Name))
                {
                    SaveAccountOnce(group.Identity, PriorKinds.Group);
                    _accounts.ModifyGroup(group);
                }
                else
                {
                    _accounts.AddGroup(group);
                }

                break;
            case UserStep user:
                if (_accounts.UserExists(user.Name))
                {
                    SaveAccountOnce(user.Identity, PriorKinds.User);
                    _accounts.ModifyUser(user);
                }
                else
                {
                    _accounts.AddUser(user);
                }

                break;
            case RunStep:
                // Triggers are not state: the engine runs them after the switch commits.
                break;
        }
    }

    private void Change(Step old, Step step)
    {
        switch (step)
        {
            case MkdirStep dir:
                DoDirectory(dir, takeOver: false);
                break;
            case CopyStep copy:
                DoFile(copy, takeOver: false, _fs.HostPath(copy.Path));
                break;
            case LinkStep link:
                DoLink(link, takeOver: false);
                break;
            case GroupStep group:
                _accounts.ModifyGroup(group);
                break;
            case UserStep user:
                _accounts.ModifyUser(user);
                break;
            case RunStep:
                break;
            default:
                throw new InvalidOperationException($"cannot change {old.Keyword} into {step.Keyword} in place");
        }
    }

    private void Undo(Step step)
    {
        if (step.Identity.Kind == IdentityKind.Path && ParentIsNotADirectory(step.Identity.Name))
        {
            // Nothing can stand there: a re-run after a crash finds the parent already replaced by a file or link
            // (a folder that became a file later in the same plan). Any backup stays listed in 'gen backups'.
            return;
        }

        var prior = _hooks.FindPrior(step.Identity);
        switch (step)
        {
            case MkdirStep dir:
                UndoDirectory(dir, prior);
                break;
            case CopyStep or LinkStep:
                var host = _fs.HostPath(step.Identity.Name);
                if (Posix.TryLstat(host, out var status) && !status.IsDirectory)
                {
                    if (VerifyBeforeRemove && !IsOwn(step, host, status))
                    {
                        _hooks.Warning($"{step.Identity.Name} was left in place: it is not what gen wrote there");
                        return;
                    }

                    Posix.Unlink(host);
                    _fs.Touched(host);
                }

                Restore(prior);
                break;
            case GroupStep group:
                // Only what gen created is ever deleted: an account that was there before stays.
                if (prior is null && _accounts.GroupExists(group.Name))
                {
                    _accounts.DeleteGroup(group);
                }

                MarkRestored(prior);
                break;
            case UserStep user:
                if (prior is null && _accounts.UserExists(user.Name))
                {
                    _accounts.DeleteUser(user);
                }

                MarkRestored(prior);
                break;
        }
    }

    private bool ParentIsNotADirectory(string path)
    {
        try
        {
            _fs.HostPath(path);
            return false;
        }
        catch (IOException e) when (e.HResult == RootFs.NotADirectory)
        {
            return true;
        }
    }

    private void DoDirectory(MkdirStep dir, bool takeOver)
    {
        var host = _fs.HostPath(dir.Path);
        if (Posix.TryLstat(host, out var status) && takeOver)
        {
            // A folder that was already there is kept (its mode and owner are backed up); anything else is moved aside.
            SavePriorOnce(dir.Identity, host, status);
            if (!status.IsDirectory)
            {
                Posix.Unlink(host);
            }
        }

        Posix.Mkdir(host, (UnixFileMode)dir.Mode);
        SetAttributes(host, dir.Mode, dir.Owner, dir.Group, dir.Identity, dir.Source);
        _fs.Touched(host);
    }

    private void UndoDirectory(MkdirStep dir, PriorState? prior)
    {
        var host = _fs.HostPath(dir.Path);
        if (prior is { Kind: PriorKinds.Directory })
        {
            // The folder was there before gen: give back its mode and owner, keep it.
            if (Posix.TryLstat(host, out var s) && s.IsDirectory)
            {
                Posix.Chmod(host, (UnixFileMode)prior.Mode);
                Posix.Lchown(host, (uint)prior.Uid, (uint)prior.Gid);
                _fs.Touched(host);
            }

            MarkRestored(prior);
            return;
        }

        if (Posix.TryLstat(host, out var status) && status.IsDirectory)
        {
            if (Directory.EnumerateFileSystemEntries(host).Any())
            {
                // As dpkg does: a folder that still holds files gen does not manage is left in place.
                _hooks.Warning($"{dir.Path} was left in place: it holds files gen does not manage");
                return;
            }

            Directory.Delete(host);
            _fs.Touched(host);
        }

        Restore(prior);
    }

    /// <summary>Writes one file; may run on several threads at once for distinct <paramref name="host"/> paths, so what it shares goes through <see cref="_gate"/>.</summary>
    private void DoFile(CopyStep copy, bool takeOver, string host)
    {
        var exists = Posix.TryLstat(host, out var status);

        // A Do always looks: a re-run must not mistake the file it wrote for a pre-existing one and back it up.
        if (exists && status.IsFile && (takeOver || !TrustPreflight) && Matches(copy, host, status))
        {
            return;
        }

        if (exists && takeOver)
        {
            lock (_gate)
            {
                MakeRoom(copy.Identity, host, status);
            }
        }
        else if (exists && status.IsDirectory)
        {
            RemoveEmptyDirectory(copy.Identity, copy.Source, host);
        }

        var owner = Owner(copy.Owner, copy.Group, copy.Identity, copy.Source);

        if (_store.ReadAllBytesUpTo(copy.Payload, SmallFile) is { } content)
        {
            // Most managed files are small: read and verify the whole payload first, then write it with one positional
            // write (no streams). A corrupt payload throws before the temp file exists.
            DurableFile.Write(host, content, (UnixFileMode)copy.Mode, sync: false, owner);
        }
        else
        {
            // A corrupt payload throws at the end of the copy, before the temp file is renamed: the target is untouched.
            DurableFile.Write(host, (UnixFileMode)copy.Mode, target => _store.CopyTo(copy.Payload, target), sync: false, owner);
        }

        lock (_gate)
        {
            _fs.Touched(host);
        }
    }

    private void DoLink(LinkStep link, bool takeOver)
    {
        var host = _fs.HostPath(link.Path);
        var exists = Posix.TryLstat(host, out var status);
        if (exists && status.IsSymlink && new FileInfo(host).LinkTarget == link.Target)
        {
            return;
        }

        if (exists && takeOver)
        {
            MakeRoom(link.Identity, host, status);
        }
        else if (exists && status.IsDirectory)
        {
            RemoveEmptyDirectory(link.Identity, link.Source, host);
        }

        // A new link under a temp name, renamed over the old entry: readers see the old link or the new one.
        var temp = Path.Join(Path.GetDirectoryName(host), $".gen-tmp-link-{Environment.ProcessId}-{Path.GetFileName(host)}");
        Posix.Unlink(temp);
        File.CreateSymbolicLink(temp, link.Target);
        Posix.Rename(temp, host);
        _fs.Touched(host);
    }

    /// <summary>Backs up what is at <paramref name="host"/> and clears the way for a new entry of another kind.</summary>
    private void MakeRoom(StepIdentity identity, string host, FileStatus status)
    {
        SavePriorOnce(identity, host, status);
        if (status.IsDirectory)
        {
            RemoveEmptyDirectory(identity, SourceSpan.None, host);
        }
    }

    private static void RemoveEmptyDirectory(StepIdentity identity, SourceSpan source, string host)
    {
        if (Directory.EnumerateFileSystemEntries(host).Any())
        {
            throw new StepFailedException(identity, source, $"{host} is a directory that still holds files; move them away first");
        }

        Directory.Delete(host);
    }

    private void Restore(PriorState? prior)
    {
        if (prior is null)
        {
            return;
        }

        var host = _fs.HostPath(prior.Identity.Name);
        switch (prior.Kind)
        {
            case PriorKinds.File:
                DurableFile.Write(host, (UnixFileMode)prior.Mode, target => _store.CopyTo(prior.Content!.Value, target), sync: false, ((uint)prior.Uid, (uint)prior.Gid));
                break;
            case PriorKinds.Link:
                Posix.Unlink(host);
                File.CreateSymbolicLink(host, prior.LinkTarget!);
                Posix.Lchown(host, (uint)prior.Uid, (uint)prior.Gid);
                break;
            case PriorKinds.Directory:
                Posix.Mkdir(host, (UnixFileMode)prior.Mode);
                Posix.Chmod(host, (UnixFileMode)prior.Mode);
                Posix.Lchown(host, (uint)prior.Uid, (uint)prior.Gid);
                break;
        }

        _fs.Touched(host);
        MarkRestored(prior);
    }

    private void MarkRestored(PriorState? prior)
    {
        if (prior is not null)
        {
            _hooks.PriorRestored(prior.Identity);
        }
    }

    private void SavePriorOnce(StepIdentity identity, string host, FileStatus status)
    {
        // A re-run after a crash finds the backup it already made and must not replace it with gen's own content.
        if (_hooks.FindPrior(identity) is not null)
        {
            return;
        }

        var mode = (int)status.Mode & 0xFFF;
        PriorState prior = status.Kind switch
        {
            FileKind.File => new(identity, PriorKinds.File, _store.AddFile(host), null, mode, status.Uid, status.Gid),
            FileKind.Symlink => new(identity, PriorKinds.Link, null, new FileInfo(host).LinkTarget, mode, status.Uid, status.Gid),
            FileKind.Directory => new(identity, PriorKinds.Directory, null, null, mode, status.Uid, status.Gid),
            _ => throw new IOException($"{host} is a device, FIFO or socket; gen will not replace it"),
        };
        _hooks.PriorSaved(prior);
    }

    private void SaveAccountOnce(StepIdentity identity, string kind)
    {
        if (_hooks.FindPrior(identity) is null)
        {
            _hooks.PriorSaved(new PriorState(identity, kind, null, null, 0, -1, -1));
        }
    }

    private bool IsOwn(Step step, string host, FileStatus status) => step switch
    {
        CopyStep copy => status.IsFile && Matches(copy, host, status),
        LinkStep link => status.IsSymlink && new FileInfo(host).LinkTarget == link.Target,
        _ => false,
    };

    private bool Matches(CopyStep copy, string host, FileStatus status)
    {
        if (((int)status.Mode & 0xFFF) != copy.Mode || status.Size != _store.SizeOf(copy.Payload))
        {
            return false;
        }

        var owner = Owner(copy.Owner, copy.Group, copy.Identity, copy.Source);
        if (status.Uid != owner.Uid || status.Gid != owner.Gid)
        {
            return false;
        }

        return FileHasher.HashFileNoFollow(host) == copy.Payload;
    }

    private void SetAttributes(string host, int mode, string owner, string group, StepIdentity identity, SourceSpan source)
    {
        var (uid, gid) = Owner(owner, group, identity, source);
        Posix.Lchown(host, uid, gid);

        // chown clears set-id bits, so the mode is set after it.
        Posix.Chmod(host, (UnixFileMode)mode);
    }

    private (uint Uid, uint Gid) Owner(string owner, string group, StepIdentity identity, SourceSpan source)
    {
        // The account tables are parsed lazily into shared dictionaries; file writes may call this from several threads.
        using var held = _gate.EnterScope();
        var uid = _accounts.Uid(owner) ?? throw new StepFailedException(identity, source, $"the root has no user '{owner}'; declare it with a user block or create it first");
        var gid = _accounts.Gid(group) ?? throw new StepFailedException(identity, source, $"the root has no group '{group}'; declare it with a group block or create it first");
        return ((uint)uid, (uint)gid);
    }
}
