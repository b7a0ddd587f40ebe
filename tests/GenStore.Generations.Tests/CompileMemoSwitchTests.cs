using GenStore.Testing;

namespace GenStore.Generations.Tests;

/// <summary>A switch to where the machine already is, answered from the compile memo or by compiling.</summary>
public sealed class CompileMemoSwitchTests
{
    [Fact]
    public void A_no_op_switch_is_recognised_with_or_without_the_memo()
    {
        using var m = new EngineMachine();
        var commit = m.Commit("file \"/etc/motd\" { content = \"hello\\n\" }\n");
        var first = m.Switch(commit);
        var memo = Path.Combine(m.Machine.State, "compile-memo");
        Assert.True(File.Exists(memo));

        var answered = m.Switch(commit);
        File.Delete(memo);
        var compiled = m.Switch(commit);

        Assert.True(answered.AlreadyThere);
        Assert.True(compiled.AlreadyThere);
        Assert.Equal(first.To.Number, answered.To.Number);
        Assert.Equal(first.To.Number, compiled.To.Number);
        Assert.True(File.Exists(memo));
    }
}
