using CudaGenre.Core.Models;

namespace CudaGenre.Engine.Graph;

/// <summary>
/// One step of a <see cref="FusedGraph"/>: what a backend actually executes. Values are named as in the
/// <see cref="ModelGraph"/> (logical layout NCHW or [N, F]); a backend picks its own memory layout.
/// </summary>
/// <param name="Module">The PyTorch module path of the step's main node (for errors and profiling).</param>
/// <param name="Inputs">Values read (for a convolution with a residual, the residual is the second).</param>
/// <param name="Output">Value written.</param>
public abstract record FusedStep(string Module, IReadOnlyList<string> Inputs, string Output)
{
    /// <summary>The main input.</summary>
    public string Input => Inputs[0];
}

/// <summary>
/// A convolution with everything folded into it: <c>y = relu?(conv(relu?(x), W) + b + residual?)</c>.
/// BatchNorm is folded into <see cref="Weight"/> and <see cref="Bias"/>; the residual add and the ReLU
/// that follow are fused as an epilogue; a ReLU that precedes a depthwise convolution is fused as a
/// prologue (<see cref="ReluInput"/>), leaving the un-ReLU'd input intact for other readers.
/// </summary>
/// <param name="Module">Module path of the convolution.</param>
/// <param name="Inputs">The input, then the residual if any.</param>
/// <param name="Output">The output value (named after the last fused node).</param>
/// <param name="Conv">The original convolution (channels, kernel, stride, padding, groups).</param>
/// <param name="Weight">Folded weights, PyTorch layout [out, in/groups, kh, kw].</param>
/// <param name="Bias">Folded bias [out] (zeros when the convolution had none and no BN followed).</param>
/// <param name="ReluInput">Apply ReLU to the input as it is read.</param>
/// <param name="Relu">Apply ReLU to the result (after the residual).</param>
public sealed record FusedConv(string Module, IReadOnlyList<string> Inputs, string Output, Conv2dNode Conv,
    float[] Weight, float[] Bias, bool ReluInput, bool Relu) : FusedStep(Module, Inputs, Output)
{
    /// <summary>The residual value added before the ReLU, or null.</summary>
    public string? Residual => Inputs.Count > 1 ? Inputs[1] : null;
}

/// <summary>A linear layer <c>y = relu?(x · Wᵀ + b)</c>; weight [out, in] as PyTorch stores it.</summary>
public sealed record FusedLinear(string Module, IReadOnlyList<string> Inputs, string Output, LinearNode Linear,
    float[] Weight, float[] Bias, bool Relu) : FusedStep(Module, Inputs, Output);

/// <summary>Max pooling (PyTorch semantics: padding never wins, floor output size).</summary>
public sealed record MaxPoolStep(string Module, IReadOnlyList<string> Inputs, string Output, MaxPool2dNode Pool)
    : FusedStep(Module, Inputs, Output);

/// <summary>Global average pooling [N, C, H, W] → [N, C] (the flatten after it is folded in).</summary>
public sealed record GlobalAvgPoolStep(string Module, IReadOnlyList<string> Inputs, string Output)
    : FusedStep(Module, Inputs, Output);

/// <summary>Flatten [N, C, H, W] → [N, C·H·W] in NCHW order (PyTorch's order; an NHWC backend must permute).</summary>
public sealed record FlattenStep(string Module, IReadOnlyList<string> Inputs, string Output)
    : FusedStep(Module, Inputs, Output);

/// <summary>An element-wise add that could not be fused into a convolution.</summary>
public sealed record AddStep(string Module, IReadOnlyList<string> Inputs, string Output, bool Relu)
    : FusedStep(Module, Inputs, Output);

/// <summary>A ReLU that could not be fused.</summary>
public sealed record ReluStep(string Module, IReadOnlyList<string> Inputs, string Output)
    : FusedStep(Module, Inputs, Output);

/// <summary>
/// A model ready to execute: the <see cref="ModelGraph"/> with BatchNorm folded into convolutions,
/// ReLU and residual adds fused into the step before (or, for a depthwise convolution, the step after),
/// Dropout removed and flatten-after-pool folded. Backend-neutral and batch-size-independent; built
/// once per session by <see cref="GraphOptimizer"/>.
/// </summary>
/// <param name="Source">The graph it was made from (spec, shapes).</param>
/// <param name="Steps">The steps in execution order.</param>
/// <param name="Output">The logits value.</param>
public sealed record FusedGraph(ModelGraph Source, IReadOnlyList<FusedStep> Steps, string Output)
{
    /// <summary>Shapes of every value the steps read or write, for a batch size (NCHW or [N, F]).</summary>
    public IReadOnlyDictionary<string, Core.Tensors.TensorShape> InferShapes(int batchSize) => Source.InferShapes(batchSize);

    /// <summary>Every value numbered (<see cref="ValueId"/>), made on first use.</summary>
    public ValueTable Values => field ??= new ValueTable(this);

    // A copy made with `with` may have other steps: it numbers its values afresh rather than sharing the original's table.
    private FusedGraph(FusedGraph original) => (Source, Steps, Output) = (original.Source, original.Steps, original.Output);
}
