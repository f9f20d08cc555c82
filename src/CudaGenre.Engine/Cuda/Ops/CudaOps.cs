using CudaGenre.Core.Tensors;
using CudaGenre.Cuda.Dnn;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda.Ops;

/// <summary>
/// How the CUDA backend runs one kind of step: whether it can, the weights it uploads, the kernel files it launches,
/// and its lowering into launches and library calls (with the candidates it times, where it has several).
/// </summary>
internal interface ICudaOp
{
    /// <summary>Whether this op runs <paramref name="step"/>; if not, why, in words that name the step's module.</summary>
    bool Supports(FusedStep step, out string reason);

    /// <summary>The kernel files (kernels/*.cu) its launches come from; loaded once per session.</summary>
    IEnumerable<string> KernelFiles { get; }

    /// <summary>Adds the step's weights, in the layout its launches read.</summary>
    void AddWeights(FusedStep step, DeviceWeights.Packer weights)
    {
    }

    /// <summary>Appends the plan steps that run <paramref name="step"/>.</summary>
    void Lower(LoweringContext context, FusedStep step);
}

/// <summary>The CUDA backend's op set: the one place that maps a step type to its lowering.</summary>
internal static class CudaOps
{
    /// <summary>The op that runs <paramref name="step"/>, or null for a step type the CUDA backend has no lowering for.</summary>
    public static ICudaOp? For(FusedStep step) => step switch
    {
        FusedConv { Conv.IsDepthwise: true } => Depthwise.Instance,
        FusedConv => Convolution.Instance,
        MaxPoolStep or GlobalAvgPoolStep => Pooling.Instance,
        AddStep or ReluStep => BiasAct.Instance,
        FlattenStep => Layout.Instance,
        FusedLinear => Head.Instance,
        _ => null,
    };

    /// <summary>
    /// Lowers every step of <paramref name="graph"/> in order, each by its op, except Xception's separable pairs
    /// (<see cref="Separable.Pairs"/>), which <see cref="Separable"/> lowers together where their depthwise step is.
    /// </summary>
    public static void LowerAll(LoweringContext context, FusedGraph graph)
    {
        var pairs = Separable.Pairs(graph);
        var paired = pairs.Values.ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var step in graph.Steps)
        {
            if (pairs.TryGetValue(step, out var pointwise))
                Separable.Add(context, (FusedConv)step, pointwise);
            else if (!paired.Contains(step))
                (For(step) ?? throw new InvalidOperationException($"'{step.Module}': {step.GetType().Name} passed the support check but has no CUDA op")).Lower(context, step);
        }
    }

    /// <summary>A tensor's dims as the kernels take them: NCHW order, a 2-D [N, C] as N×C×1×1.</summary>
    public static TensorDims Dims(TensorShape shape) =>
        shape.Rank == 4 ? new TensorDims((int)shape[0], (int)shape[1], (int)shape[2], (int)shape[3]) : new TensorDims((int)shape[0], (int)shape[1], 1, 1);
}
