using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CudaGenre.Core;
using CudaGenre.Core.Models;
using CudaGenre.Engine;
using Spectre.Console;

namespace CudaGenre.Cli;

/// <summary>
/// <c>cudagenre bench</c>: the engine's speed on this machine, for people who benchmark a GPU (or a CPU). For each
/// precision × CUDA-graph setting × batch size it opens a session, warms it up, then times <c>Run</c> back to back:
/// median and p99 latency per call, and images per second. Also the time to open a session and make its first
/// plan, the first time in this process (cold: kernels compiled or read from the disk cache) and again (warm).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Argument<string?>("model") { Description = "A model file; default: seeded random weights of --arch (speed does not depend on the values).", Arity = ArgumentArity.ZeroOrOne };
        var arch = new Option<string>("--arch", "-a") { Description = $"With no model file: {ArchitectureNames.AllArchitectures}.", DefaultValueFactory = _ => "resnet50" };
        var head = new Option<string>("--head") { Description = "With no model file: linear or dense.", DefaultValueFactory = _ => "linear" };
        var backend = new Option<string>("--backend") { Description = "cpu, cuda or auto.", DefaultValueFactory = _ => "auto" };
        var precisions = new Option<string>("--precision") { Description = "Comma-separated: fp32, tf32, fp16, bf16, int8, int16.", DefaultValueFactory = _ => "fp32" };
        var batches = new Option<string>("--batch-size", "-b") { Description = "Comma-separated batch sizes.", DefaultValueFactory = _ => "1,16" };
        var oldBatches = CliRunner.HiddenAlias(batches, "--batch");
        var graphs = new Option<string>("--graphs") { Description = "CUDA graphs: on, off or both.", DefaultValueFactory = _ => "on" };
        var seconds = new Option<double>("--seconds") { Description = "Time spent measuring each setting (at least 10 calls).", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "CPU threads per call; the default is every core of this machine.", DefaultValueFactory = _ => Environment.ProcessorCount }.AtLeast(1);
        var json = new Option<string?>("--json") { Description = "Also write every figure to this JSON file." };
        var command = new Command("bench", "Measure the engine: latency (median, p99) and throughput per precision, CUDA-graph setting and batch size, and session-creation time cold and warm.")
        {
            model, arch, head, backend, precisions, batches, oldBatches, graphs, seconds, threads, json,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            string path;
            string? temporary = null;
            if (parse.GetValue(model) is { } file)
            {
                path = Path.GetFullPath(file);
            }
            else
            {
                var spec = ModelSpec.Default(
                    ArchitectureNames.TryParseArchitecture(parse.GetValue(arch)!, out var a) ? a : throw new ArgumentException($"--arch must be one of {ArchitectureNames.AllArchitectures}."),
                    ArchitectureNames.TryParseHead(parse.GetValue(head)!, out var h) ? h : throw new ArgumentException("--head must be linear or dense."));
                temporary = Directory.CreateTempSubdirectory("cudagenre-bench-").FullName;
                path = Path.Combine(temporary, "model.safetensors");
                RandomWeights.WriteModel(path, spec, seed: 1);
            }
            try
            {
                var settings = new BenchSettings(
                    EngineOptions.ParseBackend(parse.GetValue(backend)!),
                    [.. List(parse.GetValue(precisions)!).Select(EngineOptions.ParsePrecision)],
                    [.. List(CliRunner.Get(parse, batches, oldBatches)!).Select(b => int.TryParse(b, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"--batch-size: '{b}' is not a positive number."))],
                    parse.GetValue(graphs)!.ToLowerInvariant() switch
                    {
                        "on" => [true],
                        "off" => [false],
                        "both" => [false, true],
                        var other => throw new ArgumentException($"--graphs must be on, off or both; got '{other}'."),
                    },
                    TimeSpan.FromSeconds(Math.Max(0.1, parse.GetValue(seconds))),
                    parse.GetValue(threads));
                var report = Measure(path, settings);
                Print(report);
                if (parse.GetValue(json) is { } jsonPath)
                {
                    AtomicFile.WriteText(jsonPath, JsonSerializer.Serialize(report, BenchJsonContext.Default.BenchReport));
                    AnsiConsole.MarkupLineInterpolated($"Wrote {jsonPath}.");
                }
                return 0;
            }
            finally
            {
                if (temporary is not null)
                    Directory.Delete(temporary, recursive: true);
            }
        }));
        return command;
    }

    private static BenchReport Measure(string path, BenchSettings settings)
    {
        var rows = new List<BenchRow>();
        var opens = new List<OpenTime>();
        var plans = new List<PlanLines>();
        string? device = null;
        string model = "";
        foreach (var precision in settings.Precisions)
        {
            foreach (var graphs in settings.Graphs)
            {
                var options = new SessionOptions
                {
                    Backend = settings.Backend,
                    Precision = precision,
                    Threads = settings.Threads,
                    UseCudaGraphs = graphs,
                    Log = line => device ??= line,
                };
                foreach (var batch in settings.Batches)
                {
                    var clock = Stopwatch.StartNew();
                    using var session = InferenceSession.Open(path, options);
                    session.WarmUp(batch);
                    opens.Add(new OpenTime(opens.Count == 0 ? "cold" : "warm", session.Backend.ToString(), session.Precision.ToString(), batch, clock.Elapsed.TotalMilliseconds));
                    model = session.Describe();
                    rows.Add(Time(session, batch, graphs, settings.Duration));
                    plans.Add(new PlanLines(session.Backend.ToString(), session.Precision.ToString(), graphs, batch, session.DescribePlan(batch)));
                    AnsiConsole.MarkupLineInterpolated($"[grey]{rows[^1].Backend} {rows[^1].Precision} graphs {(rows[^1].Graphs ? "on" : "off")} batch {batch}: median {rows[^1].MedianMs:F3} ms[/]");
                }
            }
        }
        return new BenchReport(model, device ?? "", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture), Environment.ProcessorCount, rows, opens, plans);
    }

    /// <summary>A few untimed calls (the first run captures the CUDA graph; .NET tiers up), then back-to-back timed calls.</summary>
    private static BenchRow Time(InferenceSession session, int batch, bool graphs, TimeSpan duration)
    {
        var random = new SeededRandom(7);
        var input = new float[Core.SizeMath.ToArrayLength(Core.SizeMath.Multiply(batch, session.InputLength), $"the inputs of a batch of {batch} (floats)")];
        for (var i = 0; i < input.Length; i++)
            input[i] = (float)(random.NextDouble() * 2 - 1);
        var logits = new float[Core.SizeMath.Multiply(batch, session.ClassCount)];
        for (var i = 0; i < 5; i++)
            session.Run(input, batch, logits);
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 10 || total.Elapsed < duration)
        {
            var start = Stopwatch.GetTimestamp();
            session.Run(input, batch, logits);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        times.Sort();
        var mean = times.Average();
        return new BenchRow(session.Backend.ToString(), session.Precision.ToString(), graphs && session.Backend == Backend.Cuda, batch, times.Count,
            times[times.Count / 2], times[Math.Min(times.Count - 1, (int)Math.Ceiling(0.99 * times.Count) - 1)], mean, batch * 1000.0 / mean);
    }

    private static void Print(BenchReport report)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{report.Model}[/] — {report.Device}");
        var table = new Table().AddColumns("backend", "precision", "graphs", "batch", "calls", "median ms", "p99 ms", "images/s");
        foreach (var r in report.Rows)
        {
            table.AddRow(r.Backend, r.Precision, r.Graphs ? "on" : "off", $"{r.Batch}", $"{r.Calls}", $"{r.MedianMs:F3}", $"{r.P99Ms:F3}", $"{r.ImagesPerSecond:F1}");
        }
        AnsiConsole.Write(table);
        foreach (var o in report.Opens)
        {
            AnsiConsole.MarkupLineInterpolated($"session open + plan for batch {o.Batch} ({o.Backend} {o.Precision}, {o.Kind}): {o.Milliseconds:F0} ms");
        }
        // What the CUDA plans chose by measuring: graphs, our depthwise kernels vs cuDNN, and the fused separable kernel
        // vs depthwise-then-1×1, per shape.
        string[] chosen = ["depthwise ", "separable ", "CUDA graph"];
        foreach (var plan in report.Plans)
        {
            foreach (var line in plan.Lines.Where(l => chosen.Any(c => l.StartsWith(c, StringComparison.Ordinal))))
                AnsiConsole.MarkupLineInterpolated($"{plan.Precision} batch {plan.Batch}, graphs {(plan.Graphs ? "on" : "off")}: {line}");
        }
    }

    private static string[] List(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private sealed record BenchSettings(Backend Backend, IReadOnlyList<Precision> Precisions, IReadOnlyList<int> Batches, IReadOnlyList<bool> Graphs, TimeSpan Duration, int Threads);
}

internal sealed record BenchRow(string Backend, string Precision, bool Graphs, int Batch, int Calls, double MedianMs, double P99Ms, double MeanMs, double ImagesPerSecond);

internal sealed record OpenTime(string Kind, string Backend, string Precision, int Batch, double Milliseconds);

internal sealed record PlanLines(string Backend, string Precision, bool Graphs, int Batch, IReadOnlyList<string> Lines);

internal sealed record BenchReport(string Model, string Device, string Date, int Cores, IReadOnlyList<BenchRow> Rows, IReadOnlyList<OpenTime> Opens, IReadOnlyList<PlanLines> Plans);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
