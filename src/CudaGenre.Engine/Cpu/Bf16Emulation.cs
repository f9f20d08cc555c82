using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// The BF16 micro-kernel's arithmetic without AVX512_BF16: the same function as Native/bf16_kernel.c (same arguments,
/// same packed layouts, only rows &lt; rows and columns &lt; columns touched), with VDPBF16PS done as Intel documents it:
/// per FP32 lane, srcdest += a.hi · b.hi, then srcdest += a.lo · b.lo, each accumulation rounded to nearest even,
/// input denormals read as zero and output denormals flushed to zero. A BF16 × BF16 product is exact in FP32, so each
/// step is one FMA. For checking BF16 numerics (the accuracy guard, the tests) on CPUs without the instruction:
/// several times slower than the FP32 GEMM, so never chosen unless asked for (<see cref="Bf16Support.Emulated"/>).
/// </summary>
internal static unsafe class Bf16Emulation
{
    private const int Rows = Bf16Gemm.MR;
    private const int RowPairs = Bf16Gemm.KC / 2; // A_ROW_PAIRS of bf16_kernel.c

    /// <summary>The kernel, callable through the same function pointer type as the machine code.</summary>
    public static delegate* unmanaged<long, uint*, uint*, long, float*, long, long, long, long, void> Pointer => &Kernel;

    [UnmanagedCallersOnly]
    private static void Kernel(long pairs, uint* a, uint* b, long panelStride, float* c, long ldc, long rows, long columns, long accumulate)
    {
        // A row's 32 sums live in a scratch row; lanes past `columns` are computed on the panel's zero padding and dropped.
        var sums = stackalloc float[32];
        for (var r = 0; r < rows && r < Rows; r++)
        {
            var cRow = c + r * ldc;
            for (var j = 0; j < 32; j++)
            {
                sums[j] = accumulate != 0 && j < columns ? Daz(cRow[j]) : 0f;
            }
            Row(pairs, a + r * RowPairs, b, columns > 16 ? b + panelStride : null, sums);
            for (var j = 0; j < columns && j < 32; j++)
            {
                cRow[j] = sums[j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row(long pairs, uint* a, uint* b0, uint* b1, float* sums)
    {
        var s0 = Vector256.Load(sums);
        var s1 = Vector256.Load(sums + 8);
        var s2 = Vector256.Load(sums + 16);
        var s3 = Vector256.Load(sums + 24);
        for (long p = 0; p < pairs; p++)
        {
            var pair = a[p];
            var high = Vector256.Create(Daz(BitConverter.UInt32BitsToSingle(pair & 0xFFFF0000u)));
            var low = Vector256.Create(Daz(BitConverter.UInt32BitsToSingle(pair << 16)));
            var row0 = b0 + p * 16;
            s0 = Step(s0, high, low, Vector256.Load(row0));
            s1 = Step(s1, high, low, Vector256.Load(row0 + 8));
            if (b1 != null)
            {
                var row1 = b1 + p * 16;
                s2 = Step(s2, high, low, Vector256.Load(row1));
                s3 = Step(s3, high, low, Vector256.Load(row1 + 8));
            }
        }
        s0.Store(sums);
        s1.Store(sums + 8);
        s2.Store(sums + 16);
        s3.Store(sums + 24);
    }

    /// <summary>One VDPBF16PS lane step on 8 lanes: the high halves first, then the low ones (the SDM's order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<float> sum, Vector256<float> aHigh, Vector256<float> aLow, Vector256<uint> pairs)
    {
        var bHigh = Daz((pairs & Vector256.Create(0xFFFF0000u)).AsSingle());
        var bLow = Daz(Vector256.ShiftLeft(pairs, 16).AsSingle());
        sum = Daz(Vector256.FusedMultiplyAdd(aHigh, bHigh, sum)); // flush a denormal result to zero
        return Daz(Vector256.FusedMultiplyAdd(aLow, bLow, sum));
    }

    /// <summary>Denormals (exponent field 0) to a zero of the same sign; everything else unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Daz(Vector256<float> x)
    {
        var bits = x.AsUInt32();
        var denormal = Vector256.Equals(bits & Vector256.Create(0x7F800000u), Vector256<uint>.Zero);
        return Vector256.ConditionalSelect(denormal, bits & Vector256.Create(0x80000000u), bits).AsSingle();
    }

    private static float Daz(float x)
    {
        var bits = BitConverter.SingleToUInt32Bits(x);
        return (bits & 0x7F800000u) == 0 ? BitConverter.UInt32BitsToSingle(bits & 0x80000000u) : x;
    }
}
