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
    private const string ModelArgument = "A model file (model.safetensors) written by the trainer, or an ensemble manifest (ensemble.json from `cudagenre-train ensemble`).";

    public static Command Classify()
    {
        var model = new Argument<string>("model") { Description = ModelArgument };
        var input = new Argument<string>("input") { Description = $"A spectrogram image ({FileSignature.Images}), an audio clip ({FileSignature.BuiltInAudio}; more with ffmpeg; turned into a mel spectrogram), or a folder of them." };
        var top = new Option<int>("--top") { Description = "How many genres to list per file.", DefaultValueFactory = _ => 3 }.AtLeast(1);
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Files per forward pass (on CUDA the images are resized and normalized on the GPU).", DefaultValueFactory = _ => 16 }.AtLeast(1);
        var failFast = new Option<bool>("--fail-fast") { Description = "Stop at the first file that cannot be read (default: report it, go on, and exit with 1 at the end)." };
        var engine = new EngineOptions();
        var command = new Command("classify", "Classify spectrogram images or audio clips with a trained model: the genre and the most probable alternatives. A file that cannot be read is reported with its reason and the others are still classified; the exit code is then 1.")
        {
            model, input, top, json, batch, failFast,
        };
        engine.AddTo(command);
        command.SetAction(parse => CliRunner.Run(() =>
        {
            using var session = engine.Open(parse.GetValue(model)!, parse, parse.GetValue(json));
            var files = InputFiles(parse.GetValue(input)!);
            var limits = engine.Limits(parse);
            // A folder gets a progress bar (on the terminal, not in JSON output, which must stay parseable).
            var results = files.Count > 1 && !parse.GetValue(json)
                ? CliRunner.WithProgress($"Classifying {files.Count} files", files.Count, p => ClassifyFiles(session, files, parse.GetValue(batch), parse.GetValue(top), limits, parse.GetValue(failFast), p))
                : ClassifyFiles(session, files, parse.GetValue(batch), parse.GetValue(top), limits, parse.GetValue(failFast));
            var failed = results.Count(r => r.Error is not null);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(results, ModelJsonContext.Default.ListClassifiedFile));
                return failed > 0 ? 1 : 0;
            }
            var table = new Table().AddColumn("file").AddColumn("genre").AddColumn("top");
            foreach (var r in results.Where(r => r.Error is null))
            {
                // Class names come from the model file: escaped, so a name like "[red]" is text, not markup.
                table.AddRow(Markup.Escape(Path.GetFileName(r.File)), $"[bold]{Markup.Escape(r.Genre!)}[/]",
                    Markup.Escape(string.Join(", ", r.Top.Select(t => $"{t.Genre} {t.Probability:P1}"))));
            }
            if (results.Count > failed)
                AnsiConsole.Write(table);
            foreach (var r in results.Where(r => r.Error is not null))
                AnsiConsole.MarkupLineInterpolated($"[red]failed:[/] {r.File}: {r.Error}");
            AnsiConsole.MarkupLineInterpolated($"{results.Count - failed} of {results.Count} files classified, {failed} failed.");
            return failed > 0 ? 1 : 0;
        }));
        return command;
    }

    public static Command Evaluate()
    {
        var model = new Argument<string>("model") { Description = ModelArgument };
        var data = new Option<string>("--data") { Description = "The data set (GTZAN layout, images).", Required = true };
        var split = new Option<string>("--split") { Description = "Which part to evaluate: test, validation, train or all.", DefaultValueFactory = _ => "test" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the 80/10/10 split (the trainer's default is 42).", DefaultValueFactory = _ => 42 };
        var manifest = new Option<string?>("--manifest") { Description = "Use this split manifest (split.json) instead of making the split from --seed." };
        var output = new Option<string?>("--out", "-o") { Description = "Folder for the report (JSON) and the confusion matrix (PNG); default: evaluation-<split> beside the model." };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Images per forward pass.", DefaultValueFactory = _ => 16 }.AtLeast(1);
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var failFast = new Option<bool>("--fail-fast") { Description = "Stop at the first image that cannot be read (default: report it, evaluate the others, and exit with 1 at the end)." };
        var engine = new EngineOptions();
        var command = new Command("evaluate", "Evaluate a model on a split of a data set: balanced accuracy, per-class table, confusion matrix, and a comparison with the trainer's recorded figures. Without --manifest the split is made as the trainer made it: from the images that decode. An image that cannot be read is reported and left out; the exit code is then 1.")
        {
            model, data, split, seed, manifest, output, batch, json, failFast,
        };
        engine.AddTo(command);
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var modelPath = Path.GetFullPath(parse.GetValue(model)!);
            var quiet = parse.GetValue(json);
            using var session = engine.Open(modelPath, parse, quiet);
            var (ds, splitManifest, undecodable) = OpenForEvaluation(parse.GetValue(data)!, parse.GetValue(manifest), parse.GetValue(seed));
            if (parse.GetValue(failFast) && undecodable.Count > 0)
                throw new Core.DataFileException(Path.Combine(ds.Root, undecodable[0].File), undecodable[0].Problem);
            var part = parse.GetValue(split)!.ToLowerInvariant();
            var entries = part switch
            {
                "all" => splitManifest.Entries.ToList(),
                "test" => [.. splitManifest.Part(SplitPart.Test)],
                "validation" or "val" => [.. splitManifest.Part(SplitPart.Validation)],
                "train" => [.. splitManifest.Part(SplitPart.Train)],
                _ => throw new ArgumentException($"--split must be test, validation, train or all; got '{part}'."),
            };
            // An ensemble's members each say which split they were trained with.
            foreach (var spec in session.Members.Count > 0 ? session.Members.Select(m => m.Spec) : [session.Spec])
            {
                if (spec.SplitHash is { } trained && trained != splitManifest.Hash && !quiet)
                    AnsiConsole.MarkupLineInterpolated($"[yellow]note:[/] {(session.Members.Count > 0 ? $"member {spec.Describe()} was" : "the model was")} trained with split {trained[..Math.Min(12, trained.Length)]}, this is split {splitManifest.ShortHash}: its test set is not the one the trainer reported on.");
            }

            var batchSize = parse.GetValue(batch);
            var clock = Stopwatch.StartNew();
            var limits = engine.Limits(parse);
            var result = quiet
                ? SplitEvaluation.Run(session, ds.Root, entries, batchSize, failFast: parse.GetValue(failFast), limits: limits)
                : CliRunner.WithProgress($"Classifying {entries.Count} images", entries.Count, p => SplitEvaluation.Run(session, ds.Root, entries, batchSize, p, failFast: parse.GetValue(failFast), limits: limits));
            // Every file that could not be used: those the split left out (as the trainer did) and those that failed now.
            var problems = undecodable.Concat(result.Failures).ToList();
            var matrix = result.Matrix;
            var report = ClassificationReport.From(matrix);
            var folder = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(modelPath)!, $"evaluation-{part}"));
            report.Save(Path.Combine(folder, "report.json"));
            ConfusionMatrixPlot.SavePng(matrix, Path.Combine(folder, "confusion.png"), $"{session.Describe()} — {part} ({result.Evaluated.Count} images, engine {session.Backend})");

            var exit = problems.Count > 0 ? 1 : 0;
            if (quiet)
            {
                Console.WriteLine(report.ToJson());
                foreach (var p in problems)
                    Console.Error.WriteLine($"failed: {p.File}: {p.Problem}");
                return exit;
            }
            AnsiConsole.WriteLine(report.ToText());
            AnsiConsole.MarkupLineInterpolated($"[bold]balanced accuracy {report.BalancedAccuracy:P2}[/] on {result.Evaluated.Count} {part} images (split {splitManifest.ShortHash}); engine {session.Backend} {session.Precision}, {result.EngineTime.TotalMilliseconds / Math.Max(1, result.Evaluated.Count):F1} ms per image in the engine, {clock.Elapsed.TotalSeconds:F1} s in all.");
            if (TrainerFigure(modelPath, part) is { } recorded)
            {
                var same = Math.Abs(recorded - report.BalancedAccuracy) < 1e-9;
                var verdict = same ? "[green]identical[/]" : $"[yellow]differs by {(report.BalancedAccuracy - recorded) * 100:+0.00;-0.00} points[/]";
                AnsiConsole.MarkupLine($"trainer recorded {recorded:P2} on the {Markup.Escape(part)} split: {verdict}.");
            }
            AnsiConsole.MarkupLineInterpolated($"Wrote {folder}/report.json and confusion.png.");
            foreach (var p in problems)
                AnsiConsole.MarkupLineInterpolated($"[red]failed:[/] {p.File}: {p.Problem}");
            if (problems.Count > 0)
                AnsiConsole.MarkupLineInterpolated($"{result.Evaluated.Count} images evaluated, {problems.Count} could not be read and are left out.");
            return exit;
        }));
        return command;
    }

    public static Command Verify()
    {
        var model = new Argument<string>("model") { Description = ModelArgument };
        var reference = new Option<string?>("--reference", "-r") { Description = "The trainer's reference bundle (for an ensemble: its ensemble reference); default: reference.safetensors beside the model." };
        var tolerance = new Option<double?>("--tolerance") { Description = $"Largest relative L2 error of the logits that passes; default {ReferenceComparison.Fp32Tolerance:0e0} in FP32, none in TF32/FP16/BF16/INT8/INT16 (which must keep the top-1 class on {ReferenceComparison.ReducedPrecisionTop1:P1} of the inputs)." };
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
            if (parse.GetValue(reference) is null && !File.Exists(referencePath))
                throw new ArgumentException($"no reference bundle beside the model (looked for {referencePath}): give the trainer's bundle with --reference FILE (the trainer writes reference.safetensors into its run folder).");
            using var session = engine.Open(modelPath, parse, quiet: false);
            var limit = parse.GetValue(tolerance);
            var reduced = session.Precision != Precision.Fp32;
            var criterion = reduced
                ? $"finite, same top-1 on ≥ {ReferenceComparison.ReducedPrecisionTop1:P1}{(limit is { } l ? $", error ≤ {l:0e0}" : "")}"
                : $"error ≤ {limit ?? ReferenceComparison.Fp32Tolerance:0e0}, every top-1 the same";
            bool Passes(ReferenceComparison r) => reduced ? r.PassesReducedPrecision(limit) : r.Passes(limit ?? ReferenceComparison.Fp32Tolerance);
            void Line(string what, ReferenceComparison r, string split) => AnsiConsole.MarkupLineInterpolated(
                $"{what} on {session.Backend} {session.Precision}, {r.Count} {split} inputs: relative L2 error {r.RelativeL2Error:E2}, largest difference {r.MaxAbsError:E2}, same top-1 {r.Top1Agreements}/{r.Count}[red]{(Passes(r) ? "" : " (fails)")}[/].");
            bool passed;
            if (session.Manifest is { } manifest)
            {
                // An ensemble: each member against its own bundle, then the combination against the trainer's combined logits.
                var ensembleReference = EnsembleReference.Read(referencePath, engine.Limits(parse));
                ensembleReference.CheckBelongsTo(referencePath, manifest, [.. session.Members.Select(m => m.Spec)]);
                if (ensembleReference.ManifestSha256 is null)
                    AnsiConsole.MarkupLineInterpolated($"[yellow]note:[/] {referencePath} records no manifest_sha256, so only its members could be checked against the manifest.");
                var result = ReferenceComparison.Run(session, ensembleReference);
                for (var m = 0; m < result.Members.Count; m++)
                    Line($"member {m} ({manifest.Members[m].Path}, {session.Members[m].Spec.Describe()})", result.Members[m], ensembleReference.Split);
                Line(session.Describe(), result.Combined, ensembleReference.Split);
                passed = Passes(result.Combined) && result.Members.All(Passes);
            }
            else
            {
                var bundle = ReferenceBundle.Read(referencePath);
                bundle.CheckBelongsTo(referencePath, modelPath, session.Spec);
                if (bundle.ModelSha256 is null)
                    AnsiConsole.MarkupLineInterpolated($"[yellow]note:[/] {referencePath} records no model_sha256, so only its spec could be checked against the model.");
                var result = ReferenceComparison.Run(session, bundle);
                Line(session.Spec.Describe(), result, bundle.Split);
                passed = Passes(result);
            }
            AnsiConsole.MarkupLineInterpolated($"criterion: {criterion}.");
            AnsiConsole.MarkupLine(passed ? "[green]verified:[/] the engine reproduces the reference logits." : "[red]not verified:[/] the engine's logits differ from the reference beyond the limit.");
            return passed ? 0 : 1;
        }));
        return command;
    }

    /// <summary>
    /// The data set and split that <c>evaluate</c> uses. Without a manifest the split is made as the trainer makes it:
    /// from the images that decode (verify), the unreadable ones left out first, so one bad file does not shift every
    /// genre's shuffle. Also returns the images that did not decode (not the folders and files that are not images
    /// at all, which the data set only notes).
    /// </summary>
    internal static (GtzanDataset Data, SplitManifest Split, List<DatasetProblem> Undecodable) OpenForEvaluation(string root, string? manifestPath, ulong seed)
    {
        var ds = GtzanDataset.Open(root, MediaKind.Image, verify: manifestPath is null);
        var layout = GtzanDataset.Open(ds.Root, MediaKind.Image).Problems.Select(p => p.File).ToHashSet(StringComparer.Ordinal);
        var undecodable = ds.Problems.Where(p => !layout.Contains(p.File)).ToList();
        var split = manifestPath is not null ? SplitManifest.Load(manifestPath) : SplitManifest.Create(ds, seed);
        return (ds, split, undecodable);
    }

    /// <summary>
    /// Classifies <paramref name="files"/> in batches. A file that cannot be read (<see cref="Core.DataFileException"/>:
    /// corrupt, truncated, over a limit, unreadable) gets an entry with its reason and the others go on, unless
    /// <paramref name="failFast"/>, which rethrows the first.
    /// </summary>
    internal static List<ClassifiedFile> ClassifyFiles(InferenceSession session, IReadOnlyList<string> files, int batchSize, int top, InputLimits limits, bool failFast, IProgress<int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var results = new List<ClassifiedFile>(files.Count);
        foreach (var chunk in files.Chunk(batchSize))
        {
            var images = new List<RgbImage>(chunk.Length);
            var names = new List<string>(chunk.Length);
            var entries = new ClassifiedFile?[chunk.Length];
            for (var i = 0; i < chunk.Length; i++)
            {
                try
                {
                    images.Add(LoadImage(chunk[i], limits));
                    names.Add(chunk[i]);
                }
                catch (Core.DataFileException e) when (!failFast)
                {
                    entries[i] = new ClassifiedFile(chunk[i], null, [], e.Problem);
                }
            }
            var classified = images.Count > 0 ? session.Classify(images) : [];
            var next = 0;
            for (var i = 0; i < chunk.Length; i++)
            {
                if (entries[i] is { } failure)
                {
                    results.Add(failure);
                    continue;
                }
                var c = classified[next++];
                results.Add(new ClassifiedFile(chunk[i], c.Label, [.. c.Top(top).Select(t => new GenreProbability(t.Label, t.Probability))]));
            }
            progress?.Report(results.Count);
        }
        return results;
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
            .Where(f => FileSignature.ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()) || FileSignature.AudioExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? files : throw new ArgumentException($"{input}: no images ({string.Join(", ", FileSignature.ImageExtensions)}) or audio clips ({string.Join(", ", FileSignature.AudioExtensions)}) in this folder.");
    }

    /// <summary>
    /// Reads a file by what it holds (not its extension): images as they are; audio becomes the GTZAN-style
    /// mel-spectrogram image first; anything else is an error that says what it is and what is supported.
    /// </summary>
    internal static RgbImage LoadImage(string path, InputLimits limits)
    {
        FileFormat format;
        try
        {
            format = FileSignature.Detect(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Core.DataFileException(path, $"cannot be read ({e.Message})", e);
        }
        var extension = Path.GetExtension(path).ToLowerInvariant();
        // Content decides; for content nobody recognises, the extension picks the reader whose error is the most precise.
        if (FileSignature.IsAudio(format) || (format is FileFormat.Unknown && FileSignature.AudioExtensions.Contains(extension)))
            return AudioFrontEnd.ToImage(AudioFile.Read(path, limits), limits: limits, name: path);
        if (FileSignature.IsImage(format) || (format is FileFormat.Unknown && FileSignature.ImageExtensions.Contains(extension)))
            return ImageFile.Read(path, limits);
        var what = format is FileFormat.Safetensors
            ? $"this is {FileSignature.Describe(format)}, not an image or audio clip (arguments swapped?)"
            : format is FileFormat.Unknown ? "not a supported image or audio file" : $"this is {FileSignature.Describe(format)}, not an image or audio clip";
        throw new Core.DataFileException(path, $"{what}; supported images: {FileSignature.Images}; {FileSignature.SupportedAudio()}");
    }

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

/// <summary>One file's result: its genre and top classes, or <paramref name="Error"/> (the reason it could not be read) and no genre.</summary>
internal sealed record ClassifiedFile(string File, string? Genre, IReadOnlyList<GenreProbability> Top, string? Error = null);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<ClassifiedFile>))]
internal sealed partial class ModelJsonContext : JsonSerializerContext;
