using System.Globalization;
using System.Text.Json;
using CudaGenre.Core.Models;
using CudaGenre.Engine.Cpu;
using CudaGenre.Engine.Graph;
using Ort = Microsoft.ML.OnnxRuntime;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>ortprofile MODEL BATCH [THREADS]</c>: where ONNX Runtime and the engine each spend a pass, on the same exported
/// network and weights: ORT's own per-node profile (its JSON trace, median over 20 passes after warm-up) and the
/// engine's per-step profile (<see cref="CpuPlan.Profile"/>, median of 20), each sorted by time, so the layers where the
/// engine loses can be found. ORT's node names are the ONNX nodes' (ours: the output value's name), with the suffixes
/// its graph transforms add (<c>_nchwc</c>, fused activations).
/// </summary>
internal static class OrtProfile
{
    public static void Run(string model, int batch, int threads)
    {
        if (!ArchitectureNames.TryParseArchitecture(model, out var architecture))
            throw new ArgumentException($"unknown model {model}");
        var spec = ModelSpec.Default(architecture);
        var graph = ModelGraph.Build(spec);
        var folder = Directory.CreateTempSubdirectory("cudagenre-ortprofile-").FullName;
        try
        {
            var path = Path.Combine(folder, "model.safetensors");
            var onnx = Path.Combine(folder, "model.onnx");
            RandomWeights.WriteModel(path, spec, RandomWeights.Create(graph, seed: 1));
            var file = ModelFile.Read(path);
            OnnxExport.Write(file, onnx);
            var input = new float[batch * spec.InputChannels * spec.InputHeight * spec.InputWidth];
            var random = new Random(2);
            for (var i = 0; i < input.Length; i++)
                input[i] = (float)(random.NextDouble() * 4 - 2);

            Console.WriteLine($"# {model} batch {batch}, {threads} threads: ORT per node vs engine per step; load average {OrtCompare.LoadAverage()}");
            var ortNodes = OrtNodes(onnx, input, [batch, spec.InputChannels, spec.InputHeight, spec.InputWidth], threads, Path.Combine(folder, "ort-profile"));
            Print("ORT (per node, median of 20 profiled passes)", ortNodes);

            var fused = GraphOptimizer.Optimize(file.Graph, file.Weights.ToSingleArray);
            using var plan = new CpuPlan(fused, new CpuWeights(fused), batch, threads);
            var logits = new float[batch * plan.LogitsPerItem];
            for (var r = 0; r < 30; r++)
            {
                plan.Run(input, logits);
                if (r % 10 == 9)
                    Thread.Sleep(200);
            }
            Print("engine (per step, median of 20)", plan.Profile(input, 20).Select(s => (s.Step, s.Milliseconds)).ToList());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Print(string title, List<(string Name, double Milliseconds)> rows)
    {
        var total = rows.Sum(r => r.Milliseconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"## {title}: {total:F2} ms summed over {rows.Count}"));
        foreach (var (name, ms) in rows.OrderByDescending(r => r.Milliseconds))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ms,9:F3} {100 * ms / total,6:F1}  {name}"));
    }

    /// <summary>Per-node median durations from ORT's profiler over 20 passes after 30 warm-up passes.</summary>
    private static List<(string Name, double Milliseconds)> OrtNodes(string onnx, float[] input, long[] shape, int threads, string prefix)
    {
        const int warm = 30, measured = 20;
        string trace;
        using (var session = OrtCompare.OpenOrt(onnx, threads, prefix))
        {
            using var value = Ort.OrtValue.CreateTensorValueFromMemory(input, shape);
            using var runOptions = new Ort.RunOptions();
            for (var r = 0; r < warm + measured; r++)
            {
                using var results = session.Run(runOptions, [OnnxExport.InputName], [value], [session.OutputMetadata.Keys.First()]);
                if (r % 10 == 9 && r < warm)
                    Thread.Sleep(200);
            }
            trace = session.EndProfiling();
        }

        // The trace: {"cat":"Node","name":"<node>_kernel_time","dur":µs,...} per node per pass, in pass order.
        using var json = JsonDocument.Parse(File.ReadAllText(trace));
        var durations = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var e in json.RootElement.EnumerateArray())
        {
            if (e.GetProperty("cat").GetString() != "Node")
                continue;
            var name = e.GetProperty("name").GetString() ?? "";
            if (!name.EndsWith("_kernel_time", StringComparison.Ordinal))
                continue;
            name = name[..^"_kernel_time".Length];
            if (e.TryGetProperty("args", out var a) && a.TryGetProperty("op_name", out var op))
                name = $"{name} [{op.GetString()}]";
            if (!durations.TryGetValue(name, out var list))
            {
                durations[name] = list = [];
                order.Add(name);
            }
            list.Add(e.GetProperty("dur").GetDouble() / 1000);
        }
        return [.. order.Select(n => (n, OrtCompare.Median(durations[n].TakeLast(measured).ToList())))];
    }
}
