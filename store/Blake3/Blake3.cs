using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace GenStore.Store;

/// <summary>The BLAKE3 hash function: one-shot entry points for its three modes, over <see cref="Blake3Hasher"/>.</summary>
public static class Blake3
{
    /// <summary>The default output length in bytes.</summary>
    public const int OutLen = 32;

    /// <summary>The key length of keyed hashing, in bytes.</summary>
    public const int KeyLen = 32;

    /// <summary>The size of one compression block.</summary>
    public const int BlockLen = 64;

    /// <summary>The size of one chunk, the unit leaves of the hash tree cover.</summary>
    public const int ChunkLen = 1024;

    /// <summary>The digest of <paramref name="input"/> as an object id.</summary>
    public static ObjectId Hash(ReadOnlySpan<byte> input)
    {
        var hasher = new Blake3Hasher();
        hasher.Update(input);
        return hasher.FinalizeId();
    }

    /// <summary>Fills <paramref name="output"/> (any length) with the extended output of hashing <paramref name="input"/>.</summary>
    public static void Hash(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var hasher = new Blake3Hasher();
        hasher.Update(input);
        hasher.Finalize(output);
    }

    /// <summary>Fills <paramref name="output"/> with the keyed hash of <paramref name="input"/> under a 32-byte key.</summary>
    public static void KeyedHash(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input, Span<byte> output)
    {
        var hasher = Blake3Hasher.NewKeyed(key);
        hasher.Update(input);
        hasher.Finalize(output);
    }

    /// <summary>Fills <paramref name="output"/> with key material derived from <paramref name="keyMaterial"/> in <paramref name="context"/>.</summary>
    public static void DeriveKey(string context, ReadOnlySpan<byte> keyMaterial, Span<byte> output)
    {
        var hasher = Blake3Hasher.NewDeriveKey(context);
        hasher.Update(keyMaterial);
        hasher.Finalize(output);
    }
}

/// <summary>The BLAKE3 compression function and tree constants, shared by every hashing path.</summary>
internal static class Blake3Core
{
    public const uint ChunkStart = 1 << 0;
    public const uint ChunkEnd = 1 << 1;
    public const uint Parent = 1 << 2;
    public const uint Root = 1 << 3;
    public const uint KeyedHash = 1 << 4;
    public const uint DeriveKeyContext = 1 << 5;
    public const uint DeriveKeyMaterial = 1 << 6;

    public static ReadOnlySpan<uint> IV =>
    [
        0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
    ];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(ref uint a, ref uint b, ref uint c, ref uint d, uint mx, uint my)
    {
        a = a + b + mx;
        d = uint.RotateRight(d ^ a, 16);
        c += d;
        b = uint.RotateRight(b ^ c, 12);
        a = a + b + my;
        d = uint.RotateRight(d ^ a, 8);
        c += d;
        b = uint.RotateRight(b ^ c, 7);
    }

    /// <summary>Runs the seven rounds on one block and returns all 16 output words in <paramref name="output"/>.</summary>
    public static void Compress(ReadOnlySpan<uint> cv, ReadOnlySpan<uint> m, ulong counter, uint blockLen, uint flags, Span<uint> output)
    {
        uint s0 = cv[0], s1 = cv[1], s2 = cv[2], s3 = cv[3], s4 = cv[4], s5 = cv[5], s6 = cv[6], s7 = cv[7];
        uint s8 = IV[0], s9 = IV[1], s10 = IV[2], s11 = IV[3];
        uint s12 = (uint)counter, s13 = (uint)(counter >> 32), s14 = blockLen, s15 = flags;
        uint m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3], m4 = m[4], m5 = m[5], m6 = m[6], m7 = m[7];
        uint m8 = m[8], m9 = m[9], m10 = m[10], m11 = m[11], m12 = m[12], m13 = m[13], m14 = m[14], m15 = m[15];

        for (var round = 0; round < 7; round++)
        {
            G(ref s0, ref s4, ref s8, ref s12, m0, m1);
            G(ref s1, ref s5, ref s9, ref s13, m2, m3);
            G(ref s2, ref s6, ref s10, ref s14, m4, m5);
            G(ref s3, ref s7, ref s11, ref s15, m6, m7);
            G(ref s0, ref s5, ref s10, ref s15, m8, m9);
            G(ref s1, ref s6, ref s11, ref s12, m10, m11);
            G(ref s2, ref s7, ref s8, ref s13, m12, m13);
            G(ref s3, ref s4, ref s9, ref s14, m14, m15);

            // The message permutation 2,6,3,10,7,0,4,13,1,11,12,5,9,14,15,8, applied in registers.
            var t0 = m2; var t1 = m6; var t2 = m3; var t3 = m10; var t4 = m7; var t5 = m0; var t6 = m4; var t7 = m13;
            var t8 = m1; var t9 = m11; var t10 = m12; var t11 = m5; var t12 = m9; var t13 = m14; var t14 = m15; var t15 = m8;
            m0 = t0; m1 = t1; m2 = t2; m3 = t3; m4 = t4; m5 = t5; m6 = t6; m7 = t7;
            m8 = t8; m9 = t9; m10 = t10; m11 = t11; m12 = t12; m13 = t13; m14 = t14; m15 = t15;
        }

        output[0] = s0 ^ s8; output[1] = s1 ^ s9; output[2] = s2 ^ s10; output[3] = s3 ^ s11;
        output[4] = s4 ^ s12; output[5] = s5 ^ s13; output[6] = s6 ^ s14; output[7] = s7 ^ s15;
        output[8] = s8 ^ cv[0]; output[9] = s9 ^ cv[1]; output[10] = s10 ^ cv[2]; output[11] = s11 ^ cv[3];
        output[12] = s12 ^ cv[4]; output[13] = s13 ^ cv[5]; output[14] = s14 ^ cv[6]; output[15] = s15 ^ cv[7];
    }

    /// <summary>Reads a 64-byte block (zero-padded when shorter) as 16 little-endian words.</summary>
    public static void LoadBlock(ReadOnlySpan<byte> block, Span<uint> words)
    {
        if (block.Length == Blake3.BlockLen)
        {
            for (var i = 0; i < 16; i++)
            {
                words[i] = BinaryPrimitives.ReadUInt32LittleEndian(block[(i * 4)..]);
            }

            return;
        }

        Span<byte> padded = stackalloc byte[Blake3.BlockLen];
        padded.Clear();
        block.CopyTo(padded);
        LoadBlock(padded, words);
    }

    /// <summary>The key words a derive_key hasher starts from, for <paramref name="context"/>.</summary>
    public static void ContextKey(string context, Span<uint> keyWords)
    {
        var contextHasher = new Blake3Hasher(IV, DeriveKeyContext);
        contextHasher.Update(Encoding.UTF8.GetBytes(context));
        Span<byte> contextKey = stackalloc byte[Blake3.KeyLen];
        contextHasher.Finalize(contextKey);
        for (var i = 0; i < 8; i++)
        {
            keyWords[i] = BinaryPrimitives.ReadUInt32LittleEndian(contextKey[(i * 4)..]);
        }
    }
}
