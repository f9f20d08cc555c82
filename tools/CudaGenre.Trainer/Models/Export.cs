using CudaGenre.Core;
using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;
using CudaGenre.Trainer.Data;
using CudaGenre.Trainer.Training;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Models;

/// <summary>Writes the two files a run hands to the engine: the model and the reference bundle.</summary>
internal static class Export
{
    /// <summary>Metadata key of the model spec JSON.</summary>
    public const string SpecKey = "spec";

    /// <summary>Metadata key of the format tag.</summary>
    public const string FormatKey = "format";

    /// <summary>Format tag of model files.</summary>
    public const string ModelFormat = "cudagenre-model/1";

    /// <summary>Format tag of reference bundles.</summary>
    public const string ReferenceFormat = "cudagenre-reference/1";

    /// <summary>
    /// Writes <paramref name="model"/>'s state_dict (parameters and BatchNorm running statistics, as
    /// trained: the engine folds them) with the spec in <c>__metadata__</c>.
    /// </summary>
    public static void WriteModel(string path, nn.Module model, ModelSpec spec)
    {
        var writer = new SafetensorsWriter();
        writer.Metadata[FormatKey] = ModelFormat;
        writer.Metadata[SpecKey] = spec.ToJson();
        StateDict.AddTo(writer, model);
        writer.Save(path);
    }

    /// <summary>
    /// Writes a reference bundle: the preprocessed inputs of <paramref name="set"/> (all when there are at
    /// most <paramref name="limit"/>, else a seeded subset of <paramref name="limit"/>, in set order),
    /// their labels and <paramref name="model"/>'s eval-mode logits.
    /// </summary>
    /// <returns>The number of inputs written.</returns>
    public static int WriteReference(string path, nn.Module<Tensor, Tensor> model, ModelSpec spec, SpectrogramSet set, int limit, ulong seed, string splitName)
    {
        var chosen = ChooseSubset(set.Count, limit, seed);
        var n = chosen.Length;
        var inputs = new float[n * set.InputLength];
        for (var i = 0; i < n; i++)
            set.Input(chosen[i]).CopyTo(inputs.AsSpan(i * set.InputLength));
        var subset = SpectrogramSet.FromInputs(
            [.. chosen.Select(i => set.Input(i).ToArray())],
            [.. chosen.Select(i => set.Labels[i])],
            set.Settings);
        var evaluation = TrainingLoop.Evaluate(model, subset, 16, spec.ClassCount);
        var writer = new SafetensorsWriter();
        writer.Metadata[FormatKey] = ReferenceFormat;
        writer.Metadata[SpecKey] = spec.ToJson();
        writer.Metadata["split"] = splitName;
        writer.Metadata["files"] = System.Text.Json.JsonSerializer.Serialize(chosen.Select(i => set.Files[i]).ToList(), ExportJsonContext.Default.ListString);
        writer.Add("inputs", new TensorShape(n, 3, set.Settings.Height, set.Settings.Width), inputs);
        writer.Add("labels", new TensorShape(n), chosen.Select(i => (long)set.Labels[i]).ToArray());
        writer.Add("logits", new TensorShape(n, spec.ClassCount), evaluation.Logits);
        writer.Save(path);
        return n;
    }

    /// <summary>All indices when <paramref name="count"/> ≤ <paramref name="limit"/>; else <paramref name="limit"/> (at least 64) seeded picks, sorted.</summary>
    internal static int[] ChooseSubset(int count, int limit, ulong seed)
    {
        limit = Math.Max(limit, 64);
        var all = Enumerable.Range(0, count).ToArray();
        if (count <= limit)
            return all;
        new SeededRandom(SeededRandom.Mix(seed, 0x7265_66)).Shuffle(all.AsSpan());
        var picked = all[..limit];
        Array.Sort(picked);
        return picked;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(List<string>))]
internal sealed partial class ExportJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
