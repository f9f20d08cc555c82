using CudaGenre.Core.Tensors;

namespace CudaGenre.Core.Models;

/// <summary>
/// A model architecture as data: the ordered list of <see cref="ModelNode"/>s that turns the input
/// value <see cref="InputName"/> (<c>[N, C, H, W]</c>, float32, normalized) into <see cref="Output"/>
/// (logits <c>[N, classes]</c>). Built from a <see cref="ModelSpec"/> by <see cref="Build"/>; the
/// trainer turns it into TorchSharp modules, the engine into its execution plan.
/// </summary>
/// <remarks>
/// Nodes are in a valid execution order (every input is produced before it is read). Within it,
/// nodes with parameters appear in PyTorch's module registration order, so <see cref="StateDict"/>
/// lists tensors in the same order as the reference model's <c>state_dict()</c>: torchvision's
/// <c>downsample</c> after a block's last BatchNorm, timm's <c>skip</c>/<c>skipbn</c> before the block's
/// <c>rep</c>.
/// </remarks>
public sealed class ModelGraph
{
    /// <summary>The name of the graph's input value.</summary>
    public const string InputName = "input";

    private ModelGraph(ModelSpec spec, IReadOnlyList<ModelNode> nodes, string headModule)
    {
        Spec = spec;
        Nodes = nodes;
        HeadModule = headModule;
        StateDict = [.. nodes.SelectMany(n => n.StateDict())];
        var duplicate = StateDict.GroupBy(e => e.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"Graph bug: state_dict name '{duplicate.Key}' appears twice.");
        // Shape inference at batch 1 validates the wiring and that the input is large enough.
        _ = InferShapes(1);
    }

    /// <summary>The spec this graph was built from.</summary>
    public ModelSpec Spec { get; }

    /// <summary>The nodes in execution order.</summary>
    public IReadOnlyList<ModelNode> Nodes { get; }

    /// <summary>The name of the logits value, <c>[N, classes]</c>: the last node's output.</summary>
    public string Output => Nodes[^1].Output;

    /// <summary>
    /// The module path of the classifier head: <c>fc</c> (ResNet, Xception) or <c>classifier</c> (CNN).
    /// Its tensors are <c>{HeadModule}.weight/bias</c> (linear head) or <c>{HeadModule}.0.*</c> and
    /// <c>{HeadModule}.3.*</c> (dense head). Everything else is the backbone.
    /// </summary>
    public string HeadModule { get; }

    /// <summary>Every state_dict tensor (parameters and BatchNorm buffers), in PyTorch's order.</summary>
    public IReadOnlyList<StateDictEntry> StateDict { get; }

    /// <summary>Number of learned parameters (elements of weights and biases; buffers excluded), as PyTorch counts <c>sum(p.numel() for p in model.parameters())</c>.</summary>
    public long ParameterCount => StateDict.Where(e => e.IsTrainable).Sum(e => e.Shape.ElementCount);

    /// <summary>Number of features entering the head (512 for ResNet18, 2048 for ResNet50 and Xception, the last CNN width).</summary>
    public int FeatureCount => ((LinearNode)Nodes.First(n => n is LinearNode l && IsHead(l.Module))).InFeatures;

    /// <summary>True when <paramref name="stateDictName"/> (or module path) belongs to the classifier head.</summary>
    public bool IsHead(string stateDictName)
    {
        ArgumentNullException.ThrowIfNull(stateDictName);
        return stateDictName == HeadModule || stateDictName.StartsWith(HeadModule + ".", StringComparison.Ordinal);
    }

    /// <summary>Builds the graph of <paramref name="spec"/> (validating the spec).</summary>
    /// <exception cref="ArgumentException">The spec is invalid, e.g. its input is too small for the architecture's strides.</exception>
    public static ModelGraph Build(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.CheckFields();
        var builder = new GraphBuilder();
        var (features, featureCount) = spec.Architecture switch
        {
            Architecture.Cnn => Architectures.Cnn(builder, spec),
            Architecture.ResNet18 or Architecture.ResNet50 => Architectures.ResNet(builder, spec),
            Architecture.Xception => Architectures.Xception(builder, spec),
            _ => throw spec.Invalid($"unknown architecture {(int)spec.Architecture}"),
        };
        var headModule = spec.Architecture == Architecture.Cnn ? "classifier" : "fc";
        Architectures.Head(builder, spec, headModule, features, featureCount);
        try
        {
            return new ModelGraph(spec, builder.Nodes, headModule);
        }
        catch (ArgumentException e)
        {
            throw spec.Invalid(e.Message.TrimEnd('.'));
        }
    }

    /// <summary>
    /// The shape of every value for a batch of <paramref name="batchSize"/>: the input and each node's
    /// output, <c>[N, C, H, W]</c> or <c>[N, F]</c>, with PyTorch's floor-mode output-size formula.
    /// </summary>
    /// <exception cref="ArgumentException">A node's input does not fit it (the message names the node).</exception>
    public IReadOnlyDictionary<string, TensorShape> InferShapes(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var shapes = new Dictionary<string, TensorShape>(StringComparer.Ordinal)
        {
            [InputName] = new(batchSize, Spec.InputChannels, Spec.InputHeight, Spec.InputWidth),
        };
        foreach (var node in Nodes)
        {
            var inputs = node.Inputs.Select(i => shapes.TryGetValue(i, out var s)
                ? s
                : throw new InvalidOperationException($"Graph bug: node '{node.Output}' reads '{i}' before it is written.")).ToList();
            var output = node.InferShape(inputs);
            if (output.AsSpan().Contains(0))
                throw new ArgumentException($"{node.Kind} '{node.Output}' would output {output}: the input is too small for this architecture.");
            if (!shapes.TryAdd(node.Output, output))
                throw new InvalidOperationException($"Graph bug: value '{node.Output}' is written twice.");
        }
        return shapes;
    }

    /// <summary>
    /// Checks a set of tensors against <see cref="StateDict"/>: every expected tensor present with its
    /// dtype and shape, nothing else. All problems are reported at once.
    /// </summary>
    /// <param name="tensors">Name, dtype and shape of each tensor offered.</param>
    /// <param name="path">The file the tensors come from, for the error message.</param>
    /// <param name="options">What to tolerate (by default nothing).</param>
    /// <exception cref="DataFileException">Missing, extra, wrong-shape or wrong-dtype tensors; the message names each with expected and actual.</exception>
    public void CheckWeights(IEnumerable<(string Name, TensorDType DType, TensorShape Shape)> tensors, string path, WeightCheck options = WeightCheck.Strict)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var offered = tensors.ToDictionary(t => t.Name, t => (t.DType, t.Shape), StringComparer.Ordinal);
        var problems = new List<string>();
        var skipHead = options.HasFlag(WeightCheck.IgnoreHead);
        foreach (var entry in StateDict)
        {
            if (skipHead && IsHead(entry.Name))
                continue;
            if (!offered.TryGetValue(entry.Name, out var actual))
            {
                if (!(entry.Role == StateRole.NumBatchesTracked && options.HasFlag(WeightCheck.AllowMissingBatchCounters)))
                    problems.Add($"missing tensor '{entry.Name}' (expected {entry.DType.SafetensorsName()} {entry.Shape})");
            }
            else if (actual.Shape != entry.Shape)
            {
                problems.Add($"tensor '{entry.Name}' has shape {actual.Shape}, expected {entry.Shape}");
            }
            else if (actual.DType != entry.DType)
            {
                problems.Add($"tensor '{entry.Name}' is {actual.DType.SafetensorsName()}, expected {entry.DType.SafetensorsName()} (shape {entry.Shape})");
            }
        }
        var expected = StateDict.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, (dtype, shape)) in offered)
        {
            if (!expected.Contains(name) && !(skipHead && IsHead(name)))
                problems.Add($"unexpected tensor '{name}' ({dtype.SafetensorsName()} {shape}), not part of {Spec.Architecture.Name()}/{Spec.Head.Name()}");
        }
        if (problems.Count == 0)
            return;
        const int shown = 12;
        var list = string.Join("; ", problems.Take(shown)) + (problems.Count > shown ? $"; and {problems.Count - shown} more" : "");
        throw new DataFileException(path, $"the weights do not fit {Spec.Describe()}: {list}");
    }

    /// <summary>Checks the tensors of a safetensors file against <see cref="StateDict"/> (see the other overload).</summary>
    /// <exception cref="DataFileException">Missing, extra, wrong-shape or wrong-dtype tensors.</exception>
    public void CheckWeights(SafetensorsFile file, WeightCheck options = WeightCheck.Strict)
    {
        ArgumentNullException.ThrowIfNull(file);
        CheckWeights(file.Tensors.Select(t => (t.Name, t.DType, t.Shape)), file.Path, options);
    }
}

/// <summary>What <see cref="ModelGraph.CheckWeights(SafetensorsFile, WeightCheck)"/> tolerates.</summary>
[Flags]
public enum WeightCheck
{
    /// <summary>Exactly the graph's state_dict: nothing missing, nothing extra, shapes and dtypes equal.</summary>
    Strict = 0,

    /// <summary>
    /// Ignore the classifier head entirely (neither required nor checked, and extra head tensors of any
    /// shape are allowed): for pretrained backbones whose head is replaced (e.g. a 1000-class ImageNet <c>fc</c>).
    /// </summary>
    IgnoreHead = 1,

    /// <summary>Accept files without BatchNorm's <c>num_batches_tracked</c> (older torchvision checkpoints); the counter is unused in inference.</summary>
    AllowMissingBatchCounters = 2,
}
