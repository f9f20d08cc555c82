using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CudaGenre.Engine.Cpu;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>tile64 [ROUNDS]</c>: a prototype, not engine code. Where 512-bit vectors run, a 6 × 64 register tile (24 of the 32
/// zmm registers as sums, four B vectors a step: MLAS's AVX-512 pointwise-convolution shape) against the engine's 7 × 32
/// (14 sums, two B vectors), over the same packed B (the engine's 16-column panels, four read at once), A read in place,
/// the same 256-deep blocks and row blocks, bias + ReLU on the last block; one thread, thread CPU time, alternated round
/// by round on four 1×1-convolution shapes. The question was: is the engine's per-thread gap to ORT on these shapes
/// (~6 % on a Zen 5, `state`) the register tile's size? It was, in part (0.954–0.978), and the engine's 512-bit kernel
/// has had this shape since (benchmarks/results/raw-2026-12-07-session21/PREDICTION-tile64*.md); kept to reproduce those
/// figures and as a reference for the engine's kernel (both outputs are compared bit for bit).
/// </summary>
internal static unsafe class WideTilePrototype
{
    private const int KC = 256;
    private const int Rows = 6;
    private const int MC = Rows * 14;

    public static void Run(int rounds)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            Console.WriteLine("tile64: needs 512-bit vectors (Vector512.IsHardwareAccelerated)");
            return;
        }
        Console.WriteLine($"6 x 64 prototype vs the engine's FP32 GEMM (7 x 32 before session 21, 6 x 64 since), one thread, thread CPU time, {rounds} alternated rounds; load {File.ReadAllText("/proc/loadavg").Trim()}");
        var random = new Random(11);
        foreach (var (name, m, k, n) in Int8Prototype.Shapes)
        {
            var a = new float[m * k];
            for (var i = 0; i < a.Length; i++) a[i] = (float)(random.NextDouble() * 2 - 0.6);
            var w = new float[k * n];
            for (var i = 0; i < w.Length; i++) w[i] = (float)((random.NextDouble() * 2 - 1) / Math.Sqrt(k));
            var packed = new PackedMatrix(w, k, n);
            var bias = new float[packed.Panels * 16];
            for (var i = 0; i < n; i++) bias[i] = (float)(random.NextDouble() * 0.2 - 0.1);
            var ldp = packed.Panels * 16; // the prototype writes whole panels (the padding columns are zeros)
            var engineOut = new float[m * n];
            var protoOut = new float[m * ldp];
            fixed (float* x = a, c = engineOut, cp = protoOut, bs = bias)
            {
                float* xa = x, cpa = cp, bsa = bs; // a lambda cannot capture fixed locals
                var engine = new GemmWork<DenseSource>(new DenseSource(x, m, k, k), packed, c, n, new GemmEpilogue { Bias = bs, Relu = true }, new WorkerScratch(1), 1);
                var flops = 2.0 * m * n * k;
                var reps = Math.Max(1, (int)(0.1e9 / flops * 60));
                double Time(Action pass)
                {
                    var start = GemmShapes.ThreadSecondsPublic();
                    for (var r = 0; r < reps; r++) pass();
                    return (GemmShapes.ThreadSecondsPublic() - start) / reps;
                }
                var e = new List<double>();
                var p = new List<double>();
                for (var round = 0; round <= rounds; round++)
                {
                    var te = Time(() =>
                    {
                        for (var t = 0; t < engine.Tiling.Count; t++) engine.Execute(t, 0);
                    });
                    var tp = Time(() => Prototype(xa, m, k, packed, cpa, ldp, bsa));
                    if (round > 0)
                    {
                        e.Add(te);
                        p.Add(tp);
                    }
                }
                var ratios = e.Zip(p, (x1, y1) => y1 / x1).Order().ToArray();
                double worst = 0;
                for (var i = 0; i < m; i++)
                    for (var j = 0; j < n; j++)
                        worst = Math.Max(worst, Math.Abs(protoOut[i * ldp + j] - engineOut[i * n + j]));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-28} M={m,4} K={k,5} N={n,5}  engine median {Int8Prototype.Median(e) * 1e3,7:F3} ms ({flops / Int8Prototype.Median(e) / 1e9,5:F1} GFLOP/s)  6x64 median {Int8Prototype.Median(p) * 1e3,7:F3} ms ({flops / Int8Prototype.Median(p) / 1e9,5:F1} GFLOP/s)  6x64/engine per round: median {Int8Prototype.Median([.. ratios]):F3} (min {ratios[0]:F3}, max {ratios[^1]:F3})  max |difference| {worst:E1}"));
            }
        }
    }

    /// <summary>C = ReLU(A · B + bias) with the 6 × 64 tile: row blocks of MC, depth blocks of KC, panels four at a time (two for a remainder of two).</summary>
    private static void Prototype(float* a, int m, int k, PackedMatrix b, float* c, int ldc, float* bias)
    {
        var panels = b.Panels;
        for (var m0 = 0; m0 < m; m0 += MC)
        {
            var mc = Math.Min(MC, m - m0);
            for (var k0 = 0; k0 < k; k0 += KC)
            {
                var kc = Math.Min(KC, k - k0);
                var first = k0 == 0;
                var last = k0 + kc >= k;
                for (var p = 0; p < panels;)
                {
                    var step = panels - p >= 4 ? 4 : 2;
                    var panel = b.Values + (long)p * k * 16 + (long)k0 * 16;
                    for (var r0 = 0; r0 < mc; r0 += Rows)
                    {
                        var rows = Math.Min(Rows, mc - r0);
                        var aGroup = a + (long)(m0 + r0) * k + k0;
                        var cTile = c + (long)(m0 + r0) * ldc + p * 16;
                        var bTile = last ? bias + p * 16 : null;
                        if (step == 4)
                            Dispatch<V4>(rows, kc, aGroup, k, panel, (nint)k * 16, cTile, ldc, !first, bTile);
                        else
                            Dispatch<V2>(rows, kc, aGroup, k, panel, (nint)k * 16, cTile, ldc, !first, bTile);
                    }
                    p += step;
                }
            }
        }
    }

    private interface IVectors { static abstract int Count { get; } }
    private readonly struct V2 : IVectors { public static int Count => 2; }
    private readonly struct V4 : IVectors { public static int Count => 4; }

    private static void Dispatch<V>(int rows, int kc, float* a, int lda, float* b, nint right, float* c, int ldc, bool accumulate, float* bias)
        where V : struct, IVectors
    {
        switch (rows)
        {
            case 6: Kernel<V, Rows6>(kc, a, lda, b, right, c, ldc, accumulate, bias); break;
            case 5: Kernel<V, Rows5>(kc, a, lda, b, right, c, ldc, accumulate, bias); break;
            case 4: Kernel<V, Rows4>(kc, a, lda, b, right, c, ldc, accumulate, bias); break;
            case 3: Kernel<V, Rows3>(kc, a, lda, b, right, c, ldc, accumulate, bias); break;
            case 2: Kernel<V, Rows2>(kc, a, lda, b, right, c, ldc, accumulate, bias); break;
            default: Kernel<V, Rows1>(kc, a, lda, b, right, c, ldc, accumulate, bias); break;
        }
    }

    /// <summary>C[R, 16V] (+)= A[R][kc] · B, V vectors of B a step (panels <paramref name="right"/> floats apart), each A value broadcast once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<V, R>(int kc, float* a, int lda, float* b, nint right, float* c, int ldc, bool accumulate, float* bias)
        where V : struct, IVectors
        where R : struct, IRowCount
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default, c50 = default, c51 = default, c52 = default, c53 = default;
        float* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        nint depth = kc;
        for (nint k = 0; k < depth; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + right);
            var b2 = V.Count > 2 ? Vector512.Load(b + 2 * right) : default;
            var b3 = V.Count > 2 ? Vector512.Load(b + 3 * right) : default;
            var v = Vector512.Create(a[k]);
            c00 = Vector512.FusedMultiplyAdd(v, b0, c00); c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
            if (V.Count > 2) { c02 = Vector512.FusedMultiplyAdd(v, b2, c02); c03 = Vector512.FusedMultiplyAdd(v, b3, c03); }
            if (R.Count > 1)
            {
                v = Vector512.Create(a1[k]);
                c10 = Vector512.FusedMultiplyAdd(v, b0, c10); c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
                if (V.Count > 2) { c12 = Vector512.FusedMultiplyAdd(v, b2, c12); c13 = Vector512.FusedMultiplyAdd(v, b3, c13); }
            }
            if (R.Count > 2)
            {
                v = Vector512.Create(a2[k]);
                c20 = Vector512.FusedMultiplyAdd(v, b0, c20); c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
                if (V.Count > 2) { c22 = Vector512.FusedMultiplyAdd(v, b2, c22); c23 = Vector512.FusedMultiplyAdd(v, b3, c23); }
            }
            if (R.Count > 3)
            {
                v = Vector512.Create(a3[k]);
                c30 = Vector512.FusedMultiplyAdd(v, b0, c30); c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
                if (V.Count > 2) { c32 = Vector512.FusedMultiplyAdd(v, b2, c32); c33 = Vector512.FusedMultiplyAdd(v, b3, c33); }
            }
            if (R.Count > 4)
            {
                v = Vector512.Create(a4[k]);
                c40 = Vector512.FusedMultiplyAdd(v, b0, c40); c41 = Vector512.FusedMultiplyAdd(v, b1, c41);
                if (V.Count > 2) { c42 = Vector512.FusedMultiplyAdd(v, b2, c42); c43 = Vector512.FusedMultiplyAdd(v, b3, c43); }
            }
            if (R.Count > 5)
            {
                v = Vector512.Create(a5[k]);
                c50 = Vector512.FusedMultiplyAdd(v, b0, c50); c51 = Vector512.FusedMultiplyAdd(v, b1, c51);
                if (V.Count > 2) { c52 = Vector512.FusedMultiplyAdd(v, b2, c52); c53 = Vector512.FusedMultiplyAdd(v, b3, c53); }
            }
            b += 16;
        }
        Store<V>(c, accumulate, bias, c00, c01, c02, c03);
        if (R.Count > 1) Store<V>(c + ldc, accumulate, bias, c10, c11, c12, c13);
        if (R.Count > 2) Store<V>(c + 2 * ldc, accumulate, bias, c20, c21, c22, c23);
        if (R.Count > 3) Store<V>(c + 3 * ldc, accumulate, bias, c30, c31, c32, c33);
        if (R.Count > 4) Store<V>(c + 4 * ldc, accumulate, bias, c40, c41, c42, c43);
        if (R.Count > 5) Store<V>(c + 5 * ldc, accumulate, bias, c50, c51, c52, c53);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<V>(float* c, bool accumulate, float* bias, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3)
        where V : struct, IVectors
    {
        Row(c, accumulate, bias, s0);
        Row(c + 16, accumulate, bias == null ? null : bias + 16, s1);
        if (V.Count > 2)
        {
            Row(c + 32, accumulate, bias == null ? null : bias + 32, s2);
            Row(c + 48, accumulate, bias == null ? null : bias + 48, s3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(float* c, bool accumulate, float* bias, Vector512<float> sum)
    {
        if (accumulate) sum += Vector512.Load(c);
        if (bias != null) sum = Vector512.Max(sum + Vector512.Load(bias), Vector512<float>.Zero);
        sum.Store(c);
    }
}
