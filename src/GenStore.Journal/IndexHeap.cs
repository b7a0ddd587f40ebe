namespace GenStore.Journal;

/// <summary>A binary min-heap of indexes into a key array: the index with the smallest key comes out first.</summary>
/// <remarks>Own code rather than <c>PriorityQueue&lt;int, long&gt;</c>: a framework generic over value types has no
/// ReadyToRun code, so every gen process would JIT-compile it first. Keys must be unique for a deterministic order.</remarks>
public sealed class IndexHeap(long[] keys)
{
    private int[] _items = new int[16];

    /// <summary>How many indexes are waiting.</summary>
    public int Count { get; private set; }

    /// <summary>Adds <paramref name="index"/>, ordered by its key.</summary>
    public void Push(int index)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, Count * 2);
        }

        var i = Count++;
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (keys[_items[parent]] <= keys[index])
            {
                break;
            }

            _items[i] = _items[parent];
            i = parent;
        }

        _items[i] = index;
    }

    /// <summary>Takes out the index with the smallest key; false when the heap is empty.</summary>
    public bool TryPop(out int index)
    {
        if (Count == 0)
        {
            index = -1;
            return false;
        }

        index = _items[0];
        var last = _items[--Count];
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && keys[_items[child + 1]] < keys[_items[child]])
            {
                child++;
            }

            if (keys[last] <= keys[_items[child]])
            {
                break;
            }

            _items[i] = _items[child];
            i = child;
        }

        if (Count > 0)
        {
            _items[i] = last;
        }

        return true;
    }
}
