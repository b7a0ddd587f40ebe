#!/usr/bin/env python3
"""Writes Blake3Kernels.g.cs: the SIMD BLAKE3 kernels that hash 4, 8 or 16 inputs at once.

Each round is straight-line code over sixteen state locals the JIT keeps in registers; the seven
rounds are a loop that picks message words through a schedule table, so nothing is permuted at run
time and the method stays small (fully unrolled rounds measured no faster, and the AVX2 kernel
slower, than the loop). The three widths differ only in vector type, the transposes and how
rotations are done, so one generator keeps them in step. Run: python3 store/Blake3/generate-kernels.py
"""
import os

PERM = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8]


def schedules():
    s = list(range(16))
    out = []
    for _ in range(7):
        out.append(s)
        s = [s[PERM[i]] for i in range(16)]
    return out


def rounds(rot):
    """One round in a loop of seven, message words picked through the schedule table, to keep the method small."""
    lines = ["for (var round = 0; round < 7; round++)", "{", "    var s = schedule + (round * 16);"]
    cols = [(0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15)]
    diags = [(0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)]
    body = []
    for half, quads in ((0, cols), (1, diags)):
        for k, (a, b, c, d) in enumerate(quads):
            body.append(f"v{a} = v{a} + v{b} + m[s[{half * 8 + 2 * k}]];")
        for k, (a, b, c, d) in enumerate(quads):
            body.append(f"v{d} = {rot(f'v{d} ^ v{a}', 16)};")
        for k, (a, b, c, d) in enumerate(quads):
            body.append(f"v{c} = v{c} + v{d};")
        for k, (a, b, c, d) in enumerate(quads):
            body.append(f"v{b} = {rot(f'v{b} ^ v{c}', 12)};")
        for k, (a, b, c, d) in enumerate(quads):
            body.append(f"v{a} = v{a} + v{b} + m[s[{half * 8 + 2 * k + 1}]];")
        for k, (a, b, c, d) in enumerate(quads):
            body.append(f"v{d} = {rot(f'v{d} ^ v{a}', 8)};")
        for k, (a, b, c, d) in enumerate(quads):
            body.append(f"v{c} = v{c} + v{d};")
        for k, (a, b, c, d) in enumerate(quads):
            body.append(f"v{b} = {rot(f'v{b} ^ v{c}', 7)};")
    lines += ["    " + x for x in body]
    lines.append("}")
    return lines



def rot512(x, n):
    return f"Avx512F.RotateRight({x}, {n})"


def rot256(x, n):
    if n == 16:
        return f"Avx2.Shuffle(({x}).AsByte(), rot16).AsUInt32()"
    if n == 8:
        return f"Avx2.Shuffle(({x}).AsByte(), rot8).AsUInt32()"
    return f"Ror256({x}, {n})"


def rot128(x, n):
    if n == 16:
        return f"Ssse3.Shuffle(({x}).AsByte(), rot16).AsUInt32()"
    if n == 8:
        return f"Ssse3.Shuffle(({x}).AsByte(), rot8).AsUInt32()"
    return f"Ror128({x}, {n})"


def transpose512():
    L = []
    for i in range(16):
        L.append(f"var r{i} = Avx512F.LoadVector512((uint*)(input + ({i} * stride) + offset));")
        L.append(f"Sse.Prefetch0(input + ({i} * stride) + offset + 256);")
        L.append(f"Sse.Prefetch1(input + ({i + 16} * stride) + offset);")
    for p in range(8):
        L.append(f"var t{2*p} = Avx512F.UnpackLow(r{2*p}, r{2*p+1});")
        L.append(f"var t{2*p+1} = Avx512F.UnpackHigh(r{2*p}, r{2*p+1});")
    for g in range(4):
        b = 4 * g
        L.append(f"var u{b} = Avx512F.UnpackLow(t{b}.AsUInt64(), t{b+2}.AsUInt64()).AsUInt32();")
        L.append(f"var u{b+1} = Avx512F.UnpackHigh(t{b}.AsUInt64(), t{b+2}.AsUInt64()).AsUInt32();")
        L.append(f"var u{b+2} = Avx512F.UnpackLow(t{b+1}.AsUInt64(), t{b+3}.AsUInt64()).AsUInt32();")
        L.append(f"var u{b+3} = Avx512F.UnpackHigh(t{b+1}.AsUInt64(), t{b+3}.AsUInt64()).AsUInt32();")
    for k in range(4):
        L.append(f"var a{k} = Avx512F.Shuffle4x128(u{k}, u{4+k}, 0x44);")
        L.append(f"var b{k} = Avx512F.Shuffle4x128(u{k}, u{4+k}, 0xEE);")
        L.append(f"var c{k} = Avx512F.Shuffle4x128(u{8+k}, u{12+k}, 0x44);")
        L.append(f"var d{k} = Avx512F.Shuffle4x128(u{8+k}, u{12+k}, 0xEE);")
        L.append(f"m[{k}] = Avx512F.Shuffle4x128(a{k}, c{k}, 0x88);")
        L.append(f"m[{4+k}] = Avx512F.Shuffle4x128(a{k}, c{k}, 0xDD);")
        L.append(f"m[{8+k}] = Avx512F.Shuffle4x128(b{k}, d{k}, 0x88);")
        L.append(f"m[{12+k}] = Avx512F.Shuffle4x128(b{k}, d{k}, 0xDD);")
    return L


def transpose256():
    L = []
    for h in range(2):
        L.append("{")
        for i in range(8):
            L.append(f"var r{i} = Avx.LoadVector256((uint*)(input + ({i} * stride) + offset + {32*h}));")
            if h == 0:
                L.append(f"Sse.Prefetch0(input + ({i} * stride) + offset + 256);")
        L.append(f"Sse.Prefetch1(input + ({i + 16} * stride) + offset);")
        for p in range(4):
            L.append(f"var t{2*p} = Avx2.UnpackLow(r{2*p}, r{2*p+1});")
            L.append(f"var t{2*p+1} = Avx2.UnpackHigh(r{2*p}, r{2*p+1});")
        for g in range(2):
            b = 4 * g
            L.append(f"var u{b} = Avx2.UnpackLow(t{b}.AsUInt64(), t{b+2}.AsUInt64()).AsUInt32();")
            L.append(f"var u{b+1} = Avx2.UnpackHigh(t{b}.AsUInt64(), t{b+2}.AsUInt64()).AsUInt32();")
            L.append(f"var u{b+2} = Avx2.UnpackLow(t{b+1}.AsUInt64(), t{b+3}.AsUInt64()).AsUInt32();")
            L.append(f"var u{b+3} = Avx2.UnpackHigh(t{b+1}.AsUInt64(), t{b+3}.AsUInt64()).AsUInt32();")
        for k in range(4):
            L.append(f"m[{8*h+k}] = Avx2.Permute2x128(u{k}, u{4+k}, 0x20);")
            L.append(f"m[{8*h+4+k}] = Avx2.Permute2x128(u{k}, u{4+k}, 0x31);")
        L.append("}")
    return L


def transpose128():
    L = []
    for q in range(4):
        L.append("{")
        for i in range(4):
            L.append(f"var r{i} = Sse2.LoadVector128((uint*)(input + ({i} * stride) + offset + {16*q}));")
            if q == 0:
                L.append(f"Sse.Prefetch0(input + ({i} * stride) + offset + 256);")
        L.append(f"Sse.Prefetch1(input + ({i + 16} * stride) + offset);")
        L.append("var t0 = Sse2.UnpackLow(r0, r1);")
        L.append("var t1 = Sse2.UnpackHigh(r0, r1);")
        L.append("var t2 = Sse2.UnpackLow(r2, r3);")
        L.append("var t3 = Sse2.UnpackHigh(r2, r3);")
        L.append(f"m[{4*q}] = Sse2.UnpackLow(t0.AsUInt64(), t2.AsUInt64()).AsUInt32();")
        L.append(f"m[{4*q+1}] = Sse2.UnpackHigh(t0.AsUInt64(), t2.AsUInt64()).AsUInt32();")
        L.append(f"m[{4*q+2}] = Sse2.UnpackLow(t1.AsUInt64(), t3.AsUInt64()).AsUInt32();")
        L.append(f"m[{4*q+3}] = Sse2.UnpackHigh(t1.AsUInt64(), t3.AsUInt64()).AsUInt32();")
        L.append("}")
    return L


def kernel(name, summary, isa, vec, degree, rot, transpose, rot_consts, helpers):
    body = []
    body.append(f"/// <summary>{summary}</summary>")
    body.append(f"internal static unsafe class {name}")
    body.append("{")
    body.append(f"    /// <summary>How many inputs one call hashes.</summary>")
    body.append(f"    public const int Degree = {degree};")
    body.append("")
    body.append(f"    /// <summary>Whether the CPU can run this kernel.</summary>")
    body.append(f"    public static bool IsSupported => {isa};")
    body.append("")
    body.append("    /// <summary>Hashes <see cref=\"Degree\"/> inputs of <paramref name=\"blocks\"/> blocks each, input i starting at")
    body.append("    /// <paramref name=\"input\"/> + i * <paramref name=\"stride\"/>, and writes their 32-byte chaining values to")
    body.append("    /// <paramref name=\"output\"/> + i * 32.</summary>")
    body.append("    [SkipLocalsInit]")
    body.append(f"    public static void HashMany(byte* input, nint stride, int blocks, uint* key, ulong counter, bool incrementCounter, uint flags, uint flagsStart, uint flagsEnd, byte* output)")
    body.append("    {")
    inner = []
    for c in rot_consts:
        inner.append(c)
    inner.append("// The message vectors are read many times per block, so they sit on whole cache lines.")
    inner.append(f"var mBuffer = stackalloc byte[(16 * {degree} * 4) + 64];")
    inner.append(f"var m = ({vec}*)(((nint)mBuffer + 63) & ~(nint)63);")
    inner.append("var schedule = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(Schedule));")
    inner.append(f"var words = stackalloc uint[{degree} * 8];")
    inner.append(f"for (var i = 0; i < {degree}; i++)")
    inner.append("{")
    inner.append("    var c = counter + (incrementCounter ? (ulong)i : 0);")
    inner.append("    words[i] = (uint)c;")
    inner.append(f"    words[{degree} + i] = (uint)(c >> 32);")
    inner.append("}")
    short = vec.split("<")[0]
    # Loads and stores use the ISA's own methods, not Vector*.Load/Store: ReadyToRun compiles no method that calls
    # the cross-platform helpers (their vector arguments have no stable ABI), so the kernel would be JIT-compiled
    # in every process, or call the helper instead of inlining it.
    load = {"Vector512": "Avx512F.LoadVector512", "Vector256": "Avx.LoadVector256", "Vector128": "Sse2.LoadVector128"}[short]
    store = {"Vector512": "Avx512F.Store", "Vector256": "Avx.Store", "Vector128": "Sse2.Store"}[short]
    inner.append(f"var counterLow = {load}(words);")
    inner.append(f"var counterHigh = {load}(words + {degree});")
    for j in range(8):
        inner.append(f"var h{j} = {short}.Create(key[{j}]);")
    inner.append("var blockFlags = flags | flagsStart;")
    inner.append("for (var block = 0; block < blocks; block++)")
    inner.append("{")
    blk = []
    blk.append("if (block == blocks - 1)")
    blk.append("{")
    blk.append("    blockFlags |= flagsEnd;")
    blk.append("}")
    blk.append("")
    blk.append("var offset = (nint)block * 64;")
    blk.append("{")
    blk += ["    " + x if x else "" for x in transpose()]
    blk.append("}")
    blk.append("")
    for j in range(8):
        blk.append(f"var v{j} = h{j};")
    blk.append(f"var v8 = {short}.Create(0x6A09E667u);")
    blk.append(f"var v9 = {short}.Create(0xBB67AE85u);")
    blk.append(f"var v10 = {short}.Create(0x3C6EF372u);")
    blk.append(f"var v11 = {short}.Create(0xA54FF53Au);")
    blk.append("var v12 = counterLow;")
    blk.append("var v13 = counterHigh;")
    blk.append(f"var v14 = {short}.Create(64u);")
    blk.append(f"var v15 = {short}.Create(blockFlags);")
    blk += rounds(rot)
    for j in range(8):
        blk.append(f"h{j} = v{j} ^ v{j+8};")
    blk.append("blockFlags = flags;")
    inner += ["    " + x if x else "" for x in blk]
    inner.append("}")
    inner.append("")
    inner.append("// The chaining values are transposed back through memory: eight words per input, once per call.")
    for j in range(8):
        inner.append(f"{store}(words + ({j} * {degree}), h{j});")
    inner.append(f"for (var i = 0; i < {degree}; i++)")
    inner.append("{")
    inner.append("    var cv = (uint*)(output + (i * 32));")
    inner.append("    for (var j = 0; j < 8; j++)")
    inner.append("    {")
    inner.append(f"        cv[j] = words[(j * {degree}) + i];")
    inner.append("    }")
    inner.append("}")
    body += ["        " + x if x else "" for x in inner]
    body.append("    }")
    body.append("")
    body.append("    // The message word order of each of the seven rounds.")
    body.append("    private static ReadOnlySpan<byte> Schedule =>")
    body.append("    [")
    for sch in schedules():
        body.append("        " + ", ".join(str(x) for x in sch) + ",")
    body.append("    ];")
    for h in helpers:
        body.append("")
        body += ["    " + x if x else "" for x in h]
    body.append("}")
    return body


ROT256 = [
    "var rot16 = Vector256.Create((byte)2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);",
    "var rot8 = Vector256.Create((byte)1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);",
]
ROT128 = [
    "var rot16 = Vector128.Create((byte)2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);",
    "var rot8 = Vector128.Create((byte)1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);",
]
HELP256 = [[
    "[MethodImpl(MethodImplOptions.AggressiveInlining)]",
    "private static Vector256<uint> Ror256(Vector256<uint> x, [ConstantExpected] byte n) =>",
    "    Avx2.ShiftRightLogical(x, n) | Avx2.ShiftLeftLogical(x, (byte)(32 - n));",
]]
HELP128 = [[
    "[MethodImpl(MethodImplOptions.AggressiveInlining)]",
    "private static Vector128<uint> Ror128(Vector128<uint> x, [ConstantExpected] byte n) =>",
    "    Sse2.ShiftRightLogical(x, n) | Sse2.ShiftLeftLogical(x, (byte)(32 - n));",
]]

out = [
    "// <auto-generated>Written by generate-kernels.py in this folder; edit the generator, not this file.</auto-generated>",
    "using System.Diagnostics.CodeAnalysis;",
    "using System.Runtime.CompilerServices;",
    "using System.Runtime.InteropServices;",
    "using System.Runtime.Intrinsics;",
    "using System.Runtime.Intrinsics.X86;",
    "",
    "namespace GenStore.Store;",
    "",
]
out += kernel("Blake3Avx512", "The BLAKE3 kernel that hashes 16 inputs at once in 512-bit vectors (AVX-512F).",
              "Avx512F.IsSupported", "Vector512<uint>", 16, rot512, transpose512, [], [])
out.append("")
out += kernel("Blake3Avx2", "The BLAKE3 kernel that hashes 8 inputs at once in 256-bit vectors (AVX2).",
              "Avx2.IsSupported", "Vector256<uint>", 8, rot256, transpose256, ROT256, HELP256)
out.append("")
out += kernel("Blake3Sse41", "The BLAKE3 kernel that hashes 4 inputs at once in 128-bit vectors (SSE4.1).",
              "Sse41.IsSupported", "Vector128<uint>", 4, rot128, transpose128, ROT128, HELP128)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Blake3Kernels.g.cs")
with open(path, "w") as f:
    f.write("\n".join(out) + "\n")
