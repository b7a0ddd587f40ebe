using System.Collections.Concurrent;
using GenStore.Journal;
using GenStore.Store;

namespace GenStore.Config;

/// <summary>Turns the payload sources of COPY steps into store objects: cache hits cost one stat, misses are read, hashed and stored in parallel.</summary>
internal sealed class PayloadHasher
{
    private readonly ISourceTree _tree;
    private readonly Store.Store? _store;
    private readonly int _threads;
    private readonly BlobCache? _cache;
    private readonly List<LearnedHash> _learned = [];
    private int _filesHashed;
    private long _bytesHashed;
    private int _cacheHits;

    /// <summary>Up to this many payloads to write, each is made durable on its own (fsync); beyond it, one store sync
    /// at the end is cheaper. A one-file change then costs two fsyncs instead of a syncfs of the whole file system.</summary>
    private const int FsyncEachLimit = 32;

    /// <param name="tree">Where the files are read from.</param>
    /// <param name="store">Where payloads go; null only hashes.</param>
    /// <param name="threads">Threads that read and hash; 0 means one per core.</param>
    /// <param name="useCache">False reads and hashes every file without loading the blob cache (20,000 records, ~15 ms),
    /// which only pays off for more than a few files.</param>
    public PayloadHasher(ISourceTree tree, Store.Store? store, int threads, bool useCache = true)
    {
        _tree = tree;
        _store = store;
        _threads = threads > 0 ? threads : Environment.ProcessorCount;
        _cache = store is null || !useCache ? null : BlobCache.Open(store);
    }

    public int FilesHashed => _filesHashed;

    public long BytesHashed => _bytesHashed;

    public int CacheHits => _cacheHits;

    /// <summary>Cached objects whose presence had to be checked one by one (the rest were vouched for by unchanged store folders).</summary>
    public int ObjectsChecked { get; private set; }

    /// <summary>True when payloads were written with their own fsync, so the store needs no sync for them.</summary>
    public bool Durable { get; private set; } = true;

    /// <summary>Fills in the payload id of every COPY step in <paramref name="decls"/>.</summary>
    public void Resolve(List<Decl> decls)
    {
        var work = new List<Decl>();
        // Arrays, not lists of structs: those are framework generics a new process would JIT-compile first.
        var hits = new Hit[decls.Count];
        var hitCount = 0;
        foreach (var decl in decls)
        {
            if (decl.Payload is EntryPayload { Entry.ContentKey: { } key } && _cache is not null && _cache.TryGet(key, out var record, out var id, out _))
            {
                hits[hitCount++] = new Hit(decl, id, record);
            }
            else if (decl.Payload is not null)
            {
                work.Add(decl);
            }
        }

        // gc may have removed an object since it was cached: trust an entry only while its object is there.
        var records = new int[hitCount];
        for (var i = 0; i < hitCount; i++)
        {
            records[i] = hits[i].Record;
        }

        var stillThere = _cache is null ? [] : _cache.Confirm(records, _threads);
        ObjectsChecked = _cache?.ObjectsChecked ?? 0;
        for (var i = 0; i < hitCount; i++)
        {
            if (stillThere[i])
            {
                SetPayload(hits[i].Decl, hits[i].Id);
                _cacheHits++;
            }
            else
            {
                work.Add(hits[i].Decl);
            }
        }

        Durable = work.Count <= FsyncEachLimit;

        // The same content under several paths is read once.
        var unique = new ConcurrentDictionary<string, Lazy<LearnedHash>>(StringComparer.Ordinal);
        void ResolveOne(Decl decl)
        {
            ObjectId id;
            if (decl.Payload is EntryPayload { Entry: var entry } && entry.ContentKey is { } key)
            {
                id = unique.GetOrAdd(key, _ => new Lazy<LearnedHash>(() => HashEntry(entry, key))).Value.Id;
            }
            else if (decl.Payload is EntryPayload { Entry: var plain })
            {
                id = HashEntry(plain, null).Id;
            }
            else
            {
                id = HashBytes(((BytesPayload)decl.Payload!).Bytes);
            }

            SetPayload(decl, id);
        }

        // A few files (the usual change) are hashed here: starting the thread pool's workers would cost more.
        if (work.Count <= 4)
        {
            work.ForEach(ResolveOne);
        }
        else
        {
            Parallel.ForEach(work, new ParallelOptions { MaxDegreeOfParallelism = _threads }, ResolveOne);
        }
    }

    /// <summary>Records what was learnt in the cache; call once the payloads are durable (see <see cref="Durable"/>).</summary>
    public void RecordCache()
    {
        _learned.Sort((a, b) => string.CompareOrdinal(a.ContentKey, b.ContentKey));
        _cache?.Record(_learned);
    }

    /// <summary>See <see cref="BlobCache.Reclaim"/>; call only after <see cref="RecordCache"/>, with removals excluded since <see cref="Resolve"/>.</summary>
    public void ReclaimCacheFolders() => _cache?.Reclaim();

    private static void SetPayload(Decl decl, ObjectId id) => decl.Step = ((CopyStep)decl.Step) with { Payload = id };

    private LearnedHash HashEntry(SourceEntry entry, string? key)
    {
        var learned = _tree.ReadContent(entry, content => new LearnedHash(key ?? string.Empty, Store(content), content.Length));
        Interlocked.Increment(ref _filesHashed);
        Interlocked.Add(ref _bytesHashed, learned.Length);
        if (key is not null)
        {
            lock (_learned)
            {
                _learned.Add(learned);
            }
        }

        return learned;
    }

    private ObjectId HashBytes(byte[] bytes)
    {
        Interlocked.Increment(ref _filesHashed);
        Interlocked.Add(ref _bytesHashed, bytes.Length);
        return Store(bytes);
    }

    private ObjectId Store(ReadOnlySpan<byte> bytes) =>
        _store is null ? Blake3.Hash(bytes) : _store.AddBytes(bytes, Durable);

    /// <summary>A COPY step whose payload the cache knows (a struct of this assembly, so ReadyToRun code covers lists of it).</summary>
    private readonly record struct Hit(Decl Decl, ObjectId Id, int Record);
}
