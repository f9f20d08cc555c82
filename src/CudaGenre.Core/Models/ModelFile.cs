using System.Security.Cryptography;
using CudaGenre.Core.Tensors;

namespace CudaGenre.Core.Models;

/// <summary>
/// A model file: a safetensors file whose tensors are the model's PyTorch state_dict (torchvision /
/// timm names, float32, BatchNorm running statistics included, <c>num_batches_tracked</c> as I64
/// scalars) and whose <c>__metadata__</c> holds <c>"format": "cudagenre-model/1"</c> and
/// <c>"spec"</c>: the <see cref="ModelSpec"/> as JSON. Reading validates the format, the spec and every
/// tensor against the spec's <see cref="ModelGraph"/>.
/// </summary>
/// <remarks>
/// A plain PyTorch file (e.g. <c>safetensors.torch.save_file(torchvision.models.resnet50().state_dict(), f)</c>)
/// has no such metadata; load it with <see cref="ReadWithSpec"/> and a spec given from outside.
/// </remarks>
public sealed class ModelFile
{
    /// <summary>The value of the <c>format</c> metadata key.</summary>
    public const string FormatTag = "cudagenre-model/1";

    /// <summary>Metadata key naming the file format.</summary>
    public const string FormatKey = "format";

    /// <summary>Metadata key holding the spec JSON.</summary>
    public const string SpecKey = "spec";

    private ModelFile(ModelSpec spec, ModelGraph graph, SafetensorsFile weights)
    {
        Spec = spec;
        Graph = graph;
        Weights = weights;
    }

    /// <summary>The file's path.</summary>
    public string Path => Weights.Path;

    /// <summary>The model's spec.</summary>
    public ModelSpec Spec { get; }

    /// <summary>The spec's graph; its <see cref="ModelGraph.StateDict"/> names the tensors of <see cref="Weights"/>.</summary>
    public ModelGraph Graph { get; }

    /// <summary>The tensors (views into the file's one buffer): <c>Weights.AsFloat32("fc.weight")</c>.</summary>
    public SafetensorsFile Weights { get; }

    /// <summary>Reads a CudaGenre model file and checks its format, spec and weights.</summary>
    /// <exception cref="DataFileException">Unreadable, not safetensors, not a CudaGenre model (foreign or missing <c>format</c>), invalid spec, or weights that do not fit it.</exception>
    public static ModelFile Read(string path) => FromSafetensors(SafetensorsFile.Read(path), path);

    /// <summary>
    /// Checks a CudaGenre model file held in memory, as <see cref="Read"/> does a file: a pure function of the bytes
    /// (for fuzzing). The buffer is used as is (not copied) and must not change afterwards.
    /// </summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="name">What to call it in errors (usually its path).</param>
    /// <exception cref="DataFileException">Not safetensors, not a CudaGenre model, invalid spec, or weights that do not fit it.</exception>
    public static ModelFile Parse(byte[] bytes, string name) => FromSafetensors(SafetensorsFile.Parse(bytes, name), name);

    private static ModelFile FromSafetensors(SafetensorsFile file, string path)
    {
        if (!file.Metadata.TryGetValue(FormatKey, out var format))
            throw new DataFileException(path, $"not a CudaGenre model file: the safetensors metadata has no '{FormatKey}' key (a plain PyTorch state_dict can be loaded with ModelFile.ReadWithSpec and an explicit spec)");
        if (format != FormatTag)
            throw new DataFileException(path, $"not a CudaGenre model file: format is '{format}', expected '{FormatTag}'");
        if (!file.Metadata.TryGetValue(SpecKey, out var json))
            throw new DataFileException(path, $"the model file has no '{SpecKey}' metadata");
        ModelSpec spec;
        try
        {
            spec = ModelSpec.FromJson(json);
        }
        catch (ArgumentException e)
        {
            throw new DataFileException(path, $"the '{SpecKey}' metadata is unusable: {WithoutParameter(e)}", e);
        }
        var graph = ModelGraph.Build(spec);
        graph.CheckWeights(file);
        return new ModelFile(spec, graph, file);
    }

    /// <summary>
    /// Reads a safetensors state_dict with a spec given from outside, e.g. torchvision or timm weights
    /// for <c>--pretrained</c>. The file's own metadata is ignored.
    /// </summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="spec">The architecture the weights are for.</param>
    /// <param name="options">
    /// What to tolerate: <see cref="WeightCheck.IgnoreHead"/> when the head is replaced (e.g. an
    /// ImageNet 1000-class <c>fc</c>), <see cref="WeightCheck.AllowMissingBatchCounters"/> for old checkpoints.
    /// </param>
    /// <exception cref="DataFileException">Unreadable, not safetensors, or the tensors do not fit the spec's graph.</exception>
    /// <exception cref="ArgumentException">The spec is invalid.</exception>
    public static ModelFile ReadWithSpec(string path, ModelSpec spec, WeightCheck options = WeightCheck.Strict)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var graph = ModelGraph.Build(spec);
        var file = SafetensorsFile.Read(path);
        graph.CheckWeights(file, options);
        return new ModelFile(spec, graph, file);
    }

    /// <summary>
    /// Writes a model file atomically: the tensors of <paramref name="weights"/> (checked to be exactly
    /// the spec's state_dict) with <c>format</c> and <c>spec</c> added to its metadata (other metadata kept).
    /// </summary>
    /// <exception cref="ArgumentException">The spec is invalid or the weights do not fit it (the message names each tensor).</exception>
    public static void Write(string path, ModelSpec spec, SafetensorsWriter weights)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(weights);
        var graph = ModelGraph.Build(spec);
        try
        {
            graph.CheckWeights(weights.Entries, path);
        }
        catch (DataFileException e)
        {
            throw new ArgumentException($"Cannot write {path}: {e.Problem}.", nameof(weights), e);
        }
        weights.Metadata[FormatKey] = FormatTag;
        weights.Metadata[SpecKey] = spec.ToJson();
        weights.Save(path);
    }

    /// <summary>The SHA-256 of a file's bytes, lower-case hex: how a reference bundle names the model it was made with.</summary>
    /// <exception cref="DataFileException">The file cannot be read.</exception>
    public static string ComputeSha256(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFileException(path, $"cannot be read ({e.Message})", e);
        }
    }

    // ArgumentException appends " (Parameter 'x')", which means nothing to a person reading about a file.
    internal static string WithoutParameter(ArgumentException e)
        => e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
}
