using System.Globalization;
using System.Runtime.Intrinsics.X86;
using CudaGenre.Engine.Cpu;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>int8 [ROUNDS]</c>: integer GEMMs beside the engine's FP32 GEMM on four 1×1-convolution shapes, one thread, thread
/// CPU time, alternated round by round: the engine's INT8 and INT16 GEMMs (<see cref="IntegerGemm"/>; before they were
/// built, session 20's prototypes of them: benchmarks/results/raw-2026-12-07-session20/int8-prototype.txt and
/// int16-prototype.txt). A (FP32, as a separable convolution's pointwise step receives it) is quantized inside the timed
/// loop. Each side's error against the FP32 GEMM is printed.
/// </summary>
internal static unsafe class Int8Prototype
{
    /// <summary>Four 1×1-convolution GEMM shapes from Xception and ResNet50 (also <see cref="WideTilePrototype"/>'s).</summary>
    internal static readonly (string Name, int M, int K, int N)[] Shapes =
    [
        ("xc.middle 1x1 728->728 19", 361, 728, 728),
        ("xc.conv4 1x1 1536->2048 10", 100, 1536, 2048),
        ("r50.l3 1x1 1024->256 14", 196, 1024, 256),
        ("r50.l2 1x1 128->512 28", 784, 128, 512),
    ];

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
            var fp32Out = new float[m * n];
            var int8Out = new float[m * n];
            var int16Out = new float[m * n];
            fixed (float* x = a, c = fp32Out, c8 = int8Out, c16 = int16Out, bs = bias)
            {
                var epilogue = new GemmEpilogue { Bias = bs, Relu = true };
                var fp32 = new GemmWork<DenseSource>(new DenseSource(x, m, k, k), new PackedMatrix(w, k, n), c, n, epilogue, new WorkerScratch(1), 1);
                var int8 = new IntegerGemmWork<DenseSource, Int8Format>(new DenseSource(x, m, k, k), new IntegerPackedMatrix<Int8Format>(w, k, n), c8, n, epilogue,
                    new WorkerScratch(1, IntegerGemm.ScratchLength<Int8Format>(k)), 1);
                var int16 = new IntegerGemmWork<DenseSource, Int16Format>(new DenseSource(x, m, k, k), new IntegerPackedMatrix<Int16Format>(w, k, n), c16, n, epilogue,
                    new WorkerScratch(1, IntegerGemm.ScratchLength<Int16Format>(k)), 1);
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
                    var s16 = Time(() =>
                    {
                        for (var t = 0; t < int16.Tiling.Count; t++) int16.Execute(t, 0);
                    });
                    if (round > 0) // the first round warms up
                    {
                        f.Add(fs);
                        i8.Add(s8);
                        i16.Add(s16);
                    }
                }
                var ratios = f.Zip(i8, (x1, y1) => y1 / x1).Order().ToArray();
                var ratios16 = f.Zip(i16, (x1, y1) => y1 / x1).Order().ToArray();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-28} M={m,4} K={k,5} N={n,5}  FP32 median {Median(f) * 1e3,7:F3} ms ({flops / Median(f) / 1e9,5:F1} GFLOP/s)  engine INT8 median {Median(i8) * 1e3,7:F3} ms ({flops / Median(i8) / 1e9,5:F1} G-op/s)  INT8/FP32 per round: median {Median([.. ratios]):F3} (min {ratios[0]:F3}, max {ratios[^1]:F3})  rel. L2 vs FP32 {RelativeL2(int8Out, fp32Out):E1}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{"",-28} engine INT16 (10-bit A per row and B per column, VPMADDWD): median {Median(i16) * 1e3,7:F3} ms  INT16/FP32 per round: median {Median([.. ratios16]):F3} (min {ratios16[0]:F3}, max {ratios16[^1]:F3})  rel. L2 vs FP32 {RelativeL2(int16Out, fp32Out):E1}"));
            }
        }
    }

    internal static double Median(List<double> values)
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
}
