using GenStore.Journal;

namespace GenStore.Config;

/// <summary>Declarations by step identity: one string-keyed table per identity kind.</summary>
/// <remarks>A <c>Dictionary&lt;StepIdentity, Decl&gt;</c> is a generic instantiation over a value type that no ReadyToRun
/// image holds, so every new process JIT-compiled it before filling it with 20,000 entries; tables keyed by string
/// run the framework's precompiled code.</remarks>
internal sealed class IdentityMap
{
    private readonly Dictionary<string, Decl>[] _byKind;

    public IdentityMap(int capacity = 0)
    {
        _byKind = new Dictionary<string, Decl>[4];
        for (var i = 0; i < _byKind.Length; i++)
        {
            _byKind[i] = new Dictionary<string, Decl>(i == (int)IdentityKind.Path ? capacity : 0, StringComparer.Ordinal);
        }
    }

    /// <summary>The declaration with <paramref name="identity"/>, if any.</summary>
    public bool TryGetValue(StepIdentity identity, out Decl decl) => _byKind[(int)identity.Kind].TryGetValue(identity.Name, out decl!);

    /// <summary>Sets the declaration for <paramref name="identity"/>.</summary>
    public void Set(StepIdentity identity, Decl decl) => _byKind[(int)identity.Kind][identity.Name] = decl;
}
