using BenchmarkDotNet.Attributes;
using GenStore.Store;

namespace GenStore.Benchmarks;

/// <summary>BLAKE3 throughput over in-memory inputs from 1 KiB to 64 MiB, on one thread and on all cores.</summary>
[MemoryDiagnoser]
public class Blake3Benchmarks
{
    private byte[] _input = [];

    /// <summary>The input size in bytes.</summary>
    [Params(1024, 64 * 1024, 1024 * 1024, 64 * 1024 * 1024)]
    public int Size { get; set; }

    /// <summary>Threads the hasher may use: 1, or 0 for every core.</summary>
    [Params(1, 0)]
    public int Threads { get; set; }

    /// <summary>Fills the input with random bytes.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _input = new byte[Size];
        new Random(42).NextBytes(_input);
    }

    /// <summary>Hashes the whole input with the widest SIMD kernel the CPU has.</summary>
    [Benchmark]
    public ObjectId Hash()
    {
        var hasher = new Blake3Hasher { Threads = Threads == 0 ? Environment.ProcessorCount : Threads };
        hasher.Update(_input);
        return hasher.FinalizeId();
    }
}
