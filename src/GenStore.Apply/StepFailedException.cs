using GenStore.Journal;

namespace GenStore.Apply;

/// <summary>A step that could not be applied to the root: names the identity, the .gen line behind it and the cause.</summary>
public sealed class StepFailedException : GenException
{
    /// <summary>Creates the error for <paramref name="identity"/>, produced at <paramref name="source"/>.</summary>
    public StepFailedException(StepIdentity identity, SourceSpan source, string problem, Exception? inner = null)
        : base($"cannot apply {identity} (from {source}): {problem}", inner)
    {
        Identity = identity;
        Origin = source;
    }

    /// <summary>The identity of the step that failed.</summary>
    public StepIdentity Identity { get; }

    /// <summary>The .gen line that produced the step.</summary>
    public SourceSpan Origin { get; }
}
