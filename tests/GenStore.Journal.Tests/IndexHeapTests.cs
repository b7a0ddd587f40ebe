namespace GenStore.Journal.Tests;

/// <summary>The heap that orders ready steps in the compiler and ready actions in the diff.</summary>
public sealed class IndexHeapTests
{
    [Fact]
    public void Indexes_come_out_in_the_order_of_their_keys_whatever_order_they_went_in()
    {
        var random = new Random(7);
        var keys = Enumerable.Range(0, 500).Select(_ => random.NextInt64()).Distinct().ToArray();
        var heap = new IndexHeap(keys);
        foreach (var index in Enumerable.Range(0, keys.Length).OrderBy(_ => random.Next()))
        {
            heap.Push(index);
        }

        var popped = new List<int>();
        while (heap.TryPop(out var index))
        {
            popped.Add(index);
        }

        Assert.Equal(Enumerable.Range(0, keys.Length).OrderBy(i => keys[i]), popped);
        Assert.Equal(0, heap.Count);
    }

    [Fact]
    public void Pushing_between_pops_still_gives_the_smallest_key_first()
    {
        var heap = new IndexHeap([50, 10, 40, 20, 30]);
        heap.Push(0);
        heap.Push(2);
        Assert.True(heap.TryPop(out var first));
        heap.Push(1);
        heap.Push(3);

        Assert.Equal(2, first);
        var rest = new List<int>();
        while (heap.TryPop(out var index))
        {
            rest.Add(index);
        }

        Assert.Equal([1, 3, 0], rest);
        Assert.False(heap.TryPop(out _));
    }
}
