using GenStore.Journal;
using GenStore.Testing;

namespace GenStore.Config.Tests;

/// <summary>A config repo in a plain temp folder, compiled with <see cref="DirectorySourceTree"/>: the fast way to test the language.</summary>
internal sealed class ConfigFixture : IDisposable
{
    private readonly TempDir _dir = new("gen-config");
    private readonly TempDir _state = new("gen-config-store");
    private Store.Store? _store;

    /// <summary>A store of this fixture's own, outside the config folder.</summary>
    public Store.Store Store => _store ??= GenStore.Store.Store.Open(_state.Combine("store"));

    public string Path => _dir.Path;

    public ConfigFixture Write(string relative, string content, bool executable = false)
    {
        var full = _dir.Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        File.SetUnixFileMode(full, executable ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
        return this;
    }

    public ConfigFixture Symlink(string relative, string target)
    {
        var full = _dir.Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.CreateSymbolicLink(full, target);
        return this;
    }

    public CompileResult Compile(string host = "web-01") =>
        ConfigCompiler.Compile(new DirectorySourceTree(Path), new CompileOptions(host), Store);

    /// <summary>Compiles and returns the journal's step lines without the header, EXTERNAL lines or the payload ids (replaced by b3:…).</summary>
    public string[] Lines(string host = "web-01")
    {
        var result = Compile(host);
        Assert.True(result.Succeeded, result.RenderDiagnostics());
        return result.Journal!.Steps.Select(s => JournalPrinter.FormatStep(s is CopyStep c ? c with { Payload = default } : s)
            .Replace(new Store.ObjectId(new byte[32]).ToString(), "b3:…", StringComparison.Ordinal)).ToArray();
    }

    /// <summary>Compiles a config that must fail and returns its errors.</summary>
    public IReadOnlyList<Diagnostic> Errors(string host = "web-01")
    {
        var result = Compile(host);
        Assert.False(result.Succeeded, "the config compiled, but errors were expected:\n" + result.Text);
        return result.Diagnostics;
    }

    /// <summary>The text of the payload a compiled journal installs at <paramref name="path"/>.</summary>
    public string Content(CompileResult result, string path)
    {
        var step = result.Journal!.Steps.OfType<CopyStep>().Single(s => s.Path == path);
        return System.Text.Encoding.UTF8.GetString(Store.ReadAllBytes(step.Payload));
    }

    public void Dispose()
    {
        _dir.Dispose();
        _state.Dispose();
    }
}
