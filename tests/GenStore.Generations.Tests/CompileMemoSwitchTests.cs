using GenStore.Testing;

namespace GenStore.Generations.Tests;

/// <summary>What a switch learns from earlier compiles: where the machine already is (the compile memo), and a journal it can derive instead of compiling (the compile basis).</summary>
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

    [Fact]
    public void A_switch_after_changes_to_copied_files_only_derives_the_journal_a_full_compile_would_give()
    {
        using var m = new EngineMachine();
        m.Repo.Write("www/a.txt", "a\n").Write("www/b.txt", "b\n");
        var first = m.Commit("tree \"/srv/www\" { source = \"www\" }\n");
        m.Switch(first);
        m.Repo.Write("www/b.txt", "b, changed\n");
        var second = m.Repo.Commit("content only");

        using (var engine = m.Open())
        {
            var outcome = engine.Switch(second);
            Assert.True(engine.LastCompile!.Incremental);
            Assert.Equal(FullCompile(m, second), outcome.To.Journal);
        }

        Assert.Equal("b, changed\n", File.ReadAllText(m.Host("/srv/www/b.txt")));

        // And again from the generation it made: the basis follows the current generation.
        m.Repo.Write("www/a.txt", "a, changed\n");
        var third = m.Repo.Commit("content only, again");
        using (var engine = m.Open())
        {
            Assert.Equal(FullCompile(m, third), engine.Switch(third).To.Journal);
            Assert.True(engine.LastCompile!.Incremental);
        }
    }

    [Fact]
    public void A_switch_compiles_in_full_when_a_gen_file_changed_or_the_basis_is_not_the_current_generations()
    {
        using var m = new EngineMachine();
        m.Repo.Write("www/a.txt", "a\n");
        var first = m.Commit("tree \"/srv/www\" { source = \"www\" }\n");
        m.Switch(first);
        var second = m.Commit("tree \"/srv/www\" { source = \"www\"  file_mode = \"0600\" }\n");
        using (var engine = m.Open())
        {
            Assert.Equal(FullCompile(m, second), engine.Switch(second).To.Journal);
            Assert.False(engine.LastCompile!.Incremental);
        }

        // Rolled back: the basis names the newer commit, not the current generation's.
        using (var engine = m.Open())
        {
            engine.Rollback();
        }

        m.Repo.Write("www/a.txt", "a, changed\n");
        var third = m.Repo.Commit("content only, on a machine rolled back");
        using (var engine = m.Open())
        {
            Assert.Equal(FullCompile(m, third), engine.Switch(third).To.Journal);
            Assert.False(engine.LastCompile!.Incremental);
        }
    }

    private static GenStore.Store.ObjectId FullCompile(EngineMachine m, string commit)
    {
        using var elsewhere = new TempDir();
        var (_, result) = GenStore.Git.RepoCompiler.Compile(new GenStore.Git.CompileRequest(commit, m.Repo.Path, "test-host", elsewhere.Path), store: null);
        return result.JournalId!.Value;
    }
}
