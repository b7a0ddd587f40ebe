using System.Diagnostics;
using System.Text;
using GenStore.Journal;
using GenStore.Store;

namespace GenStore.Config;

/// <summary>What to compile for: the host id (for <c>hosts</c> blocks and <c>${host.id}</c>) and the entry file.</summary>
public sealed record CompileOptions(string HostId)
{
    /// <summary>The entry point, relative to the repo root.</summary>
    public string EntryPoint { get; init; } = "main.gen";

    /// <summary>Threads that read and hash payloads; 0 means one per core.</summary>
    public int Threads { get; init; }
}

/// <summary>How much work one compile did: what it hashed and what the incremental cache saved.</summary>
/// <param name="FilesHashed">Payloads read and hashed (cache misses, inline content and templates).</param>
/// <param name="BytesHashed">Bytes read and hashed for those payloads.</param>
/// <param name="CacheHits">Source files whose object id came from the cache without reading them.</param>
/// <param name="Steps">Steps in the journal.</param>
/// <param name="Elapsed">Wall time of the compile.</param>
public sealed record CompileStatistics(int FilesHashed, long BytesHashed, int CacheHits, int Steps, TimeSpan Elapsed)
{
    /// <summary>Time spent reading the config and expanding blocks (includes listing trees).</summary>
    public TimeSpan Evaluating { get; init; }

    /// <summary>Time spent ordering steps.</summary>
    public TimeSpan Ordering { get; init; }

    /// <summary>Time spent looking up the cache and reading, hashing and storing payloads.</summary>
    public TimeSpan Hashing { get; init; }

    /// <summary>Time spent printing and storing the journal, syncing the store and recording the cache.</summary>
    public TimeSpan Finishing { get; init; }

    /// <summary>Cached objects whose presence in the store was checked one by one; the others were vouched for by store folders unchanged since their last check.</summary>
    public int ObjectsChecked { get; init; }

    /// <summary>True when the journal was derived from an earlier compile's (<see cref="ConfigCompiler.Recompile"/>) instead of evaluating the tree.</summary>
    public bool Incremental { get; init; }
}

/// <summary>The outcome of a compile: the journal and its canonical text and id, or the errors.</summary>
public sealed class CompileResult
{
    private readonly DiagnosticBag _diagnostics;
    private readonly PayloadHasher? _payloads;

    internal CompileResult(DiagnosticBag diagnostics, Journal.Journal? journal, string? text, ObjectId? journalId, CompileStatistics statistics, IReadOnlyDictionary<string, string>? contentSources = null, PayloadHasher? payloads = null)
    {
        _payloads = payloads;
        ContentSources = contentSources ?? new Dictionary<string, string>();
        _diagnostics = diagnostics;
        Journal = journal;
        Text = text;
        JournalId = journalId;
        Statistics = statistics;
        Diagnostics = diagnostics.Items;
    }

    /// <summary>True when there were no errors.</summary>
    public bool Succeeded => Diagnostics.Count == 0;

    /// <summary>Every error, in the order found.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics { get; }

    /// <summary>The journal (null on errors).</summary>
    public Journal.Journal? Journal { get; }

    /// <summary>The journal's canonical text (null on errors).</summary>
    public string? Text { get; }

    /// <summary>The store object holding <see cref="Text"/>, when a store was given.</summary>
    public ObjectId? JournalId { get; }

    /// <summary>For each COPY path whose content comes from a repo file: that file (relative to the repo root), with " (template)" when expanded.</summary>
    public IReadOnlyDictionary<string, string> ContentSources { get; }

    /// <summary>The repo files whose content the evaluation read (<c>.gen</c> files, templates); with <see cref="CopiedFiles"/>, what <see cref="ConfigCompiler.Recompile"/> needs.</summary>
    public IReadOnlySet<string> ReadPaths { get; init; } = new HashSet<string>();

    /// <summary>For each COPY path whose payload is a repo file copied as it is (no template): that file.</summary>
    public IReadOnlyDictionary<string, string> CopiedFiles { get; init; } = new Dictionary<string, string>();

    /// <summary>Work done.</summary>
    public CompileStatistics Statistics { get; }

    /// <summary>Lets the next compile trust the store folders this one added objects to, instead of checking each cached object in them.</summary>
    /// <remarks>Call only while holding the generation lock, taken before this compile began and not released since: it
    /// relies on no object having left the store meanwhile, and gc takes that lock. Best late (after the switch's apply):
    /// a folder changed in the last 50 ms is not claimed.</remarks>
    public void VouchForStoreFolders() => _payloads?.ReclaimCacheFolders();

    /// <summary>Line <paramref name="line"/> of a <c>.gen</c> file this compile read, for showing where a step came from.</summary>
    public string? SourceLine(string file, int line) => _diagnostics.LineOf(file, line);

    /// <summary>Every error in compiler style: position, message, the offending line with a caret, what was expected.</summary>
    public string RenderDiagnostics() => _diagnostics.Render();

    /// <summary>The journal, or an <see cref="InputException"/> naming the first error (and how many more there are).</summary>
    public Journal.Journal GetJournalOrThrow()
    {
        if (Succeeded)
        {
            return Journal!;
        }

        var first = Diagnostics[0];
        var more = Diagnostics.Count == 1 ? string.Empty : $" (and {Diagnostics.Count - 1} more error{(Diagnostics.Count == 2 ? string.Empty : "s")})";
        var message = (first.Expected is null ? first.Message : $"{first.Message}; {first.Expected}") + more;
        return first.Line > 0
            ? throw new InputException(message, first.File, first.Line, first.Column)
            : throw new InputException(message, first.File);
    }
}

/// <summary>Compiles the <c>.gen</c> configuration of a source tree, for one host, into a journal whose payloads are in the store.</summary>
/// <remarks>
/// <para>Phases: evaluate (parse, follow includes, expand trees and templates; nothing is written), order (declaration
/// order, parents before children, <c>after</c> constraints, accounts before the steps that use them), then — only
/// when there were no errors — hash and store payloads in parallel, make them durable (one store sync for a
/// large batch, an fsync each for a few), and record the new hashes
/// in the <see cref="BlobCache"/>.</para>
/// <para>Determinism: everything is ordered by declaration order and ordinal name order, never by hash-table or
/// directory-read order, so the same tree and host id always give the same journal bytes.</para>
/// </remarks>
public static class ConfigCompiler
{
    // Up to this many changed payloads, a derived compile reads and hashes them without loading the blob cache.
    private const int FewPayloads = 32;

    /// <summary>Compiles <paramref name="tree"/>; payloads and the journal go into <paramref name="store"/> when it is given (otherwise they are only hashed).</summary>
    public static CompileResult Compile(ISourceTree tree, CompileOptions options, Store.Store? store)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var diagnostics = new DiagnosticBag();
        var evaluator = new Evaluator(tree, options.HostId, diagnostics);
        evaluator.Run(options.EntryPoint);
        var decls = evaluator.Decls;
        var evaluating = clock.Elapsed;

        List<Decl>? ordered = null;
        List<ExternalPath>? externals = null;
        if (!diagnostics.HasErrors)
        {
            ordered = Ordering.Sort(decls, diagnostics);
            externals = ordered is null ? null : Ordering.Externals(ordered, diagnostics);
        }

        if (diagnostics.HasErrors || ordered is null || externals is null)
        {
            return new CompileResult(diagnostics, null, null, null, new CompileStatistics(0, evaluator.TemplateBytes, 0, 0, clock.Elapsed));
        }

        var ordering = clock.Elapsed;
        var payloads = new PayloadHasher(tree, store, options.Threads);
        payloads.Resolve(ordered);
        var hashing = clock.Elapsed;

        var journal = new Journal.Journal(ordered.Select(d => d.Step).ToArray(), externals);
        var text = JournalPrinter.Print(journal);
        ObjectId? journalId = null;
        if (store is not null)
        {
            journalId = store.AddBytes(Encoding.UTF8.GetBytes(text), durable: payloads.Durable);
            if (!payloads.Durable)
            {
                store.Sync();
            }

            payloads.RecordCache();
        }
        else
        {
            journalId = Blake3.Hash(Encoding.UTF8.GetBytes(text));
        }

        var stats = new CompileStatistics(payloads.FilesHashed, payloads.BytesHashed + evaluator.TemplateBytes, payloads.CacheHits, journal.Steps.Count, clock.Elapsed)
        {
            Evaluating = evaluating,
            Ordering = ordering - evaluating,
            Hashing = hashing - ordering,
            Finishing = clock.Elapsed - hashing,
            ObjectsChecked = payloads.ObjectsChecked,
        };
        var contentSources = new Dictionary<string, string>(StringComparer.Ordinal);
        var copiedFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var decl in ordered)
        {
            switch (decl.Payload)
            {
                case EntryPayload e:
                    contentSources[decl.Step.Identity.Name] = e.Entry.Path;
                    copiedFiles[decl.Step.Identity.Name] = e.Entry.Path;
                    break;
                case BytesPayload { Template: { } t }:
                    contentSources[decl.Step.Identity.Name] = t + " (template)";
                    break;
            }
        }

        return new CompileResult(diagnostics, journal, text, journalId, stats, contentSources, store is null ? null : payloads)
        {
            ReadPaths = evaluator.ReadPaths,
            CopiedFiles = copiedFiles,
        };
    }

    /// <summary>The journal of a tree that differs from an already compiled one only in the content of some regular files,
    /// derived from that compile's journal; null when it cannot be (a changed file was read by the evaluation, not only
    /// copied), and then a full <see cref="Compile"/> is needed.</summary>
    /// <remarks>
    /// <para>Why it gives the same bytes as a full compile: the evaluation of a tree depends on the content of the files
    /// it reads (<paramref name="readPaths"/>) and on the listings of the folders it walks (names, kinds, executable
    /// bits, symlink targets). <paramref name="changed"/> (from a diff of the two git trees) holds
    /// only content changes of regular files, so none of that moved unless a changed file was read. The one thing left
    /// that depends on a copied file's bytes is its COPY steps' payload id, which is recomputed here exactly as a compile
    /// computes it (blob cache, else hash and store). Steps, their order, source tags and EXTERNAL lines stay as they were.</para>
    /// <para>Cost: a 20,000-file tree with one changed file takes the hashing of that file and one print of the journal,
    /// instead of listing 20,000 entries, evaluating, ordering and looking each up in the cache.</para>
    /// </remarks>
    /// <param name="previous">The earlier compile's journal, for the same host and compiler.</param>
    /// <param name="readPaths">That compile's <see cref="CompileResult.ReadPaths"/>.</param>
    /// <param name="copiedFiles">That compile's <see cref="CompileResult.CopiedFiles"/>, or at least its entries for the
    /// changed files (the result carries what it is given).</param>
    /// <param name="changed">The regular files whose content differs, as entries of <paramref name="tree"/> (new content keys).</param>
    /// <param name="tree">The new tree, to read the changed files from.</param>
    /// <param name="store">Where payloads and the journal go.</param>
    /// <param name="threads">Threads that read and hash payloads; 0 means one per core.</param>
    public static CompileResult? Recompile(Journal.Journal previous, IReadOnlySet<string> readPaths, IReadOnlyDictionary<string, string> copiedFiles,
        IReadOnlyList<SourceEntry> changed, ISourceTree tree, Store.Store store, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(readPaths);
        ArgumentNullException.ThrowIfNull(copiedFiles);
        ArgumentNullException.ThrowIfNull(changed);
        ArgumentNullException.ThrowIfNull(store);
        var clock = Stopwatch.StartNew();
        var byRepoFile = new Dictionary<string, SourceEntry>(StringComparer.Ordinal);
        foreach (var entry in changed)
        {
            if (readPaths.Contains(entry.Path) || entry.Kind != SourceEntryKind.File || entry.ContentKey is null)
            {
                return null;
            }

            byRepoFile[entry.Path] = entry;
        }

        // The COPY steps to give a new payload: those that copy a changed file as it is.
        var targets = new Dictionary<string, SourceEntry>(StringComparer.Ordinal);
        foreach (var (journalPath, repoFile) in copiedFiles)
        {
            if (byRepoFile.TryGetValue(repoFile, out var entry))
            {
                targets[journalPath] = entry;
            }
        }

        var steps = previous.Steps.ToArray();
        var decls = new List<Decl>(targets.Count);
        var at = new List<int>(targets.Count);
        for (var i = 0; i < steps.Length && decls.Count < targets.Count; i++)
        {
            if (steps[i] is CopyStep copy && targets.TryGetValue(copy.Path, out var entry))
            {
                decls.Add(new Decl(copy, default) { Payload = new EntryPayload(entry) });
                at.Add(i);
            }
        }

        if (decls.Count != targets.Count)
        {
            // The journal and the recorded sources disagree: they are not from the same compile.
            return null;
        }

        // A few files are read and hashed directly: looking them up would cost more than that.
        var payloads = new PayloadHasher(tree, store, threads, useCache: decls.Count > FewPayloads);
        payloads.Resolve(decls);
        var hashing = clock.Elapsed;
        for (var k = 0; k < decls.Count; k++)
        {
            steps[at[k]] = decls[k].Step;
        }

        var journal = new Journal.Journal(steps, previous.Externals);
        var text = JournalPrinter.Print(journal);
        var journalId = store.AddBytes(Encoding.UTF8.GetBytes(text), durable: payloads.Durable);
        if (!payloads.Durable)
        {
            store.Sync();
        }

        payloads.RecordCache();
        var stats = new CompileStatistics(payloads.FilesHashed, payloads.BytesHashed, payloads.CacheHits, steps.Length, clock.Elapsed)
        {
            Hashing = hashing,
            Finishing = clock.Elapsed - hashing,
            ObjectsChecked = payloads.ObjectsChecked,
            Incremental = true,
        };
        return new CompileResult(new DiagnosticBag(), journal, text, journalId, stats, copiedFiles, payloads) { ReadPaths = readPaths, CopiedFiles = copiedFiles };
    }
}
