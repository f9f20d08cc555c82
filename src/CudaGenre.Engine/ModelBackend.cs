using CudaGenre.Core;
using CudaGenre.Core.Imaging;
using CudaGenre.Engine.Cpu;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine;

/// <summary>
/// One prepared forward pass for up to a batch size: its memory, its steps, its threads or stream. A smaller batch
/// runs padded: the plan computes all <see cref="BatchSize"/> items (the rows past the batch hold what an earlier
/// run left there; items never mix, so they cannot change the batch's logits) and returns the batch's. One caller
/// at a time.
/// </summary>
internal interface IExecutionPlan : IDisposable
{
    /// <summary>The most items a run takes (the batch size it was made for).</summary>
    int BatchSize { get; }

    /// <summary>Runs the forward pass on n ≤ <see cref="BatchSize"/> items: NCHW input in (n × C·H·W floats), logits out (n × classes).</summary>
    void Run(ReadOnlySpan<float> input, Span<float> logits);

    /// <summary>
    /// Runs the forward pass on up to <see cref="BatchSize"/> images, each resized and normalized as <paramref name="preprocessor"/>
    /// says. This default preprocesses on the host and runs the float pass; a backend that can do better (the CUDA
    /// one preprocesses on the device) implements it, bit for bit the same input.
    /// </summary>
    void Run(IReadOnlyList<RgbImage> images, ImagePreprocessor preprocessor, Span<float> logits)
    {
        ExecutionPlans.RequireItems(images.Count, BatchSize);
        var settings = preprocessor.Settings;
        var perImage = SizeMath.Product(3, settings.Height, settings.Width);
        var inputs = new float[SizeMath.ToArrayLength(SizeMath.Multiply(images.Count, perImage), $"the inputs of {images.Count} images (floats)")];
        for (var i = 0; i < images.Count; i++)
            preprocessor.Process(images[i], inputs.AsSpan(checked((int)(i * perImage)), (int)perImage));
        Run(inputs, logits);
    }

    /// <summary>What runs, step by step, and what was measured to choose it (one line each).</summary>
    IReadOnlyList<string> Describe();
}

/// <summary>What every plan checks of a run, and which idle plan a batch may use.</summary>
internal static class ExecutionPlans
{
    /// <summary>The number of items in <paramref name="length"/> floats of <paramref name="perItem"/> each, checked to fit a plan for <paramref name="batchSize"/>.</summary>
    public static int Items(int length, int perItem, int batchSize)
    {
        if (length % perItem != 0)
            throw new ArgumentException($"{length} floats are not a whole number of items of {perItem}.");
        var items = length / perItem;
        RequireItems(items, batchSize);
        return items;
    }

    /// <summary>1 ≤ <paramref name="items"/> ≤ <paramref name="batchSize"/>.</summary>
    public static void RequireItems(int items, int batchSize)
    {
        if (items < 1 || items > batchSize)
            throw new ArgumentException($"{items} items were given to a plan for up to {batchSize}.");
    }

    /// <summary>
    /// Whether an idle plan for <paramref name="planBatch"/> should run a batch of <paramref name="batchSize"/>: its
    /// own size always; a larger one (padded, under twice the work) only where the backend makes plans dearly and
    /// runs small batches cheaply (CUDA: streams, handles, measured algorithms and a captured graph per plan).
    /// </summary>
    public static bool Fits(int planBatch, int batchSize, bool padsCheaply) =>
        planBatch == batchSize || (padsCheaply && planBatch > batchSize && planBatch < 2 * batchSize);
}

/// <summary>A backend's form of one model (weights prepared once), making execution plans; shared by a session's plans.</summary>
internal interface IModelBackend : IDisposable
{
    /// <summary>
    /// Whether this backend runs <paramref name="step"/> of <paramref name="graph"/>, and if not why (naming the
    /// step's module). Every step is checked before the backend does any work (<see cref="BackendSupport.Require{TBackend}"/>).
    /// </summary>
    static abstract bool Supports(FusedStep step, FusedGraph graph, out string reason);

    /// <summary>Which backend this is.</summary>
    Backend Kind { get; }

    /// <summary>The precision it computes in.</summary>
    Precision Precision { get; }

    /// <summary>Makes the plan for up to <paramref name="batchSize"/> items (memory planned, algorithms chosen).</summary>
    IExecutionPlan CreatePlan(int batchSize);

    /// <summary>
    /// Whether a larger idle plan should run a smaller batch (<see cref="ExecutionPlans.Fits"/>) rather than a plan of
    /// its own being made: true where making a plan costs more than padding a batch.
    /// </summary>
    bool PadsCheaply { get; }
}

/// <summary>The up-front check of a graph against a backend's <see cref="IModelBackend.Supports"/>.</summary>
internal static class BackendSupport
{
    /// <summary>Throws <see cref="NotSupportedException"/> with the reason for the first step <typeparamref name="TBackend"/> cannot run.</summary>
    public static void Require<TBackend>(FusedGraph graph) where TBackend : IModelBackend
    {
        foreach (var step in graph.Steps)
        {
            if (!TBackend.Supports(step, graph, out var reason))
                throw new NotSupportedException(reason);
        }
    }
}

/// <summary>The CPU backend: weights packed once (<see cref="CpuWeights"/>), a <see cref="CpuPlan"/> per batch size.</summary>
internal sealed class CpuBackend : IModelBackend
{
    private readonly FusedGraph _graph;
    private readonly int _threads;
    private readonly CpuWeights _weights;
    private readonly int _chunk;

    public CpuBackend(FusedGraph graph, int threads, CpuGemmKind kind = CpuGemmKind.Fp32)
    {
        (_graph, _threads) = (graph, threads);
        _weights = new CpuWeights(graph, kind); // checks every step against Supports before it packs anything
        _chunk = ChunkedPlan.ChunkFor(graph);
    }

    /// <summary>Every step type, with equal strides and padding along both axes, convolutions dense or depthwise, and no residual on a depthwise one.</summary>
    public static bool Supports(FusedStep step, FusedGraph graph, out string reason)
    {
        reason = step switch
        {
            FusedConv { Conv: var c } when c.Stride.Height != c.Stride.Width || c.Padding.Height != c.Padding.Width =>
                $"'{step.Module}': the CPU backend needs equal stride and padding along both axes.",
            FusedConv { Conv.IsDepthwise: true, Residual: not null } => $"'{step.Module}': a residual add on a depthwise convolution is not supported by the CPU backend.",
            FusedConv { Conv.IsDepthwise: false, Conv.Groups: not 1 } => $"'{step.Module}': grouped convolutions other than depthwise are not supported by the CPU backend.",
            MaxPoolStep { Pool: var p } when p.Stride.Height != p.Stride.Width || p.Padding.Height != p.Padding.Width =>
                $"'{step.Module}': the CPU backend needs equal stride and padding along both axes.",
            FusedConv or FusedLinear or MaxPoolStep or GlobalAvgPoolStep or FlattenStep or AddStep or ReluStep => "",
            _ => $"The CPU backend cannot run {step.GetType().Name} ('{step.Module}').",
        };
        return reason.Length == 0;
    }

    public Backend Kind => Backend.Cpu;

    public Precision Precision => CpuPrecision.Of(_weights.Kind);

    /// <summary>A plan of the batch's size, or for a model whose activations dwarf its weights one that runs the batch in
    /// small chunks (<see cref="ChunkedPlan"/>), bit-identical either way.</summary>
    public IExecutionPlan CreatePlan(int batchSize) =>
        _chunk > 0 && batchSize > _chunk
            ? new ChunkedPlan(new CpuPlan(_graph, _weights, _chunk, _threads), batchSize)
            : new CpuPlan(_graph, _weights, batchSize, _threads);

    /// <summary>False: a CPU plan is cheap to make (an arena and threads), and a padded item costs its full compute.</summary>
    public bool PadsCheaply => false;

    public void Dispose()
    {
    }
}
