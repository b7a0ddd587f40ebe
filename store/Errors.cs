namespace GenStore;

/// <summary>The base of every error GenStore raises on purpose; the CLI maps each kind to one exit code.</summary>
/// <remarks>Messages are one line that names the problem and what to do about it.</remarks>
public abstract class GenException : Exception
{
    /// <summary>Creates the error with its one-line message.</summary>
    protected GenException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>Input that GenStore cannot use: a bad argument, file, journal or config; optionally positioned.</summary>
public sealed class InputException : GenException
{
    /// <summary>Creates the error, with the file and position it concerns when there is one.</summary>
    public InputException(string message, string? path = null, int line = 0, int column = 0, Exception? inner = null)
        : base(Format(message, path, line, column), inner)
    {
        Path = path;
        Line = line;
        Column = column;
    }

    /// <summary>The file the problem is in, if any.</summary>
    public string? Path { get; }

    /// <summary>The 1-based line, or 0 when the problem is not in one line.</summary>
    public int Line { get; }

    /// <summary>The 1-based column, or 0 when unknown.</summary>
    public int Column { get; }

    private static string Format(string message, string? path, int line, int column) =>
        path is null ? message
        : line <= 0 ? $"{path}: {message}"
        : column <= 0 ? $"{path}:{line}: {message}"
        : $"{path}:{line}:{column}: {message}";
}

/// <summary>A store object whose content no longer matches its id; its content is never returned.</summary>
public sealed class CorruptObjectException : GenException
{
    /// <summary>Creates the error for the object <paramref name="id"/> stored at <paramref name="path"/>.</summary>
    public CorruptObjectException(Store.ObjectId id, string path, string detail)
        : base($"store object {id} is corrupt ({detail}) at {path}; run 'gen store verify' and restore it from the config repo or a backup")
    {
        Id = id;
        Path = path;
    }

    /// <summary>The id the object was stored under.</summary>
    public Store.ObjectId Id { get; }

    /// <summary>Where the object file is.</summary>
    public string Path { get; }
}

/// <summary>A store object that is needed but not present.</summary>
public sealed class MissingObjectException : GenException
{
    /// <summary>Creates the error for the absent object <paramref name="id"/>.</summary>
    public MissingObjectException(Store.ObjectId id)
        : base($"store object {id} is missing; run 'gen fetch' and switch again, or restore the store")
    {
        Id = id;
    }

    /// <summary>The id that was looked up.</summary>
    public Store.ObjectId Id { get; }
}
