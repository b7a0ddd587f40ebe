namespace GenStore.Testing;

/// <summary>Locations of the project's own files and of the read-only shared test data, found from the test binary.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    /// <summary>The repository root, the folder that holds GenStore.sln.</summary>
    public static string Root => RootLazy.Value;

    /// <summary>The shared test data folder beside the repository (<c>../shared/testdata</c>).</summary>
    public static string SharedTestData => Path.GetFullPath(Path.Combine(Root, "..", "shared", "testdata"));

    private static string FindRoot()
    {
        // Test binaries may live in artifacts/ under the root or in a folder GEN_ARTIFACTS names,
        // so try the working directory too; dotnet test runs from the project folder.
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "GenStore.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        var built = typeof(RepoPaths).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .OfType<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "GenStore.RepoRoot")?.Value;
        if (built is not null && File.Exists(Path.Combine(built, "GenStore.sln")))
        {
            return built;
        }

        var fromEnv = Environment.GetEnvironmentVariable("GEN_REPO_ROOT");
        return fromEnv ?? throw new InvalidOperationException("cannot find GenStore.sln above the test binary; set GEN_REPO_ROOT");
    }
}
