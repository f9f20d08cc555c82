using System.Globalization;
using CudaGenre.Core.Models;
using CudaGenre.Engine.Cpu;
using CudaGenre.Engine.Graph;
using CudaGenre.Trainer.Models;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>profile MODEL BATCH [THREADS]</c>: the CPU backend's time for each of its first 30 forward passes (how
/// long warm-up lasts), then per fused step (median of 20 passes), to see where a pass spends its time.
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
        using var plan = new CpuPlan(fused, new CpuWeights(fused), batch, threads);
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
        Console.WriteLine("first 30 passes, a 200 ms pause after every 10 (ms): " + string.Join(" ", series.Select(v => v.ToString("F1", CultureInfo.InvariantCulture))));
        var steps = plan.Profile(input, 20);
        var total = steps.Sum(s => s.Milliseconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{model} batch {batch}, {threads} threads: {total:F2} ms summed over {steps.Length} steps (median of 20 per step)"));
        foreach (var (name, ms) in steps.OrderByDescending(s => s.Milliseconds).Take(Environment.GetEnvironmentVariable("CUDAGENRE_PROFILE_ALL") is "1" ? int.MaxValue : 15))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ms,9:F3} ms {100 * ms / total,5:F1} %  {name}"));
    }
}
