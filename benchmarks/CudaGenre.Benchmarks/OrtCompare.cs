using System.Diagnostics;
using System.Globalization;
using System.Text;
using CudaGenre.Core.Models;
using CudaGenre.Engine;
using CudaGenre.Engine.Graph;
using Ort = Microsoft.ML.OnnxRuntime;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>ortcompare [--models cnn,resnet50,xception,resnet18] [--batches 1,16] [--rounds 5] [--round-ms 600] [--threads 2]
/// [--resnet18-weights FILE] [--no-nuget-resnet18] [--out FILE]</c>: the engine's CPU backend (FP32, and BF16 where the engine
/// accepts it) side by side with ONNX Runtime FP32 on the same network, the same weights and the same input. Each model
/// file is written with seeded random weights (ResNet18: the converted ImageNet backbone with a random 10-class head),
/// exported with <see cref="OnnxExport"/> and loaded by both sides; the logits are compared (relative L2) so a fast wrong
/// answer cannot win. Both sides are warmed, then alternate in rounds (the order flips each round), each round a few
/// passes; the table gives per side the median and the min–max over all passes, and the ratio of medians.
/// </summary>
internal static class OrtCompare
{
    private const string EngineFp32 = "engine FP32", OrtFp32 = "ORT FP32";

    public static int Run(string[] args)
    {
        var models = Option(args, "--models", "cnn,resnet50,xception,resnet18").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var batches = Option(args, "--batches", "1,16").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToArray();
        var rounds = int.Parse(Option(args, "--rounds", "5"), CultureInfo.InvariantCulture);
        var roundMs = double.Parse(Option(args, "--round-ms", "600"), CultureInfo.InvariantCulture);
        var threads = int.Parse(Option(args, "--threads", "2"), CultureInfo.InvariantCulture);
        var resnet18Weights = Option(args, "--resnet18-weights", Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "cudagenre-runs", "resnet18_imagenet.safetensors"));
        var output = Option(args, "--out", "");
        if (rounds < 1 || roundMs <= 0 || threads < 1 || batches.Any(b => b < 1))
            throw new ArgumentException("--rounds, --round-ms, --threads and every batch must be positive.");

        var report = new StringBuilder();
        void Line(string text)
        {
            Console.WriteLine(text);
            report.AppendLine(text);
        }

        Line($"# engine vs ONNX Runtime, CPU, {threads} threads each");
        Line($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC; commit: {Environment.GetEnvironmentVariable("CUDAGENRE_COMMIT") ?? "unknown"}");
        Line($"machine: {CpuName()}, {Environment.ProcessorCount} logical CPUs; .NET {Environment.Version}; ONNX Runtime {Ort.OrtEnv.Instance().GetVersionString()}");
        Line($"ORT: intra-op {threads} threads, inter-op 1, session.intra_op.allow_spinning=0, graph optimization level all, sequential");
        Line($"load average before: {LoadAverage()}");
        Line($"method: warm both, then {rounds} rounds alternating engine/ORT (order flips each round), passes per round sized to about {roundMs:F0} ms per side; median over all passes");
        Line("");
        var rows = new List<string>();
        var folder = Directory.CreateTempSubdirectory("cudagenre-ortcompare-").FullName;
        try
        {
            foreach (var model in models)
                rows.AddRange(CompareModel(model, batches, rounds, roundMs, threads, resnet18Weights, folder, Line));
            if (!args.Contains("--no-nuget-resnet18") && models.Contains("resnet18"))
                rows.AddRange(NuGetResNet18(batches, rounds, roundMs, threads, Line));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        Line("");
        Line("| model | batch | side | median ms/pass | ms/image | min–max ms/pass | vs ORT (median) | rel L2 vs ORT | vs ORT per round: median (min–max) |");
        Line("|---|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
            Line(row);
        Line("");
        Line($"load average after: {LoadAverage()}");
        if (output.Length > 0)
        {
            Core.AtomicFile.WriteText(output, report.ToString());
            Console.WriteLine($"wrote {output}");
        }
        return 0;
    }

    private static IEnumerable<string> CompareModel(string model, int[] batches, int rounds, double roundMs, int threads, string resnet18Weights, string folder, Action<string> line)
    {
        if (!ArchitectureNames.TryParseArchitecture(model, out var architecture))
            throw new ArgumentException($"unknown model '{model}' (cnn, resnet18, resnet50, xception)");
        var spec = ModelSpec.Default(architecture);
        var graph = ModelGraph.Build(spec);
        var weights = RandomWeights.Create(graph, seed: 1);
        var label = model;
        if (architecture == Architecture.ResNet18)
        {
            if (File.Exists(resnet18Weights))
            {
                // The converted ImageNet backbone (no fc): real weights; the 10-class head stays random.
                var backbone = ModelFile.ReadWithSpec(resnet18Weights, spec, WeightCheck.IgnoreHead | WeightCheck.AllowMissingBatchCounters);
                foreach (var name in weights.Keys.ToList().Where(n => !graph.IsHead(n)))
                    weights[name] = backbone.Weights.ToSingleArray(name);
                label = "resnet18 (ImageNet)";
            }
            else
            {
                line($"note: {resnet18Weights} not found; resnet18 runs on random weights");
            }
        }

        var path = Path.Combine(folder, $"{model}.safetensors");
        var onnx = Path.Combine(folder, $"{model}.onnx");
        RandomWeights.WriteModel(path, spec, weights);
        OnnxExport.Write(ModelFile.Read(path), onnx);
        using var engine = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = threads });
        // The CPU's reduced precisions, each where this machine has it (BF16 needs AVX512_BF16, INT8 and INT16 AVX2).
        var reduced = new List<(string Name, InferenceSession Session)>();
        foreach (var precision in new[] { Precision.Bf16, Precision.Int8, Precision.Int16 })
        {
            try
            {
                reduced.Add(($"engine {precision.ToString().ToUpperInvariant()}", InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = threads, Precision = precision })));
            }
            catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException)
            {
                line($"{label}: {precision}: not available ({e.Message})");
            }
        }

        using var ort = OpenOrt(onnx, threads);
        try
        {
            foreach (var batch in batches)
            {
                var input = RandomInput(batch * spec.InputChannels * spec.InputHeight * spec.InputWidth, seed: 2);
                long[] inputShape = [batch, spec.InputChannels, spec.InputHeight, spec.InputWidth];
                var ortLogits = new float[batch * spec.ClassCount];
                using var ortRun = new OrtCall(ort, input, inputShape, ortLogits, [batch, spec.ClassCount]);
                var engineLogits = new float[batch * spec.ClassCount];
                var sides = new List<(string Name, Action Call, float[]? Logits)>
                {
                    (EngineFp32, () => engine.Run(input, batch, engineLogits), engineLogits),
                    (OrtFp32, ortRun.Call, null),
                };
                foreach (var (name, session) in reduced)
                {
                    var logits = new float[batch * spec.ClassCount];
                    sides.Add((name, () => session.Run(input, batch, logits), logits));
                }
                var perRoundTimes = Measure(sides.Select(s => (s.Name, s.Call)).ToList(), rounds, roundMs, $"{label} batch {batch}", line);
                var ortMedian = Median([.. perRoundTimes[OrtFp32].SelectMany(r => r)]);
                foreach (var (name, _, logits) in sides)
                {
                    List<double> t = [.. perRoundTimes[name].SelectMany(r => r)];
                    var error = logits is null ? "—" : RelativeL2(logits, ortLogits).ToString("E1", CultureInfo.InvariantCulture);
                    // The machine's speed drifts within seconds, and each round runs both sides back to back: the ratio of
                    // their medians round by round cancels most of the drift that the ratio of overall medians keeps.
                    List<double> paired = [.. perRoundTimes[name].Zip(perRoundTimes[OrtFp32], (mine, ort) => Median(mine) / Median(ort))];
                    var perRound = name == OrtFp32 ? "—" : string.Create(CultureInfo.InvariantCulture, $"{Median(paired):F2} ({paired.Min():F2}–{paired.Max():F2})");
                    yield return string.Create(CultureInfo.InvariantCulture,
                        $"| {label} | {batch} | {name} | {Median(t):F2} | {Median(t) / batch:F2} | {t.Min():F2}–{t.Max():F2} | {(name == OrtFp32 ? "1.00" : (Median(t) / ortMedian).ToString("F2", CultureInfo.InvariantCulture))} | {error} | {perRound} |");
                }
            }
        }
        finally
        {
            foreach (var (_, session) in reduced)
                session.Dispose();
        }
    }

    /// <summary>ONNX Runtime on the NuGet package's own ResNet18.onnx (9 blocks, ends at the pooled features): ORT only, a cross-check of the exported ResNet18 row.</summary>
    private static IEnumerable<string> NuGetResNet18(int[] batches, int rounds, double roundMs, int threads, Action<string> line)
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var file = Path.Combine(packages, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
        if (!File.Exists(file))
        {
            line($"note: {file} not found; no NuGet ResNet18 row");
            yield break;
        }
        using var ort = OpenOrt(file, threads);
        var inputName = ort.InputMetadata.Keys.Single();
        var fixedBatch = ort.InputMetadata[inputName].Dimensions[0]; // -1 when symbolic
        foreach (var batch in batches)
        {
            if (fixedBatch > 0 && fixedBatch != batch)
            {
                line($"NuGet ResNet18.onnx: its input '{inputName}' has a fixed batch of {fixedBatch}; no batch-{batch} row");
                continue;
            }
            var input = RandomInput(batch * 3 * 224 * 224, seed: 2);
            List<double> times;
            try
            {
                using var run = new OrtCall(ort, input, [batch, 3, 224, 224], null, null, inputName);
                times = [.. Measure([("ORT FP32 (NuGet ResNet18.onnx)", run.Call)], rounds, roundMs, $"NuGet ResNet18.onnx batch {batch}", line).Values.Single().SelectMany(r => r)];
            }
            catch (Ort.OnnxRuntimeException e)
            {
                line($"NuGet ResNet18.onnx batch {batch}: {e.Message}");
                continue;
            }
            yield return string.Create(CultureInfo.InvariantCulture,
                $"| resnet18 (NuGet ResNet18.onnx, 9 blocks, no fc) | {batch} | {OrtFp32} | {Median(times):F2} | {Median(times) / batch:F2} | {times.Min():F2}–{times.Max():F2} | — | — | — |");
        }
    }

    /// <summary>Warms every side, then alternates them in rounds; returns every timed pass (ms) per side, round by round, and prints them raw.</summary>
    private static Dictionary<string, List<List<double>>> Measure(List<(string Name, Action Call)> sides, int rounds, double roundMs, string what, Action<string> line)
    {
        var passes = new Dictionary<string, int>();
        foreach (var (name, call) in sides)
        {
            // The first passes run code .NET (and ORT's allocator) has not settled yet; pauses let the tiered JIT finish.
            var clock = Stopwatch.StartNew();
            call();
            var first = clock.Elapsed.TotalMilliseconds;
            for (var warm = 0; warm < 3; warm++)
            {
                var start = Stopwatch.GetTimestamp();
                do
                    call();
                while (Stopwatch.GetElapsedTime(start).TotalMilliseconds < Math.Max(roundMs / 2, 2 * first) && Stopwatch.GetElapsedTime(start).TotalMilliseconds < 3000);
                Thread.Sleep(100);
            }
            clock.Restart();
            call();
            passes[name] = (int)Math.Clamp(Math.Ceiling(roundMs / Math.Max(clock.Elapsed.TotalMilliseconds, 0.01)), 2, 200);
        }

        var times = sides.ToDictionary(s => s.Name, _ => new List<List<double>>());
        for (var round = 0; round < rounds; round++)
        {
            var order = round % 2 == 0 ? sides : Enumerable.Reverse(sides).ToList();
            foreach (var (name, call) in order)
            {
                var these = new List<double>();
                for (var i = 0; i < passes[name]; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    call();
                    these.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                times[name].Add(these);
                line(string.Create(CultureInfo.InvariantCulture, $"raw {what} | {name} | round {round} | ms/pass: {string.Join(" ", these.Select(t => t.ToString("F2", CultureInfo.InvariantCulture)))}"));
            }
        }
        return times;
    }

    /// <summary>ORT as both benchmarks run it; with <paramref name="profilePrefix"/>, its profiler on (trace files start with it).</summary>
    internal static Ort.InferenceSession OpenOrt(string path, int threads, string? profilePrefix = null)
    {
        using var options = new Ort.SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = Ort.ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = Ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // With spinning on, ORT's idle pool threads keep a core busy and steal it from whatever else runs in the process.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (profilePrefix is not null)
        {
            options.ProfileOutputPathPrefix = profilePrefix; // before enabling: enabling takes the prefix set at that time
            options.EnableProfiling = true;
        }
        return new Ort.InferenceSession(path, options);
    }

    /// <summary>One ORT call on fixed input (and, when the output shape is known, output) buffers.</summary>
    internal sealed class OrtCall : IDisposable
    {
        private readonly Ort.InferenceSession _session;
        private readonly Ort.RunOptions _options = new();
        private readonly Ort.OrtValue _input;
        private readonly Ort.OrtValue? _output;
        private readonly string[] _inputNames;
        private readonly string[] _outputNames;

        public OrtCall(Ort.InferenceSession session, float[] input, long[] inputShape, float[]? output, long[]? outputShape, string inputName = OnnxExport.InputName)
        {
            _session = session;
            _input = Ort.OrtValue.CreateTensorValueFromMemory(input, inputShape);
            _inputNames = [inputName];
            _outputNames = [session.OutputMetadata.Keys.First()];
            if (output is not null)
                _output = Ort.OrtValue.CreateTensorValueFromMemory(output, outputShape!);
        }

        public void Call()
        {
            if (_output is not null)
            {
                _session.Run(_options, _inputNames, [_input], _outputNames, [_output]);
                return;
            }
            using var results = _session.Run(_options, _inputNames, [_input], _outputNames);
        }

        public void Dispose()
        {
            _input.Dispose();
            _output?.Dispose();
            _options.Dispose();
        }
    }

    private static float[] RandomInput(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (var i = 0; i < values.Length; i++)
            values[i] = (float)(random.NextDouble() * 4 - 2);
        return values;
    }

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static double RelativeL2(float[] actual, float[] expected)
    {
        double difference = 0, norm = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            difference += (actual[i] - (double)expected[i]) * (actual[i] - (double)expected[i]);
            norm += (double)expected[i] * expected[i];
        }
        return Math.Sqrt(difference / Math.Max(norm, double.Epsilon));
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    internal static string CpuName() => File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
        : "unknown CPU";
}
