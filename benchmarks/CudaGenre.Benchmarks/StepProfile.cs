using System.Globalization;
using CudaGenre.Core.Models;
using CudaGenre.Engine.Cpu;
using CudaGenre.Engine.Graph;
using CudaGenre.Trainer.Models;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>profile MODEL BATCH [THREADS]</c>: the CPU backend's time for each of its first 30 forward passes (how
/// long warm-up lasts), then per fused step (median of 20 passes), to see where a pass spends its time: each step's
/// floating-point work (<see cref="StepCost"/>), its GFLOP/s and its share of the FP32 peak (<see cref="PeakFlops"/>,
/// measured in the same process on the same number of threads), and the whole pass's GFLOP/s.
/// </summary>
internal static class StepProfile
{
    public static void Run(string model, int batch, int threads)
    {
        if (!ArchitectureNames.TryParseArchitecture(model, out var architecture))
            throw new ArgumentException($"unknown model {model}");
        var spec = ModelSpec.Default(architecture);
        var path = Path.Combine(Directory.CreateTempSubdirectory("cudagenre-profile-").FullName, "model.safetensors");
        using (var torch = RandomModel.Create(spec, seed: 1))
            Export.WriteModel(path, torch, spec);
        var file = ModelFile.Read(path);
        var fused = GraphOptimizer.Optimize(file.Graph, file.Weights.ToSingleArray);
        File.Delete(path);
        // CUDAGENRE_PROFILE_PRECISION=bf16|int8|int16: the GEMMs as that CPU precision runs them (refused as the engine
        // refuses it, e.g. BF16 without AVX512_BF16); FP32 when unset.
        var precisionName = Environment.GetEnvironmentVariable("CUDAGENRE_PROFILE_PRECISION") ?? "fp32";
        if (!Enum.TryParse<CudaGenre.Engine.Precision>(precisionName, ignoreCase: true, out var precision) || !Enum.IsDefined(precision))
            throw new ArgumentException($"CUDAGENRE_PROFILE_PRECISION: '{precisionName}' is not a precision (fp32, bf16, int8, int16)");
        var kind = CpuPrecision.GemmKind(precision);
        Console.WriteLine($"precision {precision} ({kind} GEMMs)");
        using var plan = new CpuPlan(fused, new CpuWeights(fused, kind), batch, threads);
        var input = new float[batch * plan.InputPerItem];
        var random = new Random(2);
        for (var i = 0; i < input.Length; i++)
            input[i] = (float)(random.NextDouble() * 2 - 1);
        // The first passes run code .NET has not tiered up yet; a pause lets the background JIT finish.
        var logits = new float[batch * plan.LogitsPerItem];
        var series = new List<double>();
        for (var r = 0; r < 30; r++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            plan.Run(input, logits);
            series.Add(clock.Elapsed.TotalMilliseconds);
            if (r % 10 == 9)
                Thread.Sleep(200);
        }
        // Wall time of n whole passes, fastest first.
        List<double> SortedPasses(int n) => [.. Enumerable.Range(0, n).Select(_ =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            plan.Run(input, logits);
            return clock.Elapsed.TotalMilliseconds;
        }).Order()];
        Console.WriteLine("first 30 passes, a 200 ms pause after every 10 (ms): " + string.Join(" ", series.Select(v => v.ToString("F1", CultureInfo.InvariantCulture))));
        if (Environment.GetEnvironmentVariable("CUDAGENRE_PROFILE_PASSES") is "1")
        {
            // Whole passes only (quick A/B runs): the median and best of 30 more, no per-step timing.
            var more = SortedPasses(30);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{model} batch {batch}, {threads} threads: whole pass median {more[15]:F2} ms, best {more[0]:F2} ms; load average {OrtCompare.LoadAverage()}"));
            return;
        }
        var steps = plan.Profile(input, 20);
        var total = steps.Sum(s => s.Milliseconds);
        var flops = steps.Sum(s => s.Flops);
        var peak = PeakFlops.Estimate(threads);
        var passes = SortedPasses(20);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"FP32 FMA peak on {threads} threads, measured now: {peak:F1} GFLOP/s; load average {OrtCompare.LoadAverage()}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{model} batch {batch}, {threads} threads: {total:F2} ms summed over {steps.Length} steps (median of 20 per step); whole pass median {passes[10]:F2} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"work: {flops / 1e9:F3} GFLOP per pass ({flops / 1e9 / batch:F3} per image); {Rate(flops, passes[10]):F1} GFLOP/s over the whole pass ({100 * Rate(flops, passes[10]) / peak:F1} % of peak), {Rate(flops, total):F1} GFLOP/s over the summed steps"));
        Console.WriteLine("       ms      %     GFLOP  GFLOP/s  % peak  step");
        foreach (var (name, ms, work) in steps.OrderByDescending(s => s.Milliseconds).Take(Environment.GetEnvironmentVariable("CUDAGENRE_PROFILE_ALL") is "1" ? int.MaxValue : 15))
        {
            var rate = work > 0 ? Rate(work, ms).ToString("F1", CultureInfo.InvariantCulture).PadLeft(8) : "       —";
            var share = work > 0 ? (100 * Rate(work, ms) / peak).ToString("F1", CultureInfo.InvariantCulture).PadLeft(7) : "      —";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ms,9:F3} {100 * ms / total,6:F1} {work / 1e9,9:F4} {rate} {share}  {name}"));
        }
    }

    /// <summary>GFLOP/s of <paramref name="flops"/> done in <paramref name="milliseconds"/>.</summary>
    private static double Rate(long flops, double milliseconds) => flops / (milliseconds * 1e6);
}
