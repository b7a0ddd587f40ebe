using System.Globalization;
using GenStore.Config;

namespace GenStore.Git;

/// <summary>What <c>gen compile</c> and <c>gen explain</c> are asked: which repo, revision and host, and where the state is.</summary>
/// <param name="Revision">Branch, tag, hash or expression; <c>HEAD</c> when not given.</param>
/// <param name="Repository">The config repo; null means <c>STATE/repo.git</c> when it exists, else the current folder's repo.</param>
/// <param name="HostId">The host to compile for; null means this machine's host name.</param>
/// <param name="StateFolder">The state folder; payloads go to <c>STATE/store</c>.</param>
public sealed record CompileRequest(string Revision, string? Repository, string? HostId, string StateFolder);

/// <summary>Compiles a config repository at a revision: the glue between <see cref="GitSource"/>, the compiler and the store, and the text the CLI prints.</summary>
public static class RepoCompiler
{
    /// <summary>The repository a request reads: <c>--repo</c>, else the state's mirror, else the current folder.</summary>
    public static string RepositoryOf(CompileRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Repository is not null)
        {
            return Path.GetFullPath(request.Repository);
        }

        var mirror = Path.Combine(request.StateFolder, "repo.git");
        return Directory.Exists(mirror) ? mirror : Environment.CurrentDirectory;
    }

    /// <summary>The host id of a request: <c>--host</c>, else this machine's host name.</summary>
    public static string HostOf(CompileRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.HostId ?? Environment.MachineName;
    }

    /// <summary>Compiles the request into <paramref name="store"/> (or only hashes when it is null); errors are in the result.</summary>
    public static (GitCommit Commit, CompileResult Result) Compile(CompileRequest request, Store.Store? store, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var source = GitSource.Open(RepositoryOf(request));
        var commit = source.Resolve(request.Revision);
        using var tree = source.TreeAt(commit);
        var result = ConfigCompiler.Compile(tree, options ?? new CompileOptions(HostOf(request)), store);
        return (commit, result);
    }

    /// <summary><c>gen compile</c>: prints the journal (with its source tags) to <paramref name="output"/> and a summary to <paramref name="errors"/>; on compile errors prints them all there and throws.</summary>
    /// <exception cref="InputException">The configuration has errors (the message names the first), or the repo or revision is bad.</exception>
    public static int PrintCompile(CompileRequest request, TextWriter output, TextWriter errors)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        var (commit, result) = CompileIntoState(request, errors);
        output.Write(result.Text);
        var s = result.Statistics;
        errors.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"compiled commit {commit.ShortSha} for host {HostOf(request)}: {s.Steps} steps, journal {result.JournalId}; hashed {s.FilesHashed} files ({s.BytesHashed} bytes), {s.CacheHits} from cache, {s.Elapsed.TotalSeconds:0.000} s"));
        return 0;
    }

    /// <summary><c>gen explain</c>: prints which <c>.gen</c> lines produced the step for <paramref name="what"/>.</summary>
    /// <exception cref="InputException">The configuration has errors, or nothing in it is about <paramref name="what"/>.</exception>
    public static int PrintExplain(CompileRequest request, string what, TextWriter output, TextWriter errors)
    {
        ArgumentNullException.ThrowIfNull(output);
        var (commit, result) = CompileIntoState(request, errors);
        output.Write(Explainer.Explain(result, what));
        output.WriteLine($"(commit {commit.ShortSha}, host {HostOf(request)})");
        return 0;
    }

    private static (GitCommit Commit, CompileResult Result) CompileIntoState(CompileRequest request, TextWriter errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        Store.Store? store;
        try
        {
            store = Store.Store.Open(Path.Combine(request.StateFolder, "store"));
        }
        catch (UnauthorizedAccessException)
        {
            // Compiling is useful without write access (a config repo's CI, a curious user): hash, do not store.
            errors.WriteLine($"gen: note: cannot write the store under {request.StateFolder}; payloads are hashed but not stored (pass --state DIR to keep them)");
            store = null;
        }

        var (commit, result) = Compile(request, store);
        if (!result.Succeeded)
        {
            // The full list with carets is the command's own output, as a compiler prints; the exception is the summary.
            errors.Write(result.RenderDiagnostics());
            result.GetJournalOrThrow();
        }

        return (commit, result);
    }
}
