using System.Buffers;
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
    private readonly ConcurrentBag<(string Key, ObjectId Id, long Length)> _learned = [];
    private int _filesHashed;
    private long _bytesHashed;
    private int _cacheHits;

    public PayloadHasher(ISourceTree tree, Store.Store? store, int threads)
    {
        _tree = tree;
        _store = store;
        _threads = threads > 0 ? threads : Environment.ProcessorCount;
        _cache = store is null ? null : BlobCache.Open(store);
    }

    public int FilesHashed => _filesHashed;

    public long BytesHashed => _bytesHashed;

    public int CacheHits => _cacheHits;

    /// <summary>Fills in the payload id of every COPY step in <paramref name="decls"/>.</summary>
    public void Resolve(List<Decl> decls)
    {
        var work = new List<Decl>();
        foreach (var decl in decls)
        {
            if (decl.Payload is EntryPayload { Entry.ContentKey: { } key } && TryCache(key, out var id))
            {
                SetPayload(decl, id);
                _cacheHits++;
            }
            else if (decl.Payload is not null)
            {
                work.Add(decl);
            }
        }

        // The same content under several paths is read once.
        var unique = new ConcurrentDictionary<string, Lazy<ObjectId>>(StringComparer.Ordinal);
        var options = new ParallelOptions { MaxDegreeOfParallelism = _threads };
        Parallel.ForEach(work, options, decl =>
        {
            ObjectId id;
            if (decl.Payload is EntryPayload { Entry: var entry } && entry.ContentKey is { } key)
            {
                id = unique.GetOrAdd(key, _ => new Lazy<ObjectId>(() => HashEntry(entry, key))).Value;
            }
            else if (decl.Payload is EntryPayload { Entry: var plain })
            {
                id = HashEntry(plain, null);
            }
            else
            {
                id = HashBytes(((BytesPayload)decl.Payload!).Bytes);
            }

            SetPayload(decl, id);
        });
    }

    /// <summary>Records what was learnt in the cache; call once the store has been synced.</summary>
    public void RecordCache()
    {
        if (_cache is null || _learned.IsEmpty)
        {
            return;
        }

        _cache.Append(_learned.OrderBy(l => l.Key, StringComparer.Ordinal).ToList());
    }

    private static void SetPayload(Decl decl, ObjectId id) => decl.Step = ((CopyStep)decl.Step) with { Payload = id };

    private bool TryCache(string key, out ObjectId id)
    {
        if (_cache is not null && _cache.TryGet(key, out id, out var length))
        {
            // gc may have removed the object since; trust the entry only while the object is there at its length.
            try
            {
                return _store!.SizeOf(id) == length;
            }
            catch (MissingObjectException)
            {
                return false;
            }
        }

        id = default;
        return false;
    }

    private ObjectId HashEntry(SourceEntry entry, string? key)
    {
        using var stream = _tree.OpenRead(entry);
        ObjectId id;
        long length;
        if (stream.CanSeek && stream.Length <= 64 << 20)
        {
            length = stream.Length;
            var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(length, 1));
            try
            {
                stream.ReadExactly(buffer, 0, (int)length);
                id = Store(buffer.AsSpan(0, (int)length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        else
        {
            // Large or unseekable content streams through the store without being held in memory.
            var counting = new CountingStream(stream);
            id = _store is null ? FileHasher.Hash(counting) : _store.Add(counting, durable: false);
            length = counting.Count;
        }

        Interlocked.Increment(ref _filesHashed);
        Interlocked.Add(ref _bytesHashed, length);
        if (key is not null)
        {
            _learned.Add((key, id, length));
        }

        return id;
    }

    private ObjectId HashBytes(byte[] bytes)
    {
        Interlocked.Increment(ref _filesHashed);
        Interlocked.Add(ref _bytesHashed, bytes.Length);
        return Store(bytes);
    }

    private ObjectId Store(ReadOnlySpan<byte> bytes) =>
        _store is null ? Blake3.Hash(bytes) : _store.AddBytes(bytes, durable: false);

    /// <summary>Counts the bytes read through it.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Count; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            Count += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
