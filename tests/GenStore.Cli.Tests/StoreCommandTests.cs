using GenStore.Store;
using GenStore.Testing;

namespace GenStore.Cli.Tests;

/// <summary>End-to-end tests of <c>gen store</c>: real gen processes against a store in a temp state folder.</summary>
public sealed class StoreCommandTests : IDisposable
{
    private readonly TempDir _dir = new("gen-store-cli");

    public void Dispose() => _dir.Dispose();

    private string State => _dir.Combine("state");

    [Fact]
    public void Add_prints_the_ids_in_argument_order_and_cat_gives_the_content_back()
    {
        var a = Write("a.txt", "first\n");
        var b = Write("b.txt", "second\n");

        var added = Gen("store", "add", a, b);

        Assert.Equal(0, added.ExitCode);
        var ids = Lines(added.StdOut);
        Assert.Equal(2, ids.Length);
        Assert.Equal(Gen("hash", a).StdOut.Split(' ')[0], ObjectId.Parse(ids[0]).ToHex());
        var cat = Gen("store", "cat", ids[1]);
        Assert.Equal(0, cat.ExitCode);
        Assert.Equal("second\n", cat.StdOut);
    }

    [Fact]
    public void The_state_folder_comes_from_GEN_STATE_or_from_state_given_after_the_subcommand()
    {
        var file = Write("f", "somewhere\n");
        var other = _dir.Combine("other-state");

        var viaOption = GenRunner.Run(["store", "add", file, "--state", other]);
        var viaEnv = GenRunner.Run(["store", "add", file], environment: new Dictionary<string, string?> { ["GEN_STATE"] = State });

        Assert.Equal(0, viaOption.ExitCode);
        Assert.Equal(0, viaEnv.ExitCode);
        Assert.Equal(viaOption.StdOut, viaEnv.StdOut);
        var id = ObjectId.Parse(Lines(viaEnv.StdOut)[0]);
        Assert.True(Store.Store.Open(Path.Combine(other, "store"), create: false).Contains(id));
        Assert.True(Store.Store.Open(Path.Combine(State, "store"), create: false).Contains(id));
    }

    [Fact]
    public void Verify_of_a_clean_store_exits_0_and_of_a_corrupt_one_exits_5_listing_the_id()
    {
        var good = Lines(Gen("store", "add", Write("good", "good\n")).StdOut)[0];
        var bad = Lines(Gen("store", "add", Write("bad", "this one gets damaged\n")).StdOut)[0];

        var clean = Gen("store", "verify");
        Assert.Equal(0, clean.ExitCode);
        Assert.Equal(string.Empty, clean.StdOut);

        var path = Store.Store.Open(Path.Combine(State, "store")).PathOf(ObjectId.Parse(bad));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var bytes = File.ReadAllBytes(path);
        bytes[3] ^= 0x20;
        File.WriteAllBytes(path, bytes);

        var dirty = Gen("store", "verify");
        Assert.Equal(5, dirty.ExitCode);
        Assert.Equal([bad], Lines(dirty.StdOut));
        Assert.Contains("1 of 2", dirty.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(good, dirty.StdOut, StringComparison.Ordinal);

        var json = Gen("store", "verify", "--json");
        Assert.Equal(5, json.ExitCode);
        using var report = System.Text.Json.JsonDocument.Parse(json.StdOut);
        Assert.Equal(2, report.RootElement.GetProperty("checked").GetInt32());
        Assert.Equal(bad, Assert.Single(report.RootElement.GetProperty("corrupt").EnumerateArray()).GetString());
    }

    [Fact]
    public void Cat_of_a_corrupt_object_writes_nothing_and_exits_5()
    {
        var id = Lines(Gen("store", "add", Write("x", "precious content\n")).StdOut)[0];
        var path = Store.Store.Open(Path.Combine(State, "store")).PathOf(ObjectId.Parse(id));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, "tampered content\n");

        var cat = Gen("store", "cat", id);

        Assert.Equal(5, cat.ExitCode);
        Assert.Equal(string.Empty, cat.StdOut);
        Assert.Contains("corrupt", cat.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Cat_of_an_unknown_id_exits_5_and_of_a_malformed_id_exits_2()
    {
        Gen("store", "add", Write("x", "x"));

        var missing = Gen("store", "cat", "b3:" + new string('0', 64));
        var malformed = Gen("store", "cat", "not-an-id");

        Assert.Equal(5, missing.ExitCode);
        Assert.Contains("missing", missing.StdErr, StringComparison.Ordinal);
        Assert.Equal(2, malformed.ExitCode);
        Assert.Single(Lines(malformed.StdErr));
    }

    [Fact]
    public void Verify_where_there_is_no_store_exits_2_and_creates_nothing()
    {
        var result = Gen("store", "verify");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no store", result.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(State));
    }

    [Fact]
    public void Adding_a_symlink_is_refused_with_a_one_line_error()
    {
        var target = Write("target", "t");
        var link = _dir.Combine("link");
        File.CreateSymbolicLink(link, target);

        var result = Gen("store", "add", link);

        Assert.Equal(1, result.ExitCode);
        Assert.Single(Lines(result.StdErr));
        Assert.Contains("symlink", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eight_processes_adding_the_same_files_at_once_leave_one_object_each_and_no_temp_files()
    {
        var content = new byte[300_000];
        new Random(5).NextBytes(content);
        var big = _dir.Combine("big");
        File.WriteAllBytes(big, content);
        var small = Write("small", "small and shared\n");

        var results = new GenResult[8];
        var runners = Enumerable.Range(0, 8).Select(i => new Thread(() => results[i] = GenRunner.Run(["store", "add", big, small, "--state", State]))).ToList();
        runners.ForEach(t => t.Start());
        runners.ForEach(t => t.Join());

        Assert.All(results, r => Assert.Equal(0, r.ExitCode));
        Assert.Single(results.Select(r => r.StdOut).Distinct());
        var store = Store.Store.Open(Path.Combine(State, "store"), create: false);
        Assert.Equal(Lines(results[0].StdOut).Select(ObjectId.Parse).Order(), store.Enumerate());
        Assert.Empty(Directory.GetFileSystemEntries(store.TempFolder));
        Assert.True(store.Verify().IsClean);
    }

    private GenResult Gen(params string[] args) => GenRunner.Run([.. args, "--state", State]);

    private string Write(string name, string text)
    {
        var path = _dir.Combine(name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
