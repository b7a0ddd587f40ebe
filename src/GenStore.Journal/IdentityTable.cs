namespace GenStore.Journal;

/// <summary>Values by step identity, kept in one string-keyed table per identity kind.</summary>
/// <remarks>A <c>Dictionary&lt;StepIdentity, T&gt;</c> is a generic instantiation over a value type that no ReadyToRun
/// image holds, so every new gen process JIT-compiled it before filling it with thousands of entries; tables keyed by
/// string run the framework's precompiled code.</remarks>
public sealed class IdentityTable<TValue>
{
    private readonly Dictionary<string, TValue>?[] _byKind = new Dictionary<string, TValue>?[4];
    private readonly int _pathCapacity;

    /// <summary>An empty table; <paramref name="pathCapacity"/> sizes the table of path identities up front.</summary>
    public IdentityTable(int pathCapacity = 0) => _pathCapacity = pathCapacity;

    /// <summary>The value stored for <paramref name="identity"/>, if any.</summary>
    public bool TryGetValue(StepIdentity identity, out TValue value)
    {
        if (_byKind[(int)identity.Kind] is { } table)
        {
            return table.TryGetValue(identity.Name, out value!);
        }

        value = default!;
        return false;
    }

    /// <summary>Stores <paramref name="value"/> for <paramref name="identity"/>, replacing any earlier one.</summary>
    public void Set(StepIdentity identity, TValue value)
    {
        var kind = (int)identity.Kind;
        var table = _byKind[kind] ??= new Dictionary<string, TValue>(identity.Kind == IdentityKind.Path ? _pathCapacity : 0, StringComparer.Ordinal);
        table[identity.Name] = value;
    }
}
