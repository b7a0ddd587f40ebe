using GenStore.Store;

namespace GenStore.Generations.Tests;

/// <summary>The entry point of this test assembly when run as a child process (<c>dotnet GenStore.Generations.Tests.dll crash-child DB</c>): switches in a loop, printing what it made durable, until killed.</summary>
public static class CrashChild
{
    /// <summary>The path cache size of every generation the child commits.</summary>
    public const int CacheSize = 2000;

    /// <summary>The progress marks per switch.</summary>
    public const int Marks = 20;

    public static int Main(string[] args)
    {
        if (args is not ["crash-child", var path])
        {
            Console.Error.WriteLine("usage: crash-child DB (this assembly is otherwise run by the test runner)");
            return 2;
        }

        using var db = StateDb.Open(path);
        Console.WriteLine("ready");
        var journal = new byte[ObjectId.Size];
        while (true)
        {
            var intent = db.BeginIntent(new IntentStart(db.CurrentNumber, new ObjectId(journal), null, null, null, "child", "plan"));
            for (var done = 1; done <= Marks; done++)
            {
                db.MarkProgress(done);
                Console.WriteLine($"progress {intent.Target} {done}");
            }

            // Every entry names its generation, so a cache that is not wholly the current generation's shows.
            var cache = Enumerable.Range(0, CacheSize)
                .Select(i => new PathCacheEntry($"/srv/f{i:D5}", PathKind.File, new ObjectId(journal), null, 0b110_100_100, 0, 0, i, intent.Target, i))
                .ToList();
            db.CommitSwitch(new SwitchCommit(new DiffStats(CacheSize, 0, 0), PathCacheUpdate.Replace(cache)));
            Console.WriteLine($"committed {intent.Target}");
        }
    }
}
