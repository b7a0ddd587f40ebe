using BenchmarkDotNet.Attributes;
using GenStore.Store;

namespace GenStore.Benchmarks;

/// <summary>Store.AddFile of many small files into an empty store: one fsync per file (durable) against one syncfs per batch.</summary>
/// <remarks>The store lives on the same disk as the repository (not /tmp, which may be tmpfs where fsync costs nothing).
/// Each invocation starts from an empty store so every add writes; the unchanged-content case is measured separately.</remarks>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    private const int FileSize = 4096;

    private string _root = string.Empty;
    private string[] _files = [];
    private Store.Store _store = null!;
    private int _round;

    /// <summary>How many files are added per invocation.</summary>
    [Params(1000)]
    public int Files { get; set; }

    /// <summary>Creates the source files once.</summary>
    [GlobalSetup]
    public void CreateFiles()
    {
        var baseDir = Environment.GetEnvironmentVariable("GEN_BENCH_DIR") ?? Path.Combine(AppContext.BaseDirectory, "bench-data");
        _root = Path.Combine(baseDir, $"store-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(Path.Combine(_root, "src"));
        var random = new Random(1);
        var content = new byte[FileSize];
        _files = new string[Files];
        for (var i = 0; i < Files; i++)
        {
            random.NextBytes(content);
            _files[i] = Path.Combine(_root, "src", $"f{i:D5}");
            File.WriteAllBytes(_files[i], content);
        }
    }

    /// <summary>Gives every invocation a fresh, empty store.</summary>
    [IterationSetup(Targets = [nameof(AddDurable), nameof(AddBatch), nameof(AddNoSync)])]
    public void FreshStore()
    {
        var folder = Path.Combine(_root, $"store{_round++}");
        _store = Store.Store.Open(folder);
    }

    /// <summary>A store with every file already in it, for the unchanged-content case.</summary>
    [IterationSetup(Target = nameof(AddUnchanged))]
    public void FilledStore()
    {
        FreshStore();
        foreach (var file in _files)
        {
            _store.AddFile(file, durable: false);
        }

        _store.Sync();
    }

    /// <summary>Removes everything the run made.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var entry in new DirectoryInfo(_root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            entry.UnixFileMode |= UnixFileMode.UserWrite | UnixFileMode.UserRead | (entry is DirectoryInfo ? UnixFileMode.UserExecute : 0);
        }

        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Each add durable on return: fsync of the file and of its fan-out folder.</summary>
    [Benchmark(Baseline = true)]
    [InvocationCount(1)]
    public void AddDurable()
    {
        foreach (var file in _files)
        {
            _store.AddFile(file);
        }
    }

    /// <summary>Adds without fsync, then one syncfs for the whole batch (DESIGN §8).</summary>
    [Benchmark]
    [InvocationCount(1)]
    public void AddBatch()
    {
        foreach (var file in _files)
        {
            _store.AddFile(file, durable: false);
        }

        _store.Sync();
    }

    /// <summary>The same adds with no sync at all: not durable, shown only to split AddBatch into add work and syncfs time.</summary>
    [Benchmark]
    [InvocationCount(1)]
    public void AddNoSync()
    {
        foreach (var file in _files)
        {
            _store.AddFile(file, durable: false);
        }
    }

    /// <summary>Re-adding content that is already stored: hash only, nothing written (the common case of a new commit).</summary>
    [Benchmark]
    [InvocationCount(1)]
    public void AddUnchanged()
    {
        foreach (var file in _files)
        {
            _store.AddFile(file, durable: false);
        }

        _store.Sync();
    }
}
