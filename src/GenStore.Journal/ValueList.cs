using System.Collections;

namespace GenStore.Journal;

/// <summary>An immutable list with value equality, so that records holding lists compare by content.</summary>
public readonly struct ValueList<T> : IReadOnlyList<T>, IEquatable<ValueList<T>>
    where T : IEquatable<T>
{
    private readonly T[]? _items;

    /// <summary>Wraps a copy of <paramref name="items"/>.</summary>
    public ValueList(IEnumerable<T> items)
    {
        _items = items.ToArray();
    }

    /// <summary>The empty list.</summary>
    public static ValueList<T> Empty => default;

    /// <inheritdoc/>
    public int Count => _items?.Length ?? 0;

    /// <inheritdoc/>
    public T this[int index] => (_items ?? [])[index];

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(_items ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public bool Equals(ValueList<T> other) => (_items ?? []).AsSpan().SequenceEqual(other._items ?? []);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ValueList<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items ?? [])
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    /// <summary>Value equality.</summary>
    public static bool operator ==(ValueList<T> left, ValueList<T> right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(ValueList<T> left, ValueList<T> right) => !left.Equals(right);

    /// <summary>Wraps an array literal.</summary>
    public static implicit operator ValueList<T>(T[] items) => new(items);
}
