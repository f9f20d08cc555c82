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
    /// <summary>Metadata key of the spec JSON (shared with <see cref="ModelFile"/>).</summary>
    public const string SpecKey = ModelFile.SpecKey;

    /// <summary>Metadata key of the format tag (shared with <see cref="ModelFile"/>).</summary>
    public const string FormatKey = ModelFile.FormatKey;

    /// <summary>
    /// Writes <paramref name="model"/>'s state_dict (parameters and BatchNorm running statistics, as
    /// trained: the engine folds them) as a <see cref="ModelFile"/> with the spec in <c>__metadata__</c>.
    /// </summary>
    public static void WriteModel(string path, nn.Module model, ModelSpec spec)
    {
        var writer = new SafetensorsWriter();
        StateDict.AddTo(writer, model);
        ModelFile.Write(path, spec, writer);
    }

    /// <summary>
    /// Writes a <see cref="ReferenceBundle"/>: the preprocessed inputs of <paramref name="set"/> (all when
    /// there are at most <paramref name="limit"/>, else a seeded subset of <paramref name="limit"/>, in set
    /// order), their labels and <paramref name="model"/>'s eval-mode logits.
    /// </summary>
    /// <param name="path">Where to write the bundle.</param>
    /// <param name="model">The model, whose eval-mode logits are stored.</param>
    /// <param name="spec">The model's spec.</param>
    /// <param name="set">The inputs.</param>
    /// <param name="limit">Most inputs to store (at least 64 are kept when the set has them).</param>
    /// <param name="seed">Seed of the subset.</param>
    /// <param name="splitName">E.g. "test" or "random".</param>
    /// <param name="modelPath">The model file the logits belong to (its SHA-256 is recorded), or null.</param>
    /// <returns>The number of inputs written.</returns>
    public static int WriteReference(string path, nn.Module<Tensor, Tensor> model, ModelSpec spec, SpectrogramSet set, int limit, ulong seed, string splitName, string? modelPath)
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
        string[] sources = splitName == "random" ? [] : [.. chosen.Select(i => set.Files[i])];
        var bundle = new ReferenceBundle(
            spec,
            splitName,
            sources,
            inputs,
            [.. chosen.Select(i => (long)set.Labels[i])],
            evaluation.Logits,
            modelPath is null ? null : ModelFile.ComputeSha256(modelPath));
        bundle.Write(path);
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
