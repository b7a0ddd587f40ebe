namespace GenStore.Store;

/// <summary>Hashes files and streams with BLAKE3 in constant memory, and reports them the way b3sum does.</summary>
public static class FileHasher
{
    private const int BufferSize = 1 << 20;

    /// <summary>The digest of everything readable from <paramref name="stream"/>.</summary>
    public static ObjectId Hash(Stream stream, int threads = 1)
    {
        _ = threads;
        var hasher = new Blake3Hasher();
        var buffer = new byte[BufferSize];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            hasher.Update(buffer.AsSpan(0, read));
        }

        return hasher.FinalizeId();
    }

    /// <summary>The digest of the file at <paramref name="path"/>.</summary>
    public static ObjectId HashFile(string path, int threads = 1)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        return Hash(stream, threads);
    }

    /// <summary>Prints <c>hex  path</c> for each file (<c>-</c> is standard input); a file that fails is reported and the rest still hashed.</summary>
    /// <returns>0 when every file was hashed, 1 otherwise (b3sum's convention).</returns>
    public static int HashAll(IEnumerable<string> paths, int threads, TextWriter output, TextWriter errors)
    {
        var failed = false;
        foreach (var path in paths)
        {
            try
            {
                var id = path == "-" ? Hash(Console.OpenStandardInput(), threads) : HashFile(path, threads);
                output.WriteLine($"{id.ToHex()}  {path}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.WriteLine($"gen: {path}: {Describe(e)}");
                failed = true;
            }
        }

        return failed ? 1 : 0;
    }

    private static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };
}
