using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace GenStore.Store;

/// <summary>A BLAKE3-256 digest that names one object in the store, printed as <c>b3:</c> and 64 lowercase hex digits.</summary>
/// <remarks>Held as four 64-bit words so that it is a plain 32-byte value: cheap to copy, compare and use as a key.</remarks>
public readonly struct ObjectId : IEquatable<ObjectId>, IComparable<ObjectId>
{
    /// <summary>The number of bytes in a digest.</summary>
    public const int Size = 32;

    /// <summary>The prefix of the printed form.</summary>
    public const string Prefix = "b3:";

    private readonly ulong _a, _b, _c, _d;

    /// <summary>Wraps 32 digest bytes.</summary>
    public ObjectId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"an object id is {Size} bytes, not {bytes.Length}", nameof(bytes));
        }

        // Big-endian words keep CompareTo in the same order as the printed hex.
        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>Copies the 32 digest bytes into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>The 32 digest bytes as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>The 64 lowercase hex digits without the prefix, as used in store paths and b3sum output.</summary>
    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <inheritdoc/>
    public override string ToString() => Prefix + ToHex();

    /// <summary>Parses <c>b3:</c> followed by 64 hex digits.</summary>
    public static ObjectId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException($"not an object id (want b3: and 64 hex digits): '{text}'");

    /// <summary>Parses <c>b3:</c> followed by 64 hex digits; false on anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out ObjectId id)
    {
        id = default;
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        return TryParseHex(text[Prefix.Length..], out id);
    }

    /// <summary>Parses exactly 64 hex digits (no prefix); false on anything else.</summary>
    public static bool TryParseHex(ReadOnlySpan<char> hex, out ObjectId id)
    {
        id = default;
        if (hex.Length != Size * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        id = new ObjectId(bytes);
        return true;
    }

    /// <inheritdoc/>
    public bool Equals(ObjectId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is ObjectId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => (int)_a ^ (int)(_a >> 32);

    /// <inheritdoc/>
    public int CompareTo(ObjectId other)
    {
        var c = _a.CompareTo(other._a);
        if (c != 0) return c;
        c = _b.CompareTo(other._b);
        if (c != 0) return c;
        c = _c.CompareTo(other._c);
        return c != 0 ? c : _d.CompareTo(other._d);
    }

    /// <summary>Equality of digests.</summary>
    public static bool operator ==(ObjectId left, ObjectId right) => left.Equals(right);

    /// <summary>Inequality of digests.</summary>
    public static bool operator !=(ObjectId left, ObjectId right) => !left.Equals(right);

    /// <summary>Ordering of digests, the same as the order of their hex forms.</summary>
    public static bool operator <(ObjectId left, ObjectId right) => left.CompareTo(right) < 0;

    /// <summary>Ordering of digests, the same as the order of their hex forms.</summary>
    public static bool operator >(ObjectId left, ObjectId right) => left.CompareTo(right) > 0;

    /// <summary>Ordering of digests, the same as the order of their hex forms.</summary>
    public static bool operator <=(ObjectId left, ObjectId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering of digests, the same as the order of their hex forms.</summary>
    public static bool operator >=(ObjectId left, ObjectId right) => left.CompareTo(right) >= 0;
}
