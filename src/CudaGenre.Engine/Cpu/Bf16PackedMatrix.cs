using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CudaGenre.Core.Tensors;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// The right-hand operand B [K, N] of a BF16 GEMM (the weights), rounded to BF16 (nearest even) and packed once at
/// load time for VDPBF16PS: panels of <see cref="PanelColumns"/> columns, each ⌈K/2⌉ k-pair rows of 16 dwords (one
/// zmm), dword j of pair row p = B[2p, j] in the low half, B[2p + 1, j] in the high half. K is padded to even and N to
/// a multiple of 16 with zeros. Half the bytes of the FP32 <see cref="PackedMatrix"/>.
/// </summary>
internal sealed unsafe class Bf16PackedMatrix
{
    /// <summary>Columns per panel: one zmm of FP32 sums.</summary>
    public const int PanelColumns = 16;

    /// <summary>Packs B given row-major as <paramref name="b"/>[k · <paramref name="n"/> + j].</summary>
    public Bf16PackedMatrix(ReadOnlySpan<float> b, int k, int n)
    {
        K = k;
        N = n;
        Pairs = (k + 1) / 2;
        Panels = (n + PanelColumns - 1) / PanelColumns;
        var total = PackedMatrix.RequireShape(b, k, n, (long)Panels * Pairs * PanelColumns + LineAligned.Slack<uint>(), "BF16 pairs");
        (_storage, _offset) = LineAligned.Allocate<uint>(total, zeroed: true);
        for (var p = 0; p < Panels; p++)
        {
            var columns = Math.Min(PanelColumns, n - p * PanelColumns);
            for (var pair = 0; pair < Pairs; pair++)
            {
                var row = Data.Slice((p * Pairs + pair) * PanelColumns, PanelColumns);
                for (var j = 0; j < columns; j++)
                {
                    var column = p * PanelColumns + j;
                    uint low = ReducedPrecision.SingleToBFloat16(b[2 * pair * n + column]);
                    uint high = 2 * pair + 1 < k ? ReducedPrecision.SingleToBFloat16(b[(2 * pair + 1) * n + column]) : 0u;
                    row[j] = low | high << 16;
                }
            }
        }
    }

    /// <summary>Depth (rows of B).</summary>
    public int K { get; }

    /// <summary>Columns of B (output features).</summary>
    public int N { get; }

    /// <summary>k-pair rows per panel: ⌈K/2⌉.</summary>
    public int Pairs { get; }

    /// <summary>Panels of <see cref="PanelColumns"/> columns.</summary>
    public int Panels { get; }

    private readonly uint[] _storage; // pinned, so its address (and the aligned start) never changes
    private readonly int _offset;

    /// <summary>The packed pairs: panel p's pair row r at [(p · Pairs + r) · 16].</summary>
    public Span<uint> Data => _storage.AsSpan(_offset, Panels * Pairs * PanelColumns);

    /// <summary>The first packed pair, on a 64-byte line (<see cref="LineAligned"/>).</summary>
    public uint* Values => (uint*)Unsafe.AsPointer(ref _storage[_offset]);
}

/// <summary>
/// FP32 → BF16 pairs for the BF16 GEMM: <see cref="ReducedPrecision.SingleToBFloat16"/>'s rounding (nearest even,
/// NaN stays a quiet NaN), 16 lanes at a time.
/// </summary>
internal static unsafe class Bf16
{
    /// <summary>
    /// Rounds <paramref name="count"/> floats to BF16 and writes them as consecutive halves of dwords (element 2p in
    /// the low half of dword p); an odd count gets a zero high half in its last dword, the padding of K to even.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RoundPairs(float* source, int count, uint* destination)
    {
        var d = (ushort*)destination;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 32 <= count; i += 32)
            {
                var low = Round(Vector512.Load((uint*)(source + i)));
                var high = Round(Vector512.Load((uint*)(source + i + 16)));
                Vector512.Narrow(low, high).Store(d + i);
            }
        }
        for (; i < count; i++)
        {
            d[i] = ReducedPrecision.SingleToBFloat16(source[i]);
        }
        if ((count & 1) != 0)
        {
            d[count] = 0;
        }
    }

    /// <summary><see cref="ReducedPrecision.SingleToBFloat16"/> on 16 lanes, the BF16 bits in the low half of each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Round(Vector512<uint> bits)
    {
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
        var nan = Vector512.GreaterThan(bits & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u));
        return Vector512.ConditionalSelect(nan, (bits >> 16) | Vector512.Create(0x40u), rounded);
    }
}
