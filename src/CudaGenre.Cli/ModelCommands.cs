using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using CudaGenre.Core;
using CudaGenre.Core.Audio;
using CudaGenre.Core.Data;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Metrics;
using CudaGenre.Core.Models;
using CudaGenre.Engine;
using CudaGenre.Reports;
using Spectre.Console;

namespace CudaGenre.Cli;

/// <summary><c>cudagenre classify</c>, <c>evaluate</c> and <c>verify</c>: the inference engine on files, data sets and reference bundles.</summary>
internal static class ModelCommands
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];
    private static readonly string[] AudioExtensions = [".wav", ".au"];

    public static Command Classify()
    {
        var model = new Argument<string>("model") { Description = "A model file (model.safetensors) written by the trainer." };
        var input = new Argument<string>("input") { Description = "A spectrogram image (PNG…), an audio clip (WAV/AU, turned into a mel spectrogram), or a folder of them." };
        var top = new Option<int>("--top") { Description = "How many genres to list per file.", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var batch = new Option<int>("--batch-size") { Description = "Files per forward pass (on CUDA the images are resized and normalized on the GPU).", DefaultValueFactory = _ => 16 };
        var engine = new EngineOptions();
        var command = new Command("classify", "Classify spectrogram images or audio clips with a trained model: the genre and the most probable alternatives.")
        {
            model, input, top, json, batch,
        };
        engine.AddTo(command);
        command.SetAction(parse => CliRunner.Run(() =>
        {
            using var session = engine.Open(parse.GetValue(model)!, parse, parse.GetValue(json));
            var files = InputFiles(parse.GetValue(input)!);
            var results = new List<ClassifiedFile>();
            foreach (var chunk in files.Chunk(Math.Max(1, parse.GetValue(batch))))
            {
                var classified = session.Classify([.. chunk.Select(f => LoadImage(f, engine.Limits(parse)))]);
                for (var i = 0; i < chunk.Length; i++)
                    results.Add(new ClassifiedFile(chunk[i], classified[i].Label, [.. classified[i].Top(parse.GetValue(top)).Select(t => new GenreProbability(t.Label, t.Probability))]));
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(results, ModelJsonContext.Default.ListClassifiedFile));
                return 0;
            }
            var table = new Table().AddColumn("file").AddColumn("genre").AddColumn("top");
            foreach (var r in results)
            {
                table.AddRow(Markup.Escape(Path.GetFileName(r.File)), $"[bold]{r.Genre}[/]",
                    Markup.Escape(string.Join(", ", r.Top.Select(t => $"{t.Genre} {t.Probability:P1}"))));
            }
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    public static Command Evaluate()
    {
        var model = new Argument<string>("model") { Description = "A model file (model.safetensors) written by the trainer." };
        var data = new Option<string>("--data") { Description = "The data set (GTZAN layout, images).", Required = true };
        var split = new Option<string>("--split") { Description = "Which part to evaluate: test, validation, train or all.", DefaultValueFactory = _ => "test" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the 80/10/10 split (the trainer's default is 42).", DefaultValueFactory = _ => 42 };
        var manifest = new Option<string?>("--manifest") { Description = "Use this split manifest (split.json) instead of making the split from --seed." };
        var output = new Option<string?>("--out", "-o") { Description = "Folder for the report (JSON) and the confusion matrix (PNG); default: evaluation-<split> beside the model." };
        var batch = new Option<int>("--batch-size") { Description = "Images per forward pass.", DefaultValueFactory = _ => 16 };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var engine = new EngineOptions();
        var command = new Command("evaluate", "Evaluate a model on a split of a data set: balanced accuracy, per-class table, confusion matrix, and a comparison with the trainer's recorded figures.")
        {
            model, data, split, seed, manifest, output, batch, json,
        };
        engine.AddTo(command);
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var modelPath = Path.GetFullPath(parse.GetValue(model)!);
            var quiet = parse.GetValue(json);
            using var session = engine.Open(modelPath, parse, quiet);
            var ds = GtzanDataset.Open(parse.GetValue(data)!, MediaKind.Image);
            var splitManifest = parse.GetValue(manifest) is { } manifestPath ? SplitManifest.Load(manifestPath) : SplitManifest.Create(ds.Items, parse.GetValue(seed));
            var part = parse.GetValue(split)!.ToLowerInvariant();
            var entries = part switch
            {
                "all" => splitManifest.Entries.ToList(),
                "test" => [.. splitManifest.Part(SplitPart.Test)],
                "validation" or "val" => [.. splitManifest.Part(SplitPart.Validation)],
                "train" => [.. splitManifest.Part(SplitPart.Train)],
                _ => throw new ArgumentException($"--split must be test, validation, train or all; got '{part}'."),
            };
            if (session.Spec.SplitHash is { } trained && trained != splitManifest.Hash && !quiet)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]note:[/] the model was trained with split {trained[..Math.Min(12, trained.Length)]}, this is split {splitManifest.ShortHash}: its test set is not the one the trainer reported on.");
            }

            var batchSize = parse.GetValue(batch);
            var clock = Stopwatch.StartNew();
            var result = quiet
                ? SplitEvaluation.Run(session, ds.Root, entries, batchSize)
                : CliRunner.WithProgress($"Classifying {entries.Count} images", entries.Count, p => SplitEvaluation.Run(session, ds.Root, entries, batchSize, p));
            var matrix = result.Matrix;
            var report = ClassificationReport.From(matrix);
            var folder = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(modelPath)!, $"evaluation-{part}"));
            report.Save(Path.Combine(folder, "report.json"));
            ConfusionMatrixPlot.SavePng(matrix, Path.Combine(folder, "confusion.png"), $"{session.Spec.Describe()} — {part} ({entries.Count} images, engine {session.Backend})");

            if (quiet)
            {
                Console.WriteLine(report.ToJson());
                return 0;
            }
            AnsiConsole.WriteLine(report.ToText());
            AnsiConsole.MarkupLineInterpolated($"[bold]balanced accuracy {report.BalancedAccuracy:P2}[/] on {entries.Count} {part} images (split {splitManifest.ShortHash}); engine {session.Backend} {session.Precision}, {result.EngineTime.TotalMilliseconds / Math.Max(1, entries.Count):F1} ms per image in the engine, {clock.Elapsed.TotalSeconds:F1} s in all.");
            if (TrainerFigure(modelPath, part) is { } recorded)
            {
                var same = Math.Abs(recorded - report.BalancedAccuracy) < 1e-9;
                var verdict = same ? "[green]identical[/]" : $"[yellow]differs by {(report.BalancedAccuracy - recorded) * 100:+0.00;-0.00} points[/]";
                AnsiConsole.MarkupLine($"trainer recorded {recorded:P2} on the {Markup.Escape(part)} split: {verdict}.");
            }
            AnsiConsole.MarkupLineInterpolated($"Wrote {folder}/report.json and confusion.png.");
            return 0;
        }));
        return command;
    }

    public static Command Verify()
    {
        var model = new Argument<string>("model") { Description = "A model file (model.safetensors) written by the trainer." };
        var reference = new Option<string?>("--reference", "-r") { Description = "The trainer's reference bundle; default: reference.safetensors beside the model." };
        var tolerance = new Option<double?>("--tolerance") { Description = $"Largest relative L2 error of the logits that passes; default {ReferenceComparison.Fp32Tolerance:0e0} in FP32, none in TF32/FP16/BF16 (which must keep the top-1 class on {ReferenceComparison.ReducedPrecisionTop1:P1} of the inputs)." };
        var engine = new EngineOptions();
        var command = new Command("verify", "Run the trainer's reference inputs through the engine and compare its logits with the trainer's: relative L2 error, largest difference, top-1 agreement. Exit code 1 when the engine misses the tolerance or a top-1 class.")
        {
            model, reference, tolerance,
        };
        engine.AddTo(command);
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var modelPath = Path.GetFullPath(parse.GetValue(model)!);
            var referencePath = parse.GetValue(reference) ?? Path.Combine(Path.GetDirectoryName(modelPath)!, "reference.safetensors");
            using var session = engine.Open(modelPath, parse, quiet: false);
            var bundle = ReferenceBundle.Read(referencePath);
            var result = ReferenceComparison.Run(session, bundle);
            var limit = parse.GetValue(tolerance);
            var reduced = session.Precision != Precision.Fp32;
            var passed = reduced ? result.PassesReducedPrecision(limit) : result.Passes(limit ?? ReferenceComparison.Fp32Tolerance);
            var criterion = reduced
                ? $"finite, same top-1 on ≥ {ReferenceComparison.ReducedPrecisionTop1:P1}{(limit is { } l ? $", error ≤ {l:0e0}" : "")}"
                : $"error ≤ {limit ?? ReferenceComparison.Fp32Tolerance:0e0}, every top-1 the same";
            AnsiConsole.MarkupLineInterpolated($"{session.Spec.Describe()} on {session.Backend} {session.Precision}, {result.Count} {bundle.Split} inputs: relative L2 error {result.RelativeL2Error:E2}, largest difference {result.MaxAbsError:E2}, same top-1 {result.Top1Agreements}/{result.Count} (criterion: {criterion}).");
            AnsiConsole.MarkupLine(passed ? "[green]verified:[/] the engine reproduces the reference logits." : "[red]not verified:[/] the engine's logits differ from the reference beyond the limit.");
            return passed ? 0 : 1;
        }));
        return command;
    }

    private static List<string> InputFiles(string input)
    {
        if (File.Exists(input))
        {
            return [Path.GetFullPath(input)];
        }
        if (!Directory.Exists(input))
        {
            throw new ArgumentException($"{input}: no such file or folder.");
        }
        var files = Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
            .Where(f => IsImage(f) || IsAudio(f)).Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? files : throw new ArgumentException($"{input}: no images ({string.Join(", ", ImageExtensions)}) or audio clips ({string.Join(", ", AudioExtensions)}) in this folder.");
    }

    private static bool IsImage(string path) => ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    private static bool IsAudio(string path) => AudioExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Images are read as they are; audio becomes the GTZAN-style mel-spectrogram image first.</summary>
    private static RgbImage LoadImage(string path, InputLimits limits) =>
        IsAudio(path) ? AudioFrontEnd.ToImage(AudioFile.Read(path, limits), limits: limits, name: path) : ImageFile.Read(path, limits);

    /// <summary>The balanced accuracy the trainer recorded for this split in metrics.json beside the model, if any.</summary>
    private static double? TrainerFigure(string modelPath, string part)
    {
        var path = Path.Combine(Path.GetDirectoryName(modelPath)!, "metrics.json");
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var section = part is "val" ? "validation" : part;
            return Find(doc.RootElement, section) is { } split && Find(split, "balancedAccuracy") is { ValueKind: JsonValueKind.Number } value
                ? value.GetDouble()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonElement? Find(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name.Replace("_", "", StringComparison.Ordinal), name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }
        return null;
    }
}

internal sealed record GenreProbability(string Genre, float Probability);

internal sealed record ClassifiedFile(string File, string Genre, IReadOnlyList<GenreProbability> Top);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<ClassifiedFile>))]
internal sealed partial class ModelJsonContext : JsonSerializerContext;
