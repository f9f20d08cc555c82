using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CudaGenre.Core;
using CudaGenre.Core.Models;
using CudaGenre.Trainer.Data;

namespace CudaGenre.Trainer.Training;

/// <summary>
/// The options of a run as the <c>options</c> block of <c>config.json</c>, and back, so that
/// <c>train --resume RUN</c> needs nothing but the folder. The run folder and the thread count are not part
/// of it: a run may be moved, and continued with other threads (libtorch then may differ in the last bits).
/// </summary>
internal static class RunOptionsJson
{
    /// <summary>The options that decide what the run computes.</summary>
    public static JsonObject ToJson(RunOptions o)
    {
        var t = o.Training;
        var node = new JsonObject
        {
            ["data"] = o.Data is null ? null : Path.GetFullPath(o.Data),
            ["synthCountPerGenre"] = o.Data is null ? o.SynthCountPerGenre : null,
            ["split"] = o.Split is null ? null : Path.GetFullPath(o.Split),
            ["splitSeed"] = o.SplitSeed,
            ["architecture"] = o.Architecture.Name(),
            ["head"] = o.Head.Name(),
            ["inputSize"] = o.InputSize is { } s ? $"{s.Height}x{s.Width}" : null,
            ["pretrained"] = o.Pretrained is null ? null : Path.GetFullPath(o.Pretrained),
            ["referenceLimit"] = o.ReferenceLimit,
            ["epochs"] = t.Epochs,
            ["batchSize"] = t.BatchSize,
            ["learningRate"] = t.LearningRate,
            ["lrSchedule"] = t.ScheduleName,
            ["lrStepEpochs"] = t.StepEpochs,
            ["lrStepGamma"] = t.StepGamma,
            ["weightDecay"] = t.WeightDecay,
            ["seed"] = t.Seed,
            ["patience"] = t.Patience,
            ["freezeBackbone"] = t.FreezeBackbone,
            ["augment"] = t.Augmentation.Enabled,
        };
        // Added later: written only when set, so that the fingerprint of a run made before they existed
        // (and its resume) is unchanged.
        if (t.LabelSmoothing != 0)
            node["labelSmoothing"] = t.LabelSmoothing;
        if (t.MixupAlpha != 0)
            node["mixupAlpha"] = t.MixupAlpha;
        return node;
    }

    /// <summary>SHA-256 of the canonical JSON of <see cref="ToJson"/>.</summary>
    public static string Fingerprint(RunOptions o) => Fingerprint(ToJson(o));

    /// <summary>SHA-256 of the canonical (compact) JSON of an options block.</summary>
    public static string Fingerprint(JsonObject options)
        => System.Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(options.ToJsonString())));

    /// <summary>Rebuilds the options of the run in <paramref name="folder"/> from its config.json.</summary>
    /// <exception cref="DataFileException">The folder is not a run folder, or its config.json lacks the options.</exception>
    public static RunOptions Read(string folder, int threads)
    {
        var path = Path.Combine(folder, "config.json");
        if (!Directory.Exists(folder))
            throw new DataFileException(folder, "the run folder does not exist");
        if (!File.Exists(path))
            throw new DataFileException(folder, "not a run folder: it has no config.json");
        JsonObject options;
        try
        {
            var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            if ((string?)config["format"] != "cudagenre-train-config/1")
                throw new DataFileException(path, $"not a cudagenre-train config (format '{config["format"]}')");
            options = config["options"]?.AsObject()
                ?? throw new DataFileException(path, "has no options block (written by a trainer without --resume support); the run cannot be resumed");
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            throw new DataFileException(path, $"is not valid JSON ({e.Message})", e);
        }
        return FromJson(options, folder, threads, path);
    }

    /// <summary>The options in <paramref name="node"/>, with the given folder and threads.</summary>
    public static RunOptions FromJson(JsonObject node, string folder, int threads, string source)
    {
        try
        {
            var size = (string?)node["inputSize"];
            return new RunOptions
            {
                Data = (string?)node["data"],
                SynthCountPerGenre = (int?)node["synthCountPerGenre"] ?? 100,
                Split = (string?)node["split"],
                SplitSeed = (ulong)node["splitSeed"]!,
                Architecture = ArchitectureNames.TryParseArchitecture((string)node["architecture"]!, out var a) ? a : throw new FormatException($"architecture '{node["architecture"]}'"),
                Head = ArchitectureNames.TryParseHead((string)node["head"]!, out var h) ? h : throw new FormatException($"head '{node["head"]}'"),
                InputSize = size is null ? null : Cli.CommandRunner.ParseInputSize(size),
                Pretrained = (string?)node["pretrained"],
                ReferenceLimit = (int)node["referenceLimit"]!,
                Output = folder,
                Threads = threads,
                Training = new TrainingSettings
                {
                    Epochs = (int)node["epochs"]!,
                    BatchSize = (int)node["batchSize"]!,
                    LearningRate = (double)node["learningRate"]!,
                    Schedule = TrainingSettings.ParseSchedule((string)node["lrSchedule"]!),
                    StepEpochs = (int)node["lrStepEpochs"]!,
                    StepGamma = (double)node["lrStepGamma"]!,
                    WeightDecay = (double)node["weightDecay"]!,
                    Seed = (ulong)node["seed"]!,
                    Patience = (int)node["patience"]!,
                    FreezeBackbone = (bool)node["freezeBackbone"]!,
                    Augmentation = (bool)node["augment"]! ? Augmentation.Default : Augmentation.None,
                    LabelSmoothing = (double?)node["labelSmoothing"] ?? 0,
                    MixupAlpha = (double?)node["mixupAlpha"] ?? 0,
                },
            };
        }
        catch (Exception e) when (e is NullReferenceException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new DataFileException(source, $"the options block is incomplete or invalid ({e.Message})", e);
        }
    }

    /// <summary>The keys whose values differ between two options blocks, as "key: a ≠ b".</summary>
    public static List<string> Differences(JsonObject expected, JsonObject actual)
    {
        var keys = expected.Select(p => p.Key).Union(actual.Select(p => p.Key)).Order(StringComparer.Ordinal);
        var differences = new List<string>();
        foreach (var key in keys)
        {
            var a = expected[key]?.ToJsonString() ?? "null";
            var b = actual[key]?.ToJsonString() ?? "null";
            if (a != b)
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"{key}: the run has {a}, the command line {b}"));
        }
        return differences;
    }
}
