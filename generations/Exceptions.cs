namespace GenStore.Generations;

/// <summary>The state database was written by a newer gen whose schema this gen does not know.</summary>
public sealed class StateVersionException : GenException
{
    /// <summary>Creates the error for the database at <paramref name="path"/>.</summary>
    public StateVersionException(string path, int found, int known)
        : base($"{path} has state schema version {found} but this gen knows only up to {known}; upgrade gen to a newer release (downgrading is not supported)")
    {
        Path = path;
        Found = found;
        Known = known;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The schema version found in the file.</summary>
    public int Found { get; }

    /// <summary>The newest schema version this build knows.</summary>
    public int Known { get; }
}

/// <summary>Another gen process held the switch lock for the whole wait.</summary>
public sealed class BusyException : GenException
{
    /// <summary>Creates the error for the lock file <paramref name="lockPath"/> held by <paramref name="holderPid"/> (if known).</summary>
    public BusyException(string lockPath, int? holderPid, double waitedSeconds)
        : base($"another gen{(holderPid is { } pid ? $" (pid {pid})" : "")} holds {lockPath} and did not finish within {waitedSeconds:0.#} s; wait for it and retry, or pass a longer --wait")
    {
        LockPath = lockPath;
        HolderPid = holderPid;
    }

    /// <summary>The lock file.</summary>
    public string LockPath { get; }

    /// <summary>The process id written by the holder, if it could be read.</summary>
    public int? HolderPid { get; }
}
