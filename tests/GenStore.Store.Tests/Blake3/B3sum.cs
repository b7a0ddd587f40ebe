using System.Diagnostics;

namespace GenStore.Store.Tests.Blake3;

/// <summary>Runs the real <c>b3sum</c> program, the reference implementation the tests compare against.</summary>
public static class B3sum
{
    /// <summary>The hex digest b3sum prints for the file at <paramref name="path"/>, with its extra arguments.</summary>
    public static string Hex(string path, params string[] arguments) => Hex(path, stdin: null, arguments);

    /// <summary>The hex output of b3sum for <paramref name="path"/>, feeding <paramref name="stdin"/> (a key, for <c>--keyed</c>).</summary>
    public static string Hex(string path, byte[]? stdin, params string[] arguments)
    {
        var info = new ProcessStartInfo("b3sum")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add("--no-names");
        info.ArgumentList.Add(path);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("b3sum is not installed; install it with: apt-get install -y b3sum", e);
        }

        using (process)
        {
            if (stdin is not null)
            {
                process.StandardInput.BaseStream.Write(stdin);
            }

            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEnd();
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"b3sum failed: {errors}");
            return output.Trim();
        }
    }
}
