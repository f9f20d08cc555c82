using System.Text.Json;
using CudaGenre.Core.Tensors;

namespace CudaGenre.Core.Models;

/// <summary>
/// What the engine is validated against: N preprocessed inputs, their labels, and the trainer's
/// eval-mode logits for them, with the spec of the model that produced the logits. Stored as safetensors.
/// </summary>
/// <remarks>
/// <para>Tensors: <c>inputs</c> F32 <c>[N, C, H, W]</c> (normalized, as the model takes them),
/// <c>labels</c> I64 <c>[N]</c> (class indices), <c>logits</c> F32 <c>[N, classes]</c>.</para>
/// <para>Metadata: <c>format</c> = <c>cudagenre-reference/1</c>; <c>split</c> (e.g. <c>test</c>);
/// <c>sources</c>, a JSON list of the N source file names (or <c>[]</c> for synthetic inputs);
/// <c>spec</c>, the model's spec JSON; <c>model_sha256</c>, the SHA-256 of the model file the logits
/// came from (optional).</para>
/// <para>All values must be finite (NaN never passes), and N, C, H, W and the class count must agree
/// across the tensors and with the spec.</para>
/// </remarks>
public sealed class ReferenceBundle
{
    /// <summary>The value of the <c>format</c> metadata key.</summary>
    public const string FormatTag = "cudagenre-reference/1";

    private readonly float[] _inputs;
    private readonly long[] _labels;
    private readonly float[] _logits;

    /// <summary>Creates a bundle, checking that everything agrees.</summary>
    /// <param name="spec">The spec of the model that produced the logits.</param>
    /// <param name="split">Which part of the data the inputs come from, e.g. <c>test</c>.</param>
    /// <param name="sources">The N source file names in input order, or empty for synthetic inputs.</param>
    /// <param name="inputs">N × C × H × W floats, NCHW.</param>
    /// <param name="labels">N class indices in [0, classes).</param>
    /// <param name="logits">N × classes floats, row-major.</param>
    /// <param name="modelSha256">SHA-256 (hex) of the model file, or null.</param>
    /// <exception cref="ArgumentException">Sizes disagree, a label is out of range, or a value is not finite.</exception>
    public ReferenceBundle(ModelSpec spec, string split, IReadOnlyList<string> sources, float[] inputs, long[] labels, float[] logits, string? modelSha256 = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(logits);
        spec.Validate();
        var n = labels.Length;
        var perInput = (long)spec.InputChannels * spec.InputHeight * spec.InputWidth;
        if (n == 0)
            throw new ArgumentException("A reference bundle needs at least one input.", nameof(labels));
        if (inputs.LongLength != n * perInput)
            throw new ArgumentException($"{inputs.Length} input floats are not {n} inputs of {spec.InputChannels}×{spec.InputHeight}×{spec.InputWidth}.", nameof(inputs));
        if (logits.LongLength != (long)n * spec.ClassCount)
            throw new ArgumentException($"{logits.Length} logits are not {n} rows of {spec.ClassCount} classes.", nameof(logits));
        if (sources.Count != 0 && sources.Count != n)
            throw new ArgumentException($"{sources.Count} source names for {n} inputs.", nameof(sources));
        var badLabel = Array.FindIndex(labels, l => l < 0 || l >= spec.ClassCount);
        if (badLabel >= 0)
            throw new ArgumentException($"Label {labels[badLabel]} of input {badLabel} is not a class index (0..{spec.ClassCount - 1}).", nameof(labels));
        var badInput = Array.FindIndex(inputs, v => !float.IsFinite(v));
        if (badInput >= 0)
            throw new ArgumentException($"Input {badInput / perInput} holds {inputs[badInput]} at element {badInput % perInput}.", nameof(inputs));
        var badLogit = Array.FindIndex(logits, v => !float.IsFinite(v));
        if (badLogit >= 0)
            throw new ArgumentException($"Logit {badLogit % spec.ClassCount} of input {badLogit / spec.ClassCount} is {logits[badLogit]}.", nameof(logits));
        Spec = spec;
        Split = split;
        Sources = [.. sources];
        _inputs = inputs;
        _labels = labels;
        _logits = logits;
        ModelSha256 = modelSha256;
    }

    /// <summary>The spec of the model that produced the logits (input size, classes).</summary>
    public ModelSpec Spec { get; }

    /// <summary>The data split the inputs come from, e.g. <c>test</c>.</summary>
    public string Split { get; }

    /// <summary>Source file names in input order (empty for synthetic inputs).</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>SHA-256 (hex) of the model file, or null.</summary>
    public string? ModelSha256 { get; }

    /// <summary>Number of inputs N.</summary>
    public int Count => _labels.Length;

    /// <summary>The inputs' shape <c>[N, C, H, W]</c>.</summary>
    public TensorShape InputShape => new(Count, Spec.InputChannels, Spec.InputHeight, Spec.InputWidth);

    /// <summary>All inputs, NCHW float32.</summary>
    public ReadOnlySpan<float> Inputs => _inputs;

    /// <summary>All inputs as memory (for APIs that take one input per ensemble member).</summary>
    public ReadOnlyMemory<float> InputMemory => _inputs;

    /// <summary>All labels (class indices).</summary>
    public ReadOnlySpan<long> Labels => _labels;

    /// <summary>All logits, <c>[N, classes]</c> row-major.</summary>
    public ReadOnlySpan<float> Logits => _logits;

    /// <summary>Input <paramref name="index"/>, CHW.</summary>
    public ReadOnlySpan<float> Input(int index)
    {
        var size = Spec.InputChannels * Spec.InputHeight * Spec.InputWidth;
        return _inputs.AsSpan(checked(index * size), size);
    }

    /// <summary>The logits of input <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> LogitsOf(int index) => _logits.AsSpan(checked(index * Spec.ClassCount), Spec.ClassCount);

    /// <summary>
    /// Checks that this bundle was made for the model at <paramref name="modelPath"/>: its <c>model_sha256</c> (when the
    /// bundle has one) is the file's SHA-256, and its spec agrees with <paramref name="spec"/> on everything that shapes
    /// the logits (architecture, head, input size, mean and std, class names).
    /// </summary>
    /// <param name="bundlePath">The bundle's file, named in the error.</param>
    /// <param name="modelPath">The model file.</param>
    /// <param name="spec">The model's spec.</param>
    /// <exception cref="DataFileException">The bundle belongs to another model; the message says what differs.</exception>
    public void CheckBelongsTo(string bundlePath, string modelPath, ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (ModelSha256 is { } recorded)
        {
            var actual = ModelFile.ComputeSha256(modelPath);
            if (!string.Equals(recorded, actual, StringComparison.OrdinalIgnoreCase))
                throw new DataFileException(bundlePath, $"was made from another model file: its model_sha256 is {recorded}, but {modelPath} has SHA-256 {actual}");
        }
        if (SpecDifference(spec) is { } difference)
            throw new DataFileException(bundlePath, $"was made for another model: {difference}");
    }

    /// <summary>What differs between this bundle's spec and <paramref name="spec"/> in what shapes the logits, or null.</summary>
    public string? SpecDifference(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var r = Spec;
        static string List<T>(IEnumerable<T> values) => $"[{string.Join(", ", values)}]";
        if ((r.Architecture, r.Head) != (spec.Architecture, spec.Head))
            return $"its architecture is {r.Describe()}, the model's is {spec.Describe()}";
        if ((r.InputChannels, r.InputHeight, r.InputWidth) != (spec.InputChannels, spec.InputHeight, spec.InputWidth))
            return $"its inputs are {r.InputChannels}×{r.InputHeight}×{r.InputWidth}, the model takes {spec.InputChannels}×{spec.InputHeight}×{spec.InputWidth}";
        if (!r.Mean.SequenceEqual(spec.Mean) || !r.Std.SequenceEqual(spec.Std))
            return $"its inputs were normalized with mean {List(r.Mean)} and std {List(r.Std)}, the model's are {List(spec.Mean)} and {List(spec.Std)}";
        if (!r.ClassNames.SequenceEqual(spec.ClassNames, StringComparer.Ordinal))
            return $"its classes are {List(r.ClassNames)}, the model's are {List(spec.ClassNames)}";
        return null;
    }

    /// <summary>Writes the bundle atomically as safetensors.</summary>
    public void Write(string path)
    {
        var writer = new SafetensorsWriter()
            .Add("inputs", InputShape, _inputs)
            .Add("labels", new TensorShape(Count), _labels)
            .Add("logits", new TensorShape(Count, Spec.ClassCount), _logits);
        writer.Metadata[ModelFile.FormatKey] = FormatTag;
        writer.Metadata["split"] = Split;
        writer.Metadata["sources"] = JsonSerializer.Serialize([.. Sources], ModelJsonContext.Default.ListString);
        writer.Metadata[ModelFile.SpecKey] = Spec.ToJson();
        if (ModelSha256 is not null)
            writer.Metadata["model_sha256"] = ModelSha256;
        writer.Save(path);
    }

    /// <summary>Reads and validates a bundle.</summary>
    /// <exception cref="DataFileException">Unreadable, not safetensors, not a reference bundle, or inconsistent (the message says what).</exception>
    public static ReferenceBundle Read(string path)
    {
        var file = SafetensorsFile.Read(path);
        var meta = file.Metadata;
        if (!meta.TryGetValue(ModelFile.FormatKey, out var format) || format != FormatTag)
            throw new DataFileException(path, $"not a CudaGenre reference bundle: format is {(format is null ? "missing" : $"'{format}'")}, expected '{FormatTag}'");
        string Require(string key) => meta.TryGetValue(key, out var v) ? v : throw new DataFileException(path, $"the reference bundle has no '{key}' metadata");

        ModelSpec spec;
        try
        {
            spec = ModelSpec.FromJson(Require(ModelFile.SpecKey));
        }
        catch (ArgumentException e)
        {
            throw new DataFileException(path, $"the '{ModelFile.SpecKey}' metadata is unusable: {ModelFile.WithoutParameter(e)}", e);
        }
        List<string>? sources;
        try
        {
            sources = JsonSerializer.Deserialize(Require("sources"), ModelJsonContext.Default.ListString);
        }
        catch (JsonException e)
        {
            throw new DataFileException(path, $"the 'sources' metadata is not a JSON list of strings ({e.Message})", e);
        }
        if (sources is null || sources.Any(s => s is null))
            throw new DataFileException(path, "the 'sources' metadata is not a JSON list of strings");

        var expected = new[] { "inputs", "labels", "logits" };
        var extra = file.Tensors.Select(t => t.Name).Except(expected, StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
            throw new DataFileException(path, $"unexpected tensors in a reference bundle: {string.Join(", ", extra)}");
        foreach (var (name, dtype) in new[] { ("inputs", TensorDType.F32), ("labels", TensorDType.I64), ("logits", TensorDType.F32) })
        {
            if (!file.Contains(name))
                throw new DataFileException(path, $"the reference bundle has no '{name}' tensor");
            if (file.DType(name) != dtype)
                throw new DataFileException(path, $"tensor '{name}' is {file.DType(name).SafetensorsName()}, expected {dtype.SafetensorsName()}");
        }
        var labels = file.Shape("labels");
        if (labels.Rank != 1)
            throw new DataFileException(path, $"tensor 'labels' has shape {labels}, expected [N]");
        var n = labels[0];
        var inputShape = new TensorShape(n, spec.InputChannels, spec.InputHeight, spec.InputWidth);
        if (file.Shape("inputs") != inputShape)
            throw new DataFileException(path, $"tensor 'inputs' has shape {file.Shape("inputs")}, expected {inputShape} ({n} labels, input size from the spec)");
        var logitShape = new TensorShape(n, spec.ClassCount);
        if (file.Shape("logits") != logitShape)
            throw new DataFileException(path, $"tensor 'logits' has shape {file.Shape("logits")}, expected {logitShape} ({n} labels, {spec.ClassCount} classes in the spec)");
        try
        {
            return new ReferenceBundle(spec, Require("split"), sources, file.AsFloat32("inputs").ToArray(), file.AsInt64("labels").ToArray(),
                file.AsFloat32("logits").ToArray(), meta.GetValueOrDefault("model_sha256"));
        }
        catch (ArgumentException e)
        {
            throw new DataFileException(path, $"inconsistent reference bundle: {ModelFile.WithoutParameter(e)}", e);
        }
    }
}
