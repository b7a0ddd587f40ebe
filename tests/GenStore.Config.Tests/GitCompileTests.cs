using GenStore.Git;
using GenStore.Git.Tests;
using GenStore.Journal;
using GenStore.Testing;

namespace GenStore.Config.Tests;

public sealed class GitCompileTests
{
    private static CompileResult CompileAt(TestRepo repo, string revision, Store.Store store, string host = "web-01")
    {
        using var source = GitSource.Open(repo.Path);
        using var tree = source.TreeAt(source.Resolve(revision));
        return ConfigCompiler.Compile(tree, new CompileOptions(host), store);
    }

    /// <summary>A repo whose one commit mirrors <paramref name="files"/> small files under <c>www</c> onto <c>/srv/www</c>.</summary>
    private static TestRepo TreeRepo(int files)
    {
        var repo = new TestRepo();
        repo.Write("main.gen", "tree \"/srv/www\" { source = \"www\" }\n");
        for (var i = 0; i < files; i++)
        {
            repo.Write($"www/f{i:D2}.txt", $"file {i}\n");
        }

        repo.Commit("first");
        return repo;
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }
    }

    [Fact]
    public void The_example_repo_compiles_to_a_journal_that_passes_the_static_checks()
    {
        using var repo = new TestRepo();
        CopyFolder(Path.Combine(RepoPaths.Root, "examples"), repo.Path);
        repo.Commit("example");
        using var state = new TempDir();
        var store = Store.Store.Open(state.Combine("store"));

        var result = CompileAt(repo, "HEAD", store);

        Assert.True(result.Succeeded, result.RenderDiagnostics());
        var journal = result.Journal!;
        var byPath = journal.Steps.Where(s => s.Identity.Kind == IdentityKind.Path).ToDictionary(s => s.Identity.Name);
        Assert.IsType<MkdirStep>(byPath["/etc/nginx"]);
        Assert.IsType<CopyStep>(byPath["/etc/nginx/nginx.conf"]);
        Assert.Equal(new LinkStep("/etc/nginx/sites-enabled/example.org", "/etc/nginx/sites-available/example.org"), byPath["/etc/nginx/sites-enabled/example.org"]);
        Assert.IsType<CopyStep>(byPath["/etc/sysctl.d/90-gen-web.conf"]);
        Assert.Equal(0x1ED, ((CopyStep)byPath["/srv/www/example.org/bin/healthcheck.sh"]).Mode);
        Assert.Equal(0x1A4, ((CopyStep)byPath["/srv/www/example.org/css/site.css"]).Mode);
        Assert.Equal("deploy", ((CopyStep)byPath["/srv/www/example.org/index.html"]).Owner);
        Assert.Contains(journal.Steps, s => s is UserStep { Name: "deploy", Uid: 2001, PrimaryGroup: "deploy" });
        Assert.Contains(journal.Steps, s => s is GroupStep { Name: "deploy", Gid: 2001 });
        var reload = Assert.Single(journal.Steps.OfType<RunStep>());
        Assert.Equal(["systemctl", "reload", "nginx"], reload.Argv);
        Assert.Equal(new SourceSpan("roles/nginx.gen", 21, 1), reload.Source);

        var site = (CopyStep)byPath["/etc/nginx/sites-available/example.org"];
        var siteText = System.Text.Encoding.UTF8.GetString(store.ReadAllBytes(site.Payload));
        Assert.Contains("server_name example.org www.example.org;", siteText, StringComparison.Ordinal);
        Assert.Contains("root /srv/www/example.org;", siteText, StringComparison.Ordinal);
        Assert.Contains("try_files $uri $uri/ =404;", siteText, StringComparison.Ordinal);
        var motd = (CopyStep)byPath["/etc/motd"];
        Assert.StartsWith("This is web-01, serving example.org.\n", System.Text.Encoding.UTF8.GetString(store.ReadAllBytes(motd.Payload)), StringComparison.Ordinal);

        var problems = JournalChecker.Check(journal, new CheckOptions
        {
            SystemUsers = new HashSet<string> { "root", "www-data" },
            SystemGroups = new HashSet<string> { "root", "www-data" },
            PayloadExists = store.Contains,
        });
        Assert.Empty(problems);
        Assert.True(store.Contains(result.JournalId!.Value));
        Assert.Equal(result.Text, System.Text.Encoding.UTF8.GetString(store.ReadAllBytes(result.JournalId.Value)));

        // Other hosts do not get the web-only banner.
        var db = CompileAt(repo, "HEAD", store, "db-01");
        Assert.DoesNotContain(db.Journal!.Steps, s => s.Identity.Name == "/etc/motd");
    }

    [Fact]
    public void Repos_whose_files_were_committed_in_different_orders_compile_to_the_same_bytes()
    {
        var files = new (string Path, string Content)[]
        {
            ("main.gen", "tree \"/srv/www\" { source = \"www\" }\nfile \"/etc/a\" { source = \"files/a\" }\n"),
            ("files/a", "A\n"),
            ("www/z.txt", "z"),
            ("www/B/y.txt", "y"),
            ("www/a.txt", "a"),
            ("www/B/x.txt", "x"),
        };
        using var first = new TestRepo();
        foreach (var (path, content) in files)
        {
            first.Write(path, content);
        }

        first.Commit("all at once");

        using var second = new TestRepo();
        foreach (var (path, content) in files.Reverse())
        {
            second.Write(path, content).Commit("one file " + path);
        }

        using var stateA = new TempDir();
        using var stateB = new TempDir();
        var one = CompileAt(first, "HEAD", Store.Store.Open(stateA.Combine("store")));
        var two = CompileAt(second, "HEAD", Store.Store.Open(stateB.Combine("store")));
        var again = CompileAt(first, "HEAD", Store.Store.Open(stateA.Combine("store")));

        Assert.True(one.Succeeded, one.RenderDiagnostics());
        Assert.Equal(one.Text, two.Text);
        Assert.Equal(one.JournalId, two.JournalId);
        Assert.Equal(one.Text, again.Text);
    }

    [Fact]
    public void A_git_commit_and_the_same_files_in_a_plain_folder_compile_to_the_same_journal()
    {
        using var repo = new TestRepo();
        CopyFolder(Path.Combine(RepoPaths.Root, "examples"), repo.Path);
        repo.Commit("example");
        using var state = new TempDir();
        var store = Store.Store.Open(state.Combine("store"));

        var fromGit = CompileAt(repo, "HEAD", store);
        var fromFolder = ConfigCompiler.Compile(new DirectorySourceTree(repo.Path), new CompileOptions("web-01"), store);

        Assert.True(fromFolder.Succeeded, fromFolder.RenderDiagnostics());
        Assert.Equal(fromGit.Text, fromFolder.Text);
    }

    [Fact]
    public void A_second_compile_with_one_changed_file_hashes_only_that_file()
    {
        using var repo = new TestRepo();
        repo.Write("main.gen", "tree \"/srv/www\" { source = \"www\" }\nfile \"/etc/x\" { source = \"files/x\" }\n").Write("files/x", "x1");
        for (var i = 0; i < 30; i++)
        {
            repo.Write($"www/{i / 10}/f{i:D2}.txt", $"file {i}\n");
        }

        repo.Commit("first");
        using var state = new TempDir();
        var store = Store.Store.Open(state.Combine("store"));

        var cold = CompileAt(repo, "HEAD", store);
        Assert.True(cold.Succeeded, cold.RenderDiagnostics());
        Assert.Equal(31, cold.Statistics.FilesHashed);
        Assert.Equal(0, cold.Statistics.CacheHits);

        repo.Write("www/1/f15.txt", "changed content\n").Commit("second");
        var warm = CompileAt(repo, "HEAD", store);

        Assert.Equal(1, warm.Statistics.FilesHashed);
        Assert.Equal("changed content\n".Length, warm.Statistics.BytesHashed);
        Assert.Equal(30, warm.Statistics.CacheHits);

        // The cached ids are the real ones: a cache-less compile (no store) gives the same journal.
        using var source = GitSource.Open(repo.Path);
        using var tree = source.TreeAt(source.Resolve("HEAD"));
        Assert.Equal(warm.Text, ConfigCompiler.Compile(tree, new CompileOptions("web-01"), null).Text);

        // And the older commit compiles entirely from the cache.
        var old = CompileAt(repo, "HEAD~1", store);
        Assert.Equal(0, old.Statistics.FilesHashed);
        Assert.Equal(cold.Text, old.Text);
    }

    [Fact]
    public void A_cache_entry_whose_object_was_deleted_is_hashed_again()
    {
        using var repo = new TestRepo();
        repo.Write("main.gen", "file \"/etc/a\" { source = \"a\" }\nfile \"/etc/b\" { source = \"b\" }\n").Write("a", "aaa").Write("b", "bbb").Commit();
        using var state = new TempDir();
        var store = Store.Store.Open(state.Combine("store"));
        var first = CompileAt(repo, "HEAD", store);
        var a = first.Journal!.Steps.OfType<CopyStep>().First(s => s.Path == "/etc/a").Payload;

        Assert.True(store.Delete(a));
        var second = CompileAt(repo, "HEAD", store);

        Assert.Equal(1, second.Statistics.FilesHashed);
        Assert.True(store.Contains(a));
        Assert.Equal(first.Text, second.Text);
    }

    [Fact]
    public void Store_folders_unchanged_since_their_last_check_vouch_for_their_objects_without_a_stat_each()
    {
        using var repo = TreeRepo(files: 40);
        using var state = new TempDir();
        var store = Store.Store.Open(state.Combine("store"));
        var cold = CompileAt(repo, "HEAD", store);
        Assert.Equal(40, cold.Statistics.FilesHashed);

        // Folders changed within the last 50 ms are not vouched for yet (a removal could still get the same ctime).
        Thread.Sleep(150);
        var checkedAll = CompileAt(repo, "HEAD", store);
        Assert.Equal(40, checkedAll.Statistics.CacheHits);
        Assert.Equal(40, checkedAll.Statistics.ObjectsChecked);

        Thread.Sleep(150);
        var vouched = CompileAt(repo, "HEAD", store);
        Assert.Equal(40, vouched.Statistics.CacheHits);
        Assert.Equal(0, vouched.Statistics.ObjectsChecked);
        Assert.Equal(cold.Text, vouched.Text);
        Assert.True(File.Exists(Path.Combine(store.Folder, "cache", "git-blob-b3.checked")));
    }

    [Fact]
    public void A_compile_that_vouches_for_the_folders_it_filled_spares_the_next_compile_a_stat_per_object()
    {
        using var repo = TreeRepo(files: 40);
        using var state = new TempDir();
        var store = Store.Store.Open(state.Combine("store"));
        var cold = CompileAt(repo, "HEAD", store);

        // As a switch does after its apply, with the lock held throughout: the folders' ctimes have settled by then.
        Thread.Sleep(150);
        cold.VouchForStoreFolders();
        var next = CompileAt(repo, "HEAD", store);

        Assert.Equal(40, next.Statistics.CacheHits);
        Assert.Equal(0, next.Statistics.ObjectsChecked);
        Assert.Equal(cold.Text, next.Text);
    }

    [Fact]
    public void An_object_removed_from_a_vouched_for_folder_is_noticed_and_hashed_again()
    {
        using var repo = TreeRepo(files: 20);
        using var state = new TempDir();
        var store = Store.Store.Open(state.Combine("store"));
        var cold = CompileAt(repo, "HEAD", store);
        Thread.Sleep(150);
        CompileAt(repo, "HEAD", store);
        Thread.Sleep(150);
        Assert.Equal(0, CompileAt(repo, "HEAD", store).Statistics.ObjectsChecked);

        // Removed right after the folder was vouched for: its ctime changes, so its records are checked again.
        var victim = cold.Journal!.Steps.OfType<CopyStep>().First().Payload;
        Assert.True(store.Delete(victim));
        var after = CompileAt(repo, "HEAD", store);

        Assert.Equal(1, after.Statistics.FilesHashed);
        Assert.True(after.Statistics.ObjectsChecked > 0);
        Assert.True(store.Contains(victim));
        Assert.Equal(cold.Text, after.Text);

        // The cache was compacted without the lost record and nothing else is hashed again.
        Thread.Sleep(150);
        Assert.Equal(0, CompileAt(repo, "HEAD", store).Statistics.FilesHashed);
    }

    [Fact]
    public void Folder_claims_written_for_another_cache_file_are_ignored()
    {
        using var repo = new TestRepo();
        repo.Write("main.gen", "file \"/etc/a\" { source = \"a\" }\nfile \"/etc/b\" { source = \"b\" }\n").Write("a", "aaa").Write("b", "bbb").Commit();
        using var state = new TempDir();
        var store = Store.Store.Open(state.Combine("store"));
        var first = CompileAt(repo, "HEAD", store);
        Thread.Sleep(150);
        CompileAt(repo, "HEAD", store);
        var claims = Path.Combine(store.Folder, "cache", "git-blob-b3.checked");
        Assert.True(File.Exists(claims));

        // Replace the cache file by one that names the same objects in another order: the claims cover other records now.
        var cacheFile = Path.Combine(store.Folder, "cache", "git-blob-b3");
        var bytes = File.ReadAllBytes(cacheFile);
        File.WriteAllBytes(cacheFile, [.. bytes.AsSpan(80, 80), .. bytes.AsSpan(0, 80)]);
        var a = first.Journal!.Steps.OfType<CopyStep>().First(s => s.Path == "/etc/a").Payload;
        Assert.True(store.Delete(a));
        var second = CompileAt(repo, "HEAD", store);

        Assert.Equal(2, second.Statistics.ObjectsChecked);
        Assert.Equal(1, second.Statistics.FilesHashed);
        Assert.Equal(first.Text, second.Text);
    }

    [Fact]
    public void A_torn_or_corrupt_cache_file_is_repaired_and_never_trusted()
    {
        using var repo = new TestRepo();
        repo.Write("main.gen", "file \"/etc/a\" { source = \"a\" }\nfile \"/etc/b\" { source = \"b\" }\n").Write("a", "aaa").Write("b", "bbb").Commit();
        using var state = new TempDir();
        var store = Store.Store.Open(state.Combine("store"));
        var first = CompileAt(repo, "HEAD", store);
        var cacheFile = Path.Combine(store.Folder, "cache", "git-blob-b3");
        var bytes = File.ReadAllBytes(cacheFile);
        Assert.Equal(160, bytes.Length);

        // Flip a byte of the first record's object id and add a torn tail.
        bytes[40] ^= 0xFF;
        File.WriteAllBytes(cacheFile, [.. bytes, 1, 2, 3]);
        var second = CompileAt(repo, "HEAD", store);

        Assert.Equal(first.Text, second.Text);
        Assert.Equal(1, second.Statistics.FilesHashed);
        Assert.Equal(0, new FileInfo(cacheFile).Length % 80);
        Assert.Equal(0, CompileAt(repo, "HEAD", store).Statistics.FilesHashed);
    }

    [Fact]
    public void A_config_error_in_a_commit_writes_nothing_to_the_store()
    {
        using var repo = new TestRepo();
        repo.Write("main.gen", "file \"/etc/a\" { source = \"a\" }\ninclude \"b.gen\"\n").Write("b.gen", "include \"main.gen\"\n").Write("a", "aaa").Commit();
        using var state = new TempDir();
        var store = Store.Store.Open(state.Combine("store"));

        var result = CompileAt(repo, "HEAD", store);

        Assert.False(result.Succeeded);
        Assert.Contains("include cycle: main.gen -> b.gen -> main.gen", result.Diagnostics[0].Message, StringComparison.Ordinal);
        Assert.Empty(store.Enumerate());
        Assert.False(Directory.Exists(Path.Combine(store.Folder, "cache")));
    }

    [Fact]
    public void The_compile_command_prints_the_journal_and_the_errors_with_carets()
    {
        using var repo = new TestRepo();
        repo.Write("main.gen", "dir \"/etc/app\" { }\n").Commit("good");
        repo.Write("main.gen", "dir \"/etc/app\" { mdoe = \"0700\" }\nfiel \"/x\" { }\n").Commit("bad");
        using var state = new TempDir();
        var output = new StringWriter();
        var errors = new StringWriter();

        RepoCompiler.PrintCompile(new CompileRequest("HEAD~1", repo.Path, "web-01", state.Path), output, errors);
        Assert.Equal("gen-journal 1\nEXTERNAL /etc @main.gen:1:1\nMKDIR /etc/app 0755 root root @main.gen:1:1\n", output.ToString());
        Assert.Contains("1 steps", errors.ToString(), StringComparison.Ordinal);

        var bad = new StringWriter();
        var thrown = Assert.Throws<InputException>(() => RepoCompiler.PrintCompile(new CompileRequest("main", repo.Path, "web-01", state.Path), new StringWriter(), bad));
        Assert.Equal("main.gen:1:18: unknown attribute 'mdoe' in a dir block; expected one of: mode, owner, group, after (and 1 more error)", thrown.Message);
        Assert.Contains(" 1 | dir \"/etc/app\" { mdoe = \"0700\" }\n   |                  ^~~~\n", bad.ToString(), StringComparison.Ordinal);
        Assert.Contains("main.gen:2:1: error: unknown block 'fiel'", bad.ToString(), StringComparison.Ordinal);

        Assert.Throws<InputException>(() => RepoCompiler.PrintCompile(new CompileRequest("no-such-rev", repo.Path, "web-01", state.Path), new StringWriter(), new StringWriter()));
    }

    [Fact]
    public void Explain_names_the_gen_line_that_produced_a_path_and_the_triggers_it_fires()
    {
        using var repo = new TestRepo();
        repo.Write("www/i.html", "i")
            .Write("main.gen", "# web\ntree \"/srv/www\" {\n  source = \"www\"\n}\non_change \"reload\" { paths = [\"/srv/www/**\"]  run = [\"true\"] }\nuser \"deploy\" { }\n")
            .Commit();
        using var state = new TempDir();
        var output = new StringWriter();

        RepoCompiler.PrintExplain(new CompileRequest("HEAD", repo.Path, "web-01", state.Path), "/srv/www/i.html", output, new StringWriter());
        var text = output.ToString();
        Assert.Contains("path /srv/www/i.html\n", text, StringComparison.Ordinal);
        Assert.Contains("  from:   main.gen:2:1\n    2 | tree \"/srv/www\" {\n", text, StringComparison.Ordinal);
        Assert.Contains("on_change \"reload\" (main.gen:5:1)", text, StringComparison.Ordinal);
        Assert.Contains("  content: www/i.html\n", text, StringComparison.Ordinal);

        var user = new StringWriter();
        RepoCompiler.PrintExplain(new CompileRequest("HEAD", repo.Path, "web-01", state.Path), "user:deploy", user, new StringWriter());
        Assert.Contains("main.gen:6:1", user.ToString(), StringComparison.Ordinal);

        Assert.Throws<InputException>(() => RepoCompiler.PrintExplain(new CompileRequest("HEAD", repo.Path, "web-01", state.Path), "/etc/none", new StringWriter(), new StringWriter()));
    }
}
