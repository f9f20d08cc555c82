using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>peak [MILLISECONDS]</c>: the FP32 peak this machine reaches, estimated with a tight loop of fused multiply-adds on
/// twelve independent accumulators (enough to cover the FMA latency of every current x86 core: 4 cycles × 2 pipes,
/// with room), with <see cref="Vector256"/> and <see cref="Vector512"/>, on one thread and on every thread. A profile
/// quotes its GFLOP/s as a share of this figure.
/// </summary>
internal static class PeakFlops
{
    private const int Accumulators = 12;
    private const long IterationsPerCheck = 1 << 16;

    public static void Run(double milliseconds)
    {
        Console.WriteLine($"FP32 FMA peak, {Accumulators} accumulators, {milliseconds:F0} ms per measurement (best of 3), {OrtCompare.CpuName()}, {Environment.ProcessorCount} logical CPUs");
        foreach (var width in new[] { 256, 512 })
        {
            if (width == 512 && !Vector512.IsHardwareAccelerated)
            {
                Console.WriteLine("Vector512: not hardware-accelerated here");
                continue;
            }
            foreach (var threads in new[] { 1, Environment.ProcessorCount }.Distinct())
            {
                var best = Enumerable.Range(0, 3).Max(_ => Measure(width, threads, milliseconds));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Vector{width}, {threads} thread(s): {best:F1} GFLOP/s ({best / threads:F1} per thread)"));
            }
        }
    }

    /// <summary>The best GFLOP/s of the FMA loop on <paramref name="threads"/> threads (Vector512 where accelerated, else Vector256).</summary>
    public static double Estimate(int threads, double milliseconds = 150)
    {
        var width = Vector512.IsHardwareAccelerated ? 512 : 256;
        return Enumerable.Range(0, 3).Max(_ => Measure(width, threads, milliseconds));
    }

    /// <summary>Runs the loop on <paramref name="threads"/> threads at once for about <paramref name="milliseconds"/>; GFLOP/s of all together.</summary>
    private static double Measure(int width, int threads, double milliseconds)
    {
        var flops = new long[threads];
        using var start = new Barrier(threads + 1);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            var clock = Stopwatch.StartNew();
            long iterations = 0;
            var sink = 0f;
            while (clock.Elapsed.TotalMilliseconds < milliseconds)
            {
                sink += width == 512 ? Loop512(IterationsPerCheck) : Loop256(IterationsPerCheck);
                iterations += IterationsPerCheck;
            }
            flops[t] = iterations * Accumulators * 2L * (width / 32) + (sink == 12345.678f ? 1 : 0);
        }) { IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());
        start.SignalAndWait();
        var wall = Stopwatch.StartNew();
        workers.ForEach(w => w.Join());
        return flops.Sum() / wall.Elapsed.TotalSeconds / 1e9;
    }

    // a = a·m + c with m just below 1 and c tiny: values stay finite and normal for any number of iterations.
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static float Loop256(long iterations)
    {
        Vector256<float> m = Vector256.Create(0.999999f), c = Vector256.Create(1e-6f);
        Vector256<float> a0 = Vector256.Create(0.1f), a1 = Vector256.Create(0.2f), a2 = Vector256.Create(0.3f), a3 = Vector256.Create(0.4f),
            a4 = Vector256.Create(0.5f), a5 = Vector256.Create(0.6f), a6 = Vector256.Create(0.7f), a7 = Vector256.Create(0.8f),
            a8 = Vector256.Create(0.9f), a9 = Vector256.Create(1.0f), a10 = Vector256.Create(1.1f), a11 = Vector256.Create(1.2f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c); a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c); a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c); a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Loop512(long iterations)
    {
        Vector512<float> m = Vector512.Create(0.999999f), c = Vector512.Create(1e-6f);
        Vector512<float> a0 = Vector512.Create(0.1f), a1 = Vector512.Create(0.2f), a2 = Vector512.Create(0.3f), a3 = Vector512.Create(0.4f),
            a4 = Vector512.Create(0.5f), a5 = Vector512.Create(0.6f), a6 = Vector512.Create(0.7f), a7 = Vector512.Create(0.8f),
            a8 = Vector512.Create(0.9f), a9 = Vector512.Create(1.0f), a10 = Vector512.Create(1.1f), a11 = Vector512.Create(1.2f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
