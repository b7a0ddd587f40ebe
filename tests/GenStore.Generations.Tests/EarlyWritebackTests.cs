using GenStore.Testing;

namespace GenStore.Generations.Tests;

/// <summary>The background flush during a large apply starts only for large plans and stops when disposed.</summary>
public sealed class EarlyWritebackTests
{
    [Fact]
    public void A_small_plan_gets_no_background_flush_and_a_large_one_gets_one_that_stops_on_dispose()
    {
        using var dir = new TempDir();
        Assert.Null(EarlyWriteback.Start(dir.Path, 999));

        var writeback = EarlyWriteback.Start(dir.Path, 20_000);
        Assert.NotNull(writeback);
        File.WriteAllText(Path.Join(dir.Path, "file"), "data\n");
        Thread.Sleep(700);
        writeback.Dispose();
        Assert.Equal("data\n", File.ReadAllText(Path.Join(dir.Path, "file")));
    }
}
