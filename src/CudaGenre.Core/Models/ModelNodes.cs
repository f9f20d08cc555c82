using CudaGenre.Core.Tensors;

namespace CudaGenre.Core.Models;

/// <summary>The operations a <see cref="ModelGraph"/> is made of.</summary>
public enum NodeKind
{
    /// <summary><see cref="Conv2dNode"/>.</summary>
    Conv2d,

    /// <summary><see cref="BatchNorm2dNode"/>.</summary>
    BatchNorm2d,

    /// <summary><see cref="ReluNode"/>.</summary>
    ReLU,

    /// <summary><see cref="MaxPool2dNode"/>.</summary>
    MaxPool2d,

    /// <summary><see cref="GlobalAvgPoolNode"/>.</summary>
    GlobalAvgPool,

    /// <summary><see cref="FlattenNode"/>.</summary>
    Flatten,

    /// <summary><see cref="LinearNode"/>.</summary>
    Linear,

    /// <summary><see cref="DropoutNode"/>.</summary>
    Dropout,

    /// <summary><see cref="AddNode"/>.</summary>
    Add,
}

/// <summary>A height × width pair (kernel size, stride, padding), in pixels.</summary>
/// <param name="Height">Along rows.</param>
/// <param name="Width">Along columns.</param>
public readonly record struct Size2d(int Height, int Width)
{
    /// <summary>The same value along both axes.</summary>
    public static Size2d Square(int size) => new(size, size);

    /// <summary>Formats as <c>3×3</c>.</summary>
    public override string ToString() => $"{Height}×{Width}";
}

/// <summary>What a state_dict tensor is for.</summary>
public enum StateRole
{
    /// <summary>A learned weight (conv kernel, BN scale γ, Linear matrix).</summary>
    Weight,

    /// <summary>A learned bias (conv/Linear bias, BN shift β).</summary>
    Bias,

    /// <summary>BatchNorm's running mean (a buffer, not learned by gradient).</summary>
    RunningMean,

    /// <summary>BatchNorm's running variance (a buffer; biased variance as PyTorch keeps it).</summary>
    RunningVar,

    /// <summary>BatchNorm's batch counter (an I64 scalar buffer; unused in eval mode).</summary>
    NumBatchesTracked,
}

/// <summary>One tensor of a model's PyTorch <c>state_dict</c>.</summary>
/// <param name="Name">The full state_dict key, e.g. <c>layer1.0.bn1.running_var</c>.</param>
/// <param name="Shape">Its shape (Conv2d weight <c>[out, in/groups, kh, kw]</c>, Linear weight <c>[out, in]</c>, BN vectors <c>[C]</c>, the counter <c>[]</c>).</param>
/// <param name="DType">F32, or I64 for <c>num_batches_tracked</c>.</param>
/// <param name="Role">What it is for.</param>
public sealed record StateDictEntry(string Name, TensorShape Shape, TensorDType DType, StateRole Role)
{
    /// <summary>True for learned parameters (weights and biases); false for BatchNorm's buffers. PyTorch's parameter count sums these.</summary>
    public bool IsTrainable => Role is StateRole.Weight or StateRole.Bias;
}

/// <summary>
/// One step of a <see cref="ModelGraph"/>: reads named values, writes one new named value.
/// </summary>
/// <remarks>
/// <para><see cref="Module"/> is the PyTorch module path; a node with parameters finds them at
/// <c>{Module}.weight</c>, <c>{Module}.bias</c>, … in the state_dict, so it is unique among those
/// nodes. A parameterless node carries the path of the module that performs the step in the reference
/// model (torchvision reuses one <c>relu</c> module up to three times per block, so such paths can
/// repeat); steps that PyTorch does in <c>forward</c> without a module (the residual add, the flatten)
/// get a descriptive path under their block (<c>layer1.0.add</c>, <c>flatten</c>).</para>
/// <para><see cref="Output"/> is unique in the graph: the module path, with <c>#2</c>, <c>#3</c>…
/// appended when one module runs more than once. Values are tensors <c>[N, C, H, W]</c> (NCHW) or
/// <c>[N, F]</c>.</para>
/// </remarks>
/// <param name="Module">PyTorch module path (the parameter-name prefix).</param>
/// <param name="Inputs">Names of the values read.</param>
/// <param name="Output">Name of the value written.</param>
public abstract record ModelNode(string Module, IReadOnlyList<string> Inputs, string Output)
{
    /// <summary>The operation.</summary>
    public abstract NodeKind Kind { get; }

    /// <summary>The single input of a one-input node.</summary>
    public string Input => Inputs[0];

    /// <summary>The state_dict tensors this node owns, in PyTorch's order (none for parameterless nodes).</summary>
    public virtual IEnumerable<StateDictEntry> StateDict() => [];

    /// <summary>The output shape for the given input shapes.</summary>
    /// <exception cref="ArgumentException">The input shapes do not fit this node, or the output would be empty.</exception>
    public abstract TensorShape InferShape(IReadOnlyList<TensorShape> inputs);

    private protected StateDictEntry Entry(string suffix, StateRole role, TensorShape shape, TensorDType dtype = TensorDType.F32)
        => new($"{Module}.{suffix}", shape, dtype, role);

    private protected (int N, int C, int H, int W) Nchw(TensorShape shape, int expectedChannels)
    {
        if (shape.Rank != 4)
            throw Mismatch($"expects an [N, C, H, W] input, got {shape}");
        if (expectedChannels >= 0 && shape[1] != expectedChannels)
            throw Mismatch($"expects {expectedChannels} input channels, got {shape}");
        return (shape[0], shape[1], shape[2], shape[3]);
    }

    private protected ArgumentException Mismatch(string problem) => new($"{Kind} '{Output}': {problem}.");

    /// <summary>PyTorch's output size of a convolution or pooling window (dilation 1, floor mode): <c>⌊(n + 2p − k) / s⌋ + 1</c>.</summary>
    private protected int WindowOutput(int n, int kernel, int stride, int padding, string axis)
    {
        var span = n + (2 * padding) - kernel;
        if (span < 0)
            throw Mismatch($"the {axis} {n} (padded {n + (2 * padding)}) is smaller than the kernel {kernel}: the input is too small for this architecture");
        return (span / stride) + 1;
    }
}

/// <summary>
/// 2-D convolution, PyTorch <c>nn.Conv2d</c> (dilation 1, zero padding). Weight <c>[out, in/groups, kh, kw]</c>,
/// optional bias <c>[out]</c>. A depthwise convolution has <c>Groups == InChannels == OutChannels</c>;
/// Xception's SeparableConv2d is a depthwise node (<c>….conv1</c>) followed by a 1×1 pointwise node
/// (<c>….pointwise</c>), so the engine needs no separate separable kind.
/// </summary>
public sealed record Conv2dNode(
    string Module, string InputName, string Output,
    int InChannels, int OutChannels, Size2d Kernel, Size2d Stride, Size2d Padding, int Groups, bool HasBias)
    : ModelNode(Module, [InputName], Output)
{
    /// <inheritdoc/>
    public override NodeKind Kind => NodeKind.Conv2d;

    /// <summary>True for a depthwise convolution (one filter per channel).</summary>
    public bool IsDepthwise => Groups > 1 && Groups == InChannels && OutChannels == InChannels;

    /// <summary>Weight shape <c>[out, in/groups, kh, kw]</c>.</summary>
    public TensorShape WeightShape => new(OutChannels, InChannels / Groups, Kernel.Height, Kernel.Width);

    /// <inheritdoc/>
    public override IEnumerable<StateDictEntry> StateDict()
    {
        yield return Entry("weight", StateRole.Weight, WeightShape);
        if (HasBias)
            yield return Entry("bias", StateRole.Bias, new(OutChannels));
    }

    /// <inheritdoc/>
    public override TensorShape InferShape(IReadOnlyList<TensorShape> inputs)
    {
        var (n, _, h, w) = Nchw(inputs[0], InChannels);
        return new(n, OutChannels,
            WindowOutput(h, Kernel.Height, Stride.Height, Padding.Height, "height"),
            WindowOutput(w, Kernel.Width, Stride.Width, Padding.Width, "width"));
    }
}

/// <summary>
/// Batch normalization over channels, PyTorch <c>nn.BatchNorm2d</c> (affine, tracking running stats).
/// In eval mode: <c>y = (x − running_mean) / √(running_var + eps) · weight + bias</c>.
/// </summary>
public sealed record BatchNorm2dNode(string Module, string InputName, string Output, int Channels, double Epsilon = 1e-5)
    : ModelNode(Module, [InputName], Output)
{
    /// <inheritdoc/>
    public override NodeKind Kind => NodeKind.BatchNorm2d;

    /// <inheritdoc/>
    public override IEnumerable<StateDictEntry> StateDict() =>
    [
        Entry("weight", StateRole.Weight, new(Channels)),
        Entry("bias", StateRole.Bias, new(Channels)),
        Entry("running_mean", StateRole.RunningMean, new(Channels)),
        Entry("running_var", StateRole.RunningVar, new(Channels)),
        Entry("num_batches_tracked", StateRole.NumBatchesTracked, TensorShape.Scalar, TensorDType.I64),
    ];

    /// <inheritdoc/>
    public override TensorShape InferShape(IReadOnlyList<TensorShape> inputs)
    {
        _ = Nchw(inputs[0], Channels);
        return inputs[0];
    }
}

/// <summary><c>max(x, 0)</c> elementwise. The output is a new value: the input may still be read by other nodes (Xception's skip path).</summary>
public sealed record ReluNode(string Module, string InputName, string Output) : ModelNode(Module, [InputName], Output)
{
    /// <inheritdoc/>
    public override NodeKind Kind => NodeKind.ReLU;

    /// <inheritdoc/>
    public override TensorShape InferShape(IReadOnlyList<TensorShape> inputs) => inputs[0];
}

/// <summary>Max pooling, PyTorch <c>nn.MaxPool2d</c> (floor mode, dilation 1; padding counts as −∞).</summary>
public sealed record MaxPool2dNode(string Module, string InputName, string Output, Size2d Kernel, Size2d Stride, Size2d Padding)
    : ModelNode(Module, [InputName], Output)
{
    /// <inheritdoc/>
    public override NodeKind Kind => NodeKind.MaxPool2d;

    /// <inheritdoc/>
    public override TensorShape InferShape(IReadOnlyList<TensorShape> inputs)
    {
        var (n, c, h, w) = Nchw(inputs[0], -1);
        return new(n, c,
            WindowOutput(h, Kernel.Height, Stride.Height, Padding.Height, "height"),
            WindowOutput(w, Kernel.Width, Stride.Width, Padding.Width, "width"));
    }
}

/// <summary>Mean over H and W, PyTorch <c>nn.AdaptiveAvgPool2d(1)</c>: <c>[N, C, H, W]</c> → <c>[N, C, 1, 1]</c>.</summary>
public sealed record GlobalAvgPoolNode(string Module, string InputName, string Output) : ModelNode(Module, [InputName], Output)
{
    /// <inheritdoc/>
    public override NodeKind Kind => NodeKind.GlobalAvgPool;

    /// <inheritdoc/>
    public override TensorShape InferShape(IReadOnlyList<TensorShape> inputs)
    {
        var (n, c, _, _) = Nchw(inputs[0], -1);
        return new(n, c, 1, 1);
    }
}

/// <summary><c>torch.flatten(x, 1)</c>: <c>[N, C, H, W]</c> → <c>[N, C·H·W]</c> (a reshape; NCHW order kept).</summary>
public sealed record FlattenNode(string Module, string InputName, string Output) : ModelNode(Module, [InputName], Output)
{
    /// <inheritdoc/>
    public override NodeKind Kind => NodeKind.Flatten;

    /// <inheritdoc/>
    public override TensorShape InferShape(IReadOnlyList<TensorShape> inputs)
    {
        var shape = inputs[0];
        if (shape.Rank < 2)
            throw Mismatch($"expects at least [N, F], got {shape}");
        var features = 1L;
        for (var i = 1; i < shape.Rank; i++)
            features *= shape[i];
        return new(shape[0], checked((int)features));
    }
}

/// <summary>Fully connected layer, PyTorch <c>nn.Linear</c>: <c>y = x·Wᵀ + b</c>, weight <c>[out, in]</c>, bias <c>[out]</c>.</summary>
public sealed record LinearNode(string Module, string InputName, string Output, int InFeatures, int OutFeatures)
    : ModelNode(Module, [InputName], Output)
{
    /// <inheritdoc/>
    public override NodeKind Kind => NodeKind.Linear;

    /// <inheritdoc/>
    public override IEnumerable<StateDictEntry> StateDict() =>
    [
        Entry("weight", StateRole.Weight, new(OutFeatures, InFeatures)),
        Entry("bias", StateRole.Bias, new(OutFeatures)),
    ];

    /// <inheritdoc/>
    public override TensorShape InferShape(IReadOnlyList<TensorShape> inputs)
    {
        var shape = inputs[0];
        if (shape.Rank != 2 || shape[1] != InFeatures)
            throw Mismatch($"expects [N, {InFeatures}], got {shape}");
        return new(shape[0], OutFeatures);
    }
}

/// <summary>Dropout with probability <see cref="Probability"/> in training; the identity in eval mode (inference).</summary>
public sealed record DropoutNode(string Module, string InputName, string Output, float Probability) : ModelNode(Module, [InputName], Output)
{
    /// <inheritdoc/>
    public override NodeKind Kind => NodeKind.Dropout;

    /// <inheritdoc/>
    public override TensorShape InferShape(IReadOnlyList<TensorShape> inputs) => inputs[0];
}

/// <summary>Elementwise sum of two same-shaped values: the residual connection (<c>out += identity</c>).</summary>
public sealed record AddNode(string Module, string Left, string Right, string Output) : ModelNode(Module, [Left, Right], Output)
{
    /// <inheritdoc/>
    public override NodeKind Kind => NodeKind.Add;

    /// <inheritdoc/>
    public override TensorShape InferShape(IReadOnlyList<TensorShape> inputs)
    {
        if (inputs[0] != inputs[1])
            throw Mismatch($"cannot add {inputs[0]} ('{Left}') and {inputs[1]} ('{Right}')");
        return inputs[0];
    }
}
