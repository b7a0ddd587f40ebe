using GenStore.Git;
using GenStore.Git.Tests;
using GenStore.Journal;
using GenStore.Testing;

namespace GenStore.Config.Tests;

/// <summary>A journal derived from an earlier compile when only copied files changed is byte for byte the full compile's, and nothing else is derived.</summary>
public sealed class RecompileTests : IDisposable
{
    private readonly TempDir _state = new();
    private readonly Store.Store _store;

    public RecompileTests() => _store = Store.Store.Open(_state.Combine("store"));

    public void Dispose() => _state.Dispose();

    [Fact]
    public void Changing_copied_files_gives_exactly_the_journal_a_full_compile_gives()
    {
        using var repo = Config();
        var first = repo.Commit("first");
        var before = Compile(repo, first);

        // A file inside a tree, a file copied by a file block and by the tree at once, a file no block uses.
        repo.Write("www/b.txt", "b, changed\n").Write("shared/conf", "conf, changed\n").Write("README", "changed\n");
        var second = repo.Commit("content only");

        var derived = Recompile(repo, first, second, before);

        Assert.NotNull(derived);
        Assert.True(derived.Statistics.Incremental);
        Assert.Equal(Compile(repo, second).Text, derived.Text);
        Assert.NotEqual(before.Text, derived.Text);
        Assert.Equal(2, derived.Statistics.FilesHashed);
        Assert.True(_store.Contains(derived.JournalId!.Value));
    }

    [Fact]
    public void A_change_to_a_file_no_step_uses_gives_the_same_journal()
    {
        using var repo = Config();
        var first = repo.Commit("first");
        var before = Compile(repo, first);
        repo.Write("README", "changed\n");
        var second = repo.Commit("readme");

        Assert.Equal(before.Text, Recompile(repo, first, second, before)!.Text);
    }

    [Fact]
    public void A_copied_file_named_like_a_templates_label_patches_only_its_own_step()
    {
        using var repo = new TestRepo();
        repo.Write("main.gen", """
            file "/etc/a" { source = "tpl"  template = true }
            file "/etc/b" { source = "tpl (template)" }
            """ + "\n").Write("tpl", "host ${host.id}\n").Write("tpl (template)", "plain\n");
        var first = repo.Commit("first");
        var before = Compile(repo, first);
        repo.Write("tpl (template)", "plain, changed\n");
        var second = repo.Commit("the plain file");

        Assert.Equal(Compile(repo, second).Text, Recompile(repo, first, second, before)!.Text);
    }

    [Theory]
    [InlineData("a .gen file", "main.gen")]
    [InlineData("an included .gen file", "more.gen")]
    [InlineData("a template", "tpl/motd")]
    public void A_change_to_a_file_the_evaluation_reads_needs_a_full_compile(string what, string file)
    {
        _ = what;
        using var repo = Config();
        var first = repo.Commit("first");
        var before = Compile(repo, first);
        var path = Path.Combine(repo.Path, file);
        repo.Write(file, File.ReadAllText(path).Replace("\n", " \n", StringComparison.Ordinal));
        var second = repo.Commit("read file");

        Assert.Null(Recompile(repo, first, second, before));
    }

    [Fact]
    public void Added_removed_retargeted_or_re_moded_entries_are_not_content_changes()
    {
        using var repo = Config();
        var first = repo.Commit("first");
        using var source = GitSource.Open(repo.Path);

        foreach (var change in new Action<TestRepo>[]
                 {
                     r => r.Write("www/new.txt", "new\n"),
                     r => r.Delete("www/a.txt"),
                     r => r.Write("www/a.txt", "a\n", executable: true),
                     r => r.Delete("www/link").Symlink("www/link", "b.txt"),
                 })
        {
            repo.Git($"checkout -q {first}");
            change(repo);
            var next = repo.Commit("other change");
            using var tree = source.TreeAt(source.Resolve(next));
            Assert.Null(tree.ContentChangesSince(source.Resolve(first), 100));
        }
    }

    [Fact]
    public void More_changed_files_than_the_limit_are_not_listed()
    {
        using var repo = Config();
        var first = repo.Commit("first");
        repo.Write("www/a.txt", "a2\n").Write("www/b.txt", "b2\n");
        var second = repo.Commit("two files");
        using var source = GitSource.Open(repo.Path);
        using var tree = source.TreeAt(source.Resolve(second));

        Assert.Null(tree.ContentChangesSince(source.Resolve(first), 1));
        Assert.Equal(["www/a.txt", "www/b.txt"], tree.ContentChangesSince(source.Resolve(first), 2)!.Select(e => e.Path));
    }

    private static TestRepo Config()
    {
        var repo = new TestRepo();
        repo.Write("main.gen", """
            include "more.gen"
            tree "/srv/www" { source = "www" }
            file "/etc/conf" { source = "shared/conf" }
            file "/etc/motd" { source = "tpl/motd"  template = true }
            """ + "\n")
            .Write("more.gen", "tree \"/srv/shared\" { source = \"shared\" }\n")
            .Write("www/a.txt", "a\n").Write("www/b.txt", "b\n").Symlink("www/link", "a.txt")
            .Write("shared/conf", "conf\n")
            .Write("tpl/motd", "welcome to ${host.id}\n")
            .Write("README", "readme\n");
        return repo;
    }

    private CompileResult Compile(TestRepo repo, string commit)
    {
        using var source = GitSource.Open(repo.Path);
        using var tree = source.TreeAt(source.Resolve(commit));
        var result = ConfigCompiler.Compile(tree, new CompileOptions("web-01"), _store);
        Assert.True(result.Succeeded, result.RenderDiagnostics());
        return result;
    }

    private CompileResult? Recompile(TestRepo repo, string from, string to, CompileResult before)
    {
        using var source = GitSource.Open(repo.Path);
        using var tree = source.TreeAt(source.Resolve(to));
        var changed = tree.ContentChangesSince(source.Resolve(from), 100);
        Assert.NotNull(changed);

        // The earlier journal as a switch has it: parsed back from its stored text.
        var previous = JournalParser.Parse(_store.ReadAllBytes(before.JournalId!.Value), "previous").GetJournalOrThrow();
        return ConfigCompiler.Recompile(previous, before.ReadPaths, before.CopiedFiles, changed, tree, _store);
    }
}
