namespace GenStore.Generations.Tests;

public sealed class DemoTests
{
    [Fact]
    public void The_demo_walks_through_deploy_drift_repair_rollback_and_gc_and_ends_clean()
    {
        using var output = new StringWriter();

        var code = Demo.Run(output, keep: false);

        var text = output.ToString();
        Assert.Equal(0, code);
        Assert.Contains("gen-1: switched from nothing", text, StringComparison.Ordinal);
        Assert.Contains("already at gen-2; nothing to do", text, StringComparison.Ordinal);
        Assert.Contains("refused (exit 3): /etc/nginx/nginx.conf", text, StringComparison.Ordinal);
        Assert.Contains("gen-2: switched from gen-3", text, StringComparison.Ordinal);
        Assert.Contains("deleted 1 generation(s)", text, StringComparison.Ordinal);
        Assert.EndsWith("0 drifted" + Environment.NewLine, text, StringComparison.Ordinal);
    }
}
