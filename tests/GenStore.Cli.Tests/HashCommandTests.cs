using System.Diagnostics;
using GenStore.Testing;

namespace GenStore.Cli.Tests;

/// <summary><c>gen hash</c> prints exactly what b3sum prints, for files, standard input and failures.</summary>
public sealed class HashCommandTests : IDisposable
{
    private readonly TempDir _dir = new("gen-hash");

    public HashCommandTests()
    {
        int[] sizes = [0, 1, 1025, 65536, (1024 * 1024) + 1, (5 * 1024 * 1024) + 3];
        foreach (var size in sizes)
        {
            var bytes = new byte[size];
            new Random(size).NextBytes(bytes);
            File.WriteAllBytes(_dir.Combine($"file {size}.bin"), bytes);
        }
    }

    private string[] Files => Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Hashing_several_files_prints_byte_for_byte_what_b3sum_prints()
    {
        var gen = GenRunner.Run(["hash", .. Files], workingDirectory: _dir.Path);
        var b3sum = RunB3sum(Files, stdin: null);
        Assert.Equal(0, gen.ExitCode);
        Assert.Equal(b3sum.StdOut, gen.StdOut);
        Assert.Equal("", gen.StdErr);
    }

    [Fact]
    public void Absolute_paths_are_printed_as_given()
    {
        var paths = Files.Select(f => _dir.Combine(f)).ToArray();
        var gen = GenRunner.Run(["hash", .. paths]);
        Assert.Equal(RunB3sum(paths, stdin: null).StdOut, gen.StdOut);
    }

    [Fact]
    public void A_dash_hashes_standard_input()
    {
        var input = new byte[(2 * 1024 * 1024) + 11];
        new Random(3).NextBytes(input);
        var gen = GenRunner.Run(["hash", "-"], stdin: input);
        Assert.Equal(0, gen.ExitCode);
        Assert.Equal(RunB3sum(["-"], input).StdOut, gen.StdOut);
        Assert.EndsWith("  -\n", gen.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_gives_one_error_line_naming_it_and_a_failing_exit_while_the_others_are_still_hashed()
    {
        var first = Files[0];
        var last = Files[^1];
        var gen = GenRunner.Run(["hash", first, "no-such-file", last], workingDirectory: _dir.Path);
        Assert.NotEqual(0, gen.ExitCode);
        Assert.Equal(RunB3sum([first, last], stdin: null).StdOut, gen.StdOut);
        var errorLines = gen.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(errorLines);
        Assert.Contains("no-such-file", errorLines[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    [InlineData("7")]
    public void Every_thread_count_gives_the_same_output_as_b3sum(string threads)
    {
        var gen = GenRunner.Run(["hash", "--threads", threads, .. Files], workingDirectory: _dir.Path);
        Assert.Equal(0, gen.ExitCode);
        Assert.Equal(RunB3sum(Files, stdin: null).StdOut, gen.StdOut);
    }

    [Fact]
    public void A_thread_count_of_zero_is_refused()
    {
        var gen = GenRunner.Run(["hash", "--threads", "0", Files[0]], workingDirectory: _dir.Path);
        Assert.NotEqual(0, gen.ExitCode);
        Assert.Contains("--threads", gen.StdErr, StringComparison.Ordinal);
    }

    private GenResult RunB3sum(IEnumerable<string> args, byte[]? stdin)
    {
        var info = new ProcessStartInfo("b3sum")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dir.Path,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.BaseStream.Write(stdin);
        }

        process.StandardInput.Close();
        process.WaitForExit();
        return new GenResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
