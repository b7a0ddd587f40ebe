namespace GenStore.Testing;

/// <summary>A fresh temporary folder that is deleted, with everything in it, when disposed.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Creates a new empty folder under the system temp folder.</summary>
    public TempDir(string prefix = "gen-test")
    {
        Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;
    }

    /// <summary>The folder's absolute path.</summary>
    public string Path { get; }

    /// <summary>A path inside the folder.</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            MakeWritable(new DirectoryInfo(Path));
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static void MakeWritable(DirectoryInfo dir)
    {
        if (!dir.Exists)
        {
            return;
        }

        // Store folders and objects are made read-only on purpose; give the owner write access back so delete works.
        foreach (var entry in dir.EnumerateFileSystemInfos("*", SearchOption.AllDirectories).Prepend(dir))
        {
            if (entry.LinkTarget is null)
            {
                entry.UnixFileMode |= UnixFileMode.UserWrite | UnixFileMode.UserRead | (entry is DirectoryInfo ? UnixFileMode.UserExecute : 0);
            }
        }
    }
}
