namespace GenStore.Cli;

/// <summary>The exit codes of <c>gen</c>, documented in docs/exit-codes.md, and the one place errors become them.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Done = 0;

    /// <summary>Something failed that is not the caller's input: I/O, a full disk, an internal error.</summary>
    public const int Failed = 1;

    /// <summary>Bad input: arguments, a file, a journal, a config or a revision.</summary>
    public const int BadInput = 2;

    /// <summary>The disk no longer matches what the current generation left (drift).</summary>
    public const int Drift = 3;

    /// <summary>A health check failed after a switch.</summary>
    public const int HealthCheckFailed = 4;

    /// <summary>A store object is corrupt or missing.</summary>
    public const int CorruptStore = 5;

    /// <summary>Another gen process holds the lock.</summary>
    public const int Busy = 6;

    /// <summary>The machine is already where it was asked to go; nothing was done.</summary>
    public const int AlreadyThere = 7;

    /// <summary>Prints the one-line message for <paramref name="error"/> and returns its exit code.</summary>
    public static int Report(Exception error, TextWriter stderr)
    {
        var (code, message) = error switch
        {
            InputException e => (BadInput, e.Message),
            CorruptObjectException e => (CorruptStore, e.Message),
            MissingObjectException e => (CorruptStore, e.Message),
            Generations.BusyException e => (Busy, e.Message),
            Generations.DriftException e => (Drift, e.Message),
            GenException e => (Failed, e.Message),
            IOException e when e.HResult == 28 || e.Message.Contains("No space left", StringComparison.Ordinal)
                => (Failed, $"the disk is full: {e.Message}; free some space and run the command again"),
            UnauthorizedAccessException e => (Failed, $"{e.Message}; run as root or fix the permissions"),
            IOException e => (Failed, e.Message),
            _ => (Failed, $"internal error: {error}"),
        };
        stderr.WriteLine($"gen: {message}");
        return code;
    }
}
