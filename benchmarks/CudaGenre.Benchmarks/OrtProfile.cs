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
            var before = ThreadSchedule.Snapshot();
            var steps = plan.Profile(input, 20);
            ThreadSchedule.PrintSince("the engine's 20 profiled passes", before);
            Print("engine (per step, median of 20)", steps.Select(s => (s.Step, s.Milliseconds)).ToList());
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
            // Over the profiled passes only; read before the session ends its pool's threads.
            ThreadSchedule? before = null;
            for (var r = 0; r < warm + measured; r++)
            {
                if (r == warm)
                    before = ThreadSchedule.Snapshot();
                using var results = session.Run(runOptions, [OnnxExport.InputName], [value], [session.OutputMetadata.Keys.First()]);
                if (r % 10 == 9 && r < warm)
                    Thread.Sleep(200);
            }
            ThreadSchedule.PrintSince("ORT's 20 profiled passes", before);
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

/// <summary>
/// What the Linux scheduler did to this process's threads over a phase (<c>/proc/self/task/*/schedstat</c>: time on a
/// CPU, time runnable but waiting for one, and time slices; <c>se.nr_migrations</c> from each thread's <c>sched</c>), with
/// the process's page faults and kernel time (<c>/proc/self/stat</c>) and the machine's TLB-shootdown, function-call and
/// rescheduling interrupts (<c>/proc/interrupts</c>): a two-thread pass loses whatever its threads wait or move.
/// </summary>
internal sealed record ThreadSchedule(
    Dictionary<int, (long RunNs, long WaitNs, long Slices, long Migrations)> Threads,
    long MinorFaults, long MajorFaults, long KernelTicks, Dictionary<string, long> Interrupts)
{
    /// <summary>Now, or null where there is no Linux /proc to read.</summary>
    public static ThreadSchedule? Snapshot()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        var threads = new Dictionary<int, (long, long, long, long)>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var f = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var line = File.ReadLines(Path.Combine(task, "sched")).FirstOrDefault(l => l.StartsWith("se.nr_migrations", StringComparison.Ordinal));
                threads[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = (Long(f[0]), Long(f[1]), Long(f[2]),
                    line is null ? 0 : Long(line[(line.IndexOf(':') + 1)..].Trim()));
            }
            catch (IOException)
            {
                // the thread ended between listing and reading
            }
        }
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": state is field 0, minflt 7, majflt 9, stime 12
        var interrupts = File.ReadLines("/proc/interrupts").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim() is "TLB" or "CAL" or "RES")
            .ToDictionary(p => p[0].Trim(), p => p[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).TakeWhile(v => v.All(char.IsDigit)).Sum(Long));
        return new(threads, Long(fields[7]), Long(fields[9]), Long(fields[12]), interrupts);
    }

    public static void PrintSince(string phase, ThreadSchedule? before)
    {
        if (before is null || Snapshot() is not { } after)
        {
            return;
        }
        var rows = after.Threads.Select(t =>
        {
            var b = before.Threads.GetValueOrDefault(t.Key);
            return (Tid: t.Key, Run: (t.Value.RunNs - b.RunNs) / 1e6, Wait: (t.Value.WaitNs - b.WaitNs) / 1e6, Slices: t.Value.Slices - b.Slices,
                Migrations: t.Value.Migrations - b.Migrations);
        }).Where(t => t.Run > 0).OrderByDescending(t => t.Run).ToList();
        var busiest = string.Join("; ", rows.Take(4).Select(t => FormattableString.Invariant(
            $"tid {t.Tid} on CPU {t.Run:F0} ms, waiting {t.Wait:F1} ms, {t.Slices} slices, {t.Migrations} migrations")));
        var interrupts = string.Join(", ", after.Interrupts.Select(i => FormattableString.Invariant($"{i.Key} {i.Value - before.Interrupts.GetValueOrDefault(i.Key)}")));
        Console.WriteLine(FormattableString.Invariant(
            $"# scheduler over {phase}: all threads on CPU {rows.Sum(t => t.Run):F0} ms, runnable but waiting {rows.Sum(t => t.Wait):F0} ms, {rows.Sum(t => t.Slices)} slices; page faults {after.MinorFaults - before.MinorFaults} minor, {after.MajorFaults - before.MajorFaults} major; in the kernel {(after.KernelTicks - before.KernelTicks) * 10} ms (USER_HZ 100); machine-wide interrupts {interrupts}; busiest: {busiest}"));
    }

    private static long Long(string text) => long.Parse(text, CultureInfo.InvariantCulture);
}
