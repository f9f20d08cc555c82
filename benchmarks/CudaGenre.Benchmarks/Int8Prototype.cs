using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CudaGenre.Engine.Cpu;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>int8 [ROUNDS]</c>: integer GEMMs beside the engine's FP32 GEMM on four 1×1-convolution shapes, one thread, thread
/// CPU time, alternated round by round: the engine's INT8 GEMM (<see cref="Int8Gemm"/>: 7-bit A per row, 8-bit B per
/// column, VPMADDUBSW; until it was built, session 20's prototype of it, whose results are in
/// benchmarks/results/raw-2026-12-07-session20/int8-prototype.txt) and a prototype of a 16-bit path (10-bit A per row and
/// B per column, VPMADDWD: exact int32 sums with no saturation limit, so more bits), whose int32 sums are checked against
/// int64. A (FP32, as a separable convolution's pointwise step receives it) is quantized inside the timed loop. Each
/// side's error against the FP32 GEMM is printed.
/// </summary>
internal static unsafe class Int8Prototype
{
    private static readonly (string Name, int M, int K, int N)[] Shapes =
    [
        ("xc.middle 1x1 728->728 19", 361, 728, 728),
        ("xc.conv4 1x1 1536->2048 10", 100, 1536, 2048),
        ("r50.l3 1x1 1024->256 14", 196, 1024, 256),
        ("r50.l2 1x1 128->512 28", 784, 128, 512),
    ];

    private const int RowBlock = 72;

    public static void Run(int rounds)
    {
        if (!Avx2.IsSupported)
        {
            Console.WriteLine("int8: needs AVX2");
            return;
        }
        Console.WriteLine($"Integer GEMMs vs the engine's FP32 GEMM, one thread, thread CPU time, {rounds} alternated rounds; load {File.ReadAllText("/proc/loadavg").Trim()}");
        var random = new Random(11);
        foreach (var (name, m, k, n) in Shapes)
        {
            // A as a separable convolution's pointwise step receives it (the depthwise output, signed, no ReLU yet).
            var a = new float[m * k];
            for (var i = 0; i < a.Length; i++) a[i] = (float)(random.NextDouble() * 2 - 0.6);
            var w = new float[k * n];
            for (var i = 0; i < w.Length; i++) w[i] = (float)((random.NextDouble() * 2 - 1) / Math.Sqrt(k));
            var bias = new float[n];
            for (var i = 0; i < n; i++) bias[i] = (float)(random.NextDouble() * 0.2 - 0.1);
            var q16 = new Int16Gemm(w, k, n, bias);
            var q16Scratch = new short[RowBlock * q16.DepthPadded];
            var fp32Out = new float[m * n];
            var int8Out = new float[m * n];
            var int16Out = new float[m * n];
            fixed (float* x = a, c = fp32Out, c8 = int8Out, c16 = int16Out, bs = bias)
            fixed (short* qs16 = q16Scratch)
            {
                var epilogue = new GemmEpilogue { Bias = bs, Relu = true };
                var fp32 = new GemmWork<DenseSource>(new DenseSource(x, m, k, k), new PackedMatrix(w, k, n), c, n, epilogue, new WorkerScratch(1), 1);
                var int8 = new Int8GemmWork<DenseSource>(new DenseSource(x, m, k, k), new Int8PackedMatrix(w, k, n), c8, n, epilogue,
                    new WorkerScratch(1, Int8Gemm.ScratchLength(k)), 1);
                var flops = 2.0 * m * n * k;
                var reps = Math.Max(1, (int)(0.1e9 / flops * 60));
                double Time(Action pass)
                {
                    var start = GemmShapes.ThreadSecondsPublic();
                    for (var r = 0; r < reps; r++)
                    {
                        pass();
                    }
                    return (GemmShapes.ThreadSecondsPublic() - start) / reps;
                }
                var f = new List<double>();
                var i8 = new List<double>();
                var i16 = new List<double>();
                for (var round = 0; round <= rounds; round++)
                {
                    var fs = Time(() =>
                    {
                        for (var t = 0; t < fp32.Tiling.Count; t++) fp32.Execute(t, 0);
                    });
                    var s8 = Time(() =>
                    {
                        for (var t = 0; t < int8.Tiling.Count; t++) int8.Execute(t, 0);
                    });
                    var (xp, cp, sp) = ((nint)x, (nint)c16, (nint)qs16); // fixed locals cannot enter a lambda
                    var s16 = Time(() => q16.Compute((float*)xp, m, (float*)cp, (short*)sp));
                    if (round > 0) // the first round warms up
                    {
                        f.Add(fs);
                        i8.Add(s8);
                        i16.Add(s16);
                    }
                }
                var exact16 = q16.CheckSums(x, m, int16Out, random);
                var ratios = f.Zip(i8, (x1, y1) => y1 / x1).Order().ToArray();
                var ratios16 = f.Zip(i16, (x1, y1) => y1 / x1).Order().ToArray();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-28} M={m,4} K={k,5} N={n,5}  FP32 median {Median(f) * 1e3,7:F3} ms ({flops / Median(f) / 1e9,5:F1} GFLOP/s)  engine INT8 median {Median(i8) * 1e3,7:F3} ms ({flops / Median(i8) / 1e9,5:F1} G-op/s)  INT8/FP32 per round: median {Median([.. ratios]):F3} (min {ratios[0]:F3}, max {ratios[^1]:F3})  rel. L2 vs FP32 {RelativeL2(int8Out, fp32Out):E1}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{"",-28} 16-bit path (10-bit A per row, 10-bit B per column, VPMADDWD): median {Median(i16) * 1e3,7:F3} ms  I16/FP32 per round: median {Median([.. ratios16]):F3} (min {ratios16[0]:F3}, max {ratios16[^1]:F3})  int32 sums {(exact16 ? "exact" : "WRONG")}  rel. L2 vs FP32 {RelativeL2(int16Out, fp32Out):E1}"));
            }
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double RelativeL2(float[] x, float[] reference)
    {
        double num = 0, den = 0;
        for (var i = 0; i < x.Length; i++)
        {
            num += (double)(x[i] - reference[i]) * (x[i] - reference[i]);
            den += (double)reference[i] * reference[i];
        }
        return Math.Sqrt(num / den);
    }

    /// <summary>
    /// The 16-bit alternative: A per row and B per column quantized symmetrically to ±511 (10 bits) in int16, VPMADDWD
    /// (two int16 products summed into int32, exact: no saturation) in a 4 × 16 tile, B packed [K/2][16][2].
    /// </summary>
    private sealed class Int16Gemm
    {
        private const int Top = 511;
        private readonly short[] _b;
        private readonly float[] _scale;
        private readonly float[] _bias;
        private readonly int _k;
        private readonly int _n;

        public Int16Gemm(float[] w, int k, int n, float[] bias)
        {
            _k = k;
            _n = n;
            DepthPadded = (k + 1) / 2 * 2;
            var panels = (n + 15) / 16;
            _b = new short[panels * DepthPadded * 16];
            _scale = new float[panels * 16];
            _bias = new float[panels * 16];
            for (var j = 0; j < n; j++)
            {
                var absMax = 0f;
                for (var i = 0; i < k; i++) absMax = Math.Max(absMax, Math.Abs(w[i * n + j]));
                var scaleW = absMax / Top;
                for (var i = 0; i < k; i++)
                {
                    _b[Index(i, j)] = (short)Math.Clamp((int)MathF.Round(w[i * n + j] / scaleW), -Top, Top);
                }
                _scale[j] = scaleW;
                _bias[j] = bias[j];
            }
        }

        public int DepthPadded { get; }

        private int Index(int i, int j) => (j / 16 * DepthPadded + i / 2 * 2) * 16 + j % 16 * 2 + i % 2;

        public bool CheckSums(float* a, int m, float[] computed, Random random)
        {
            var q = new short[DepthPadded];
            fixed (short* r = q)
            {
                for (var trial = 0; trial < 256; trial++)
                {
                    var row = random.Next(m);
                    var col = random.Next(_n);
                    var rowScale = Quantize(a + (long)row * _k, r);
                    long sum = 0;
                    for (var i = 0; i < _k; i++)
                    {
                        sum += r[i] * (long)_b[Index(i, col)];
                    }
                    var expected = MathF.Max(0, (float)sum * (_scale[col] * rowScale) + _bias[col]);
                    if (computed[(long)row * _n + col] != expected)
                    {
                        return false;
                    }
                }
            }
            return true;
        }

        public void Compute(float* a, int m, float* c, short* scratch)
        {
            var panels = (_n + 15) / 16;
            var k2 = DepthPadded / 2;
            var rowScales = stackalloc float[RowBlock];
            var edge = stackalloc float[4 * 16];
            fixed (short* b = _b)
            fixed (float* scale = _scale, bias = _bias)
            {
                for (var m0 = 0; m0 < m; m0 += RowBlock)
                {
                    var mc = Math.Min(RowBlock, m - m0);
                    for (var r = 0; r < mc; r++)
                    {
                        rowScales[r] = Quantize(a + (long)(m0 + r) * _k, scratch + (long)r * DepthPadded);
                    }
                    for (var p = 0; p < panels; p++)
                    {
                        var n0 = p * 16;
                        var columns = Math.Min(16, _n - n0);
                        var panel = b + (long)p * DepthPadded * 16;
                        for (var r0 = 0; r0 < mc; r0 += 4)
                        {
                            var rows = Math.Min(4, mc - r0);
                            var full = columns == 16;
                            var cTile = full ? c + (long)(m0 + r0) * _n + n0 : edge;
                            var ldc = full ? _n : 16;
                            var aGroup = scratch + (long)r0 * DepthPadded;
                            switch (rows)
                            {
                                case 4: Kernel<Rows4>(k2, aGroup, DepthPadded, panel, cTile, ldc, scale + n0, bias + n0, rowScales + r0); break;
                                case 3: Kernel<Rows3>(k2, aGroup, DepthPadded, panel, cTile, ldc, scale + n0, bias + n0, rowScales + r0); break;
                                case 2: Kernel<Rows2>(k2, aGroup, DepthPadded, panel, cTile, ldc, scale + n0, bias + n0, rowScales + r0); break;
                                default: Kernel<Rows1>(k2, aGroup, DepthPadded, panel, cTile, ldc, scale + n0, bias + n0, rowScales + r0); break;
                            }
                            if (!full)
                            {
                                for (var r = 0; r < rows; r++)
                                {
                                    new ReadOnlySpan<float>(edge + r * 16, columns).CopyTo(new Span<float>(c + (long)(m0 + r0 + r) * _n + n0, columns));
                                }
                            }
                        }
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private float Quantize(float* row, short* destination)
        {
            var high = Vector256<float>.Zero;
            var i = 0;
            for (; i + 8 <= _k; i += 8)
            {
                high = Avx.Max(high, Vector256.Abs(Vector256.Load(row + i)));
            }
            var largest = 0f;
            for (var j = 0; j < 8; j++) largest = Math.Max(largest, high[j]);
            for (var j = i; j < _k; j++) largest = Math.Max(largest, Math.Abs(row[j]));
            var inverse = largest == 0 ? 0 : Top / largest;
            var inverseVector = Vector256.Create(inverse);
            i = 0;
            for (; i + 16 <= _k; i += 16)
            {
                var q0 = Avx.ConvertToVector256Int32(Vector256.Load(row + i) * inverseVector);
                var q1 = Avx.ConvertToVector256Int32(Vector256.Load(row + i + 8) * inverseVector);
                Avx2.Permute4x64(Avx2.PackSignedSaturate(q0, q1).AsInt64(), 0b11_01_10_00).AsInt16().Store(destination + i);
            }
            for (; i < _k; i++)
            {
                destination[i] = (short)MathF.Round(row[i] * inverse);
            }
            for (; i < DepthPadded; i++)
            {
                destination[i] = 0;
            }
            return largest / Top;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Kernel<R>(int k2, short* a, int lda, short* b, float* c, int ldc, float* scale, float* bias, float* rowScale)
            where R : struct, IRowCount
        {
            Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
            short* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
            nint depth = k2;
            for (nint k = 0; k < depth; k++)
            {
                var b0 = Vector256.Load(b);
                var b1 = Vector256.Load(b + 16);
                var v = Vector256.Create(*(int*)(a + 2 * k)).AsInt16();
                c00 = Avx2.Add(c00, Avx2.MultiplyAddAdjacent(v, b0));
                c01 = Avx2.Add(c01, Avx2.MultiplyAddAdjacent(v, b1));
                if (R.Count > 1)
                {
                    v = Vector256.Create(*(int*)(a1 + 2 * k)).AsInt16();
                    c10 = Avx2.Add(c10, Avx2.MultiplyAddAdjacent(v, b0));
                    c11 = Avx2.Add(c11, Avx2.MultiplyAddAdjacent(v, b1));
                }
                if (R.Count > 2)
                {
                    v = Vector256.Create(*(int*)(a2 + 2 * k)).AsInt16();
                    c20 = Avx2.Add(c20, Avx2.MultiplyAddAdjacent(v, b0));
                    c21 = Avx2.Add(c21, Avx2.MultiplyAddAdjacent(v, b1));
                }
                if (R.Count > 3)
                {
                    v = Vector256.Create(*(int*)(a3 + 2 * k)).AsInt16();
                    c30 = Avx2.Add(c30, Avx2.MultiplyAddAdjacent(v, b0));
                    c31 = Avx2.Add(c31, Avx2.MultiplyAddAdjacent(v, b1));
                }
                b += 32;
            }
            var s0 = Vector256.Load(scale);
            var s1 = Vector256.Load(scale + 8);
            var bias0 = Vector256.Load(bias);
            var bias1 = Vector256.Load(bias + 8);
            Store(c, c00, c01, s0, s1, rowScale[0], bias0, bias1);
            if (R.Count > 1) Store(c + ldc, c10, c11, s0, s1, rowScale[1], bias0, bias1);
            if (R.Count > 2) Store(c + 2 * ldc, c20, c21, s0, s1, rowScale[2], bias0, bias1);
            if (R.Count > 3) Store(c + 3 * ldc, c30, c31, s0, s1, rowScale[3], bias0, bias1);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(float* c, Vector256<int> left, Vector256<int> right, Vector256<float> s0, Vector256<float> s1, float rowScale,
            Vector256<float> bias0, Vector256<float> bias1)
        {
            var scale = Vector256.Create(rowScale);
            Vector256.Max(Avx.ConvertToVector256Single(left) * (s0 * scale) + bias0, Vector256<float>.Zero).Store(c);
            Vector256.Max(Avx.ConvertToVector256Single(right) * (s1 * scale) + bias1, Vector256<float>.Zero).Store(c + 8);
        }
    }
}
