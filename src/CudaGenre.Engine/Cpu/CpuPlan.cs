using System.Diagnostics;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// A <see cref="FusedGraph"/> made executable on the CPU for one batch size: every value has a fixed
/// place in one pinned arena (<see cref="ArenaPlan"/>), every step is an op bound to those places, and
/// <see cref="Run"/> allocates nothing. Activations are NHWC inside; the input arrives NCHW.
/// Weights (packed GEMM operands) are shared by all plans of a session through <see cref="CpuWeights"/>.
/// Not thread-safe: one caller at a time (the session keeps a pool of plans).
/// </summary>
internal sealed unsafe class CpuPlan : IExecutionPlan
{
    private readonly float[] _arena;
    private readonly List<(IParallelWork Work, int Items, string Name)> _ops = [];
    private readonly Dictionary<int, FusedStep> _opSteps = []; // op index → the step it runs (for the profile's FLOPs)
    private readonly IReadOnlyDictionary<string, Core.Tensors.TensorShape> _shapes;
    private readonly CpuWorkers _workers;
    private readonly float* _input;
    private readonly float* _logits;

    public CpuPlan(FusedGraph graph, CpuWeights weights, int batchSize, int threads)
    {
        // The weights checked the graph against CpuBackend.Supports: the steps below are all runnable.
        if (!ReferenceEquals(weights.Graph, graph))
            throw new ArgumentException("The weights were prepared for another graph.", nameof(weights));
        BatchSize = batchSize;
        var shapes = graph.InferShapes(batchSize);
        _shapes = shapes;
        var inputName = Core.Models.ModelGraph.InputName;
        var separable = SeparablePairs(graph);
        // A first layer that runs as a direct convolution reads the NCHW input where it is; otherwise the input is
        // reordered to NHWC first.
        var inputReaders = graph.Steps.Where(s => s.Inputs.Contains(inputName)).ToList();
        var readsNchw = inputReaders is [FusedConv only] && weights.DirectFilters(only) is not null ? only : null;
        var (plan, offsets) = ArenaPlan.ForGraph(graph, shapes, separable, readsNchw);
        // The arena is one .NET array: its length must be an array length, never a wrapped int (batch 3453 of the
        // CNN needs 3.4 G floats, which (int) turned into a small array that the kernels wrote past).
        if (plan.Length > Array.MaxLength - 16)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"a batch of {batchSize} needs a CPU activation arena of {plan.Length} floats ({plan.Length * 4.0 / (1L << 30):F1} GiB), more than one array can hold ({Array.MaxLength - 16} floats and a line's alignment): use a smaller batch.");
        }
        // 16 floats more, so the arena can start on a 64-byte line (every offset in it is a multiple of 16 floats).
        _arena = GC.AllocateArray<float>((int)Math.Max(plan.Length, 1) + 16, pinned: true);
        _workers = new CpuWorkers(threads);
        var scratch = new WorkerScratch(_workers.Count, weights.ScratchLength);
        var arena = (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _arena[0]);
        arena += (64 - ((nint)arena & 63)) % 64 / sizeof(float);
        float* Pointer(string value) => arena + offsets[graph.Values[value].Index];
        ArenaFloats = plan.Length;

        var input = shapes[inputName];
        _input = arena + offsets[ValueTable.NchwInput.Index];
        if (readsNchw is null)
        {
            var toNhwc = new LayoutChange(batchSize, input[1], input[2] * input[3], toNhwc: true);
            toNhwc.Bind(_input, Pointer(inputName));
            _ops.Add((toNhwc, toNhwc.Items, "input NCHW→NHWC"));
        }

        DepthwiseConv2d? pendingDepthwise = null;
        foreach (var step in graph.Steps)
        {
            var x = shapes[step.Input];
            var output = Pointer(step.Output);
            var name = $"{step.Module} {step.GetType().Name} {x}";
            var firstOp = _ops.Count;
            switch (step)
            {
                case FusedConv conv when conv.Conv.IsDepthwise:
                    var depthwise = CpuWeights.Depthwise(conv, Geometry(conv, x));
                    depthwise.Bind(Pointer(conv.Input), output);
                    if (separable.Contains(conv))
                    {
                        pendingDepthwise = depthwise; // computed inside the next step's GEMM
                        continue;
                    }
                    _ops.Add((depthwise, depthwise.Items, name));
                    break;
                case FusedConv conv when pendingDepthwise is not null:
                    var (pair, pairItems) = weights.PlanGemm(conv, new DepthwiseSource(pendingDepthwise), output, conv.Conv.OutChannels,
                        Epilogue(weights.Bias(conv), conv.Residual is null ? null : Pointer(conv.Residual), conv.Conv.OutChannels, conv.Relu), scratch, _workers.Count);
                    _ops.Add((pair, pairItems, $"{step.Module} depthwise+pointwise {x}"));
                    pendingDepthwise = null;
                    break;
                case FusedConv conv:
                    var g = Geometry(conv, x);
                    var epilogue = Epilogue(weights.Bias(conv), conv.Residual is null ? null : Pointer(conv.Residual), conv.Conv.OutChannels, conv.Relu,
                        stream: Streams(output, (long)g.OutPixels * conv.Conv.OutChannels, conv.Conv.OutChannels));
                    if (weights.DirectFilters(conv) is { } direct)
                    {
                        var nchw = ReferenceEquals(conv, readsNchw);
                        var small = new SmallInputConv(g, direct, conv.Conv.OutChannels, weights.Bias(conv), conv.Relu, nchw);
                        small.Bind(nchw ? _input : Pointer(conv.Input), output);
                        _ops.Add((small, small.Items, name));
                        break;
                    }
                    if (weights.WinogradFilters(conv) is { } filters)
                    {
                        var winograd = new WinogradWork(Pointer(conv.Input), g, filters, output, epilogue, scratch, _workers.Count);
                        _ops.Add((winograd, winograd.Tiling.Count, name));
                        break;
                    }
                    var (work, items) = g.KernelHeight == 1 && g.KernelWidth == 1 && g.Stride == 1 && g.Padding == 0
                        ? weights.PlanGemm(conv, new DenseSource(Pointer(conv.Input), g.OutPixels, g.Channels, g.Channels), output, conv.Conv.OutChannels, epilogue, scratch, _workers.Count)
                        : weights.PlanGemm(conv, new PatchSource(Pointer(conv.Input), g), output, conv.Conv.OutChannels, epilogue, scratch, _workers.Count);
                    _ops.Add((work, items, name));
                    break;
                case FusedLinear linear:
                    var (fc, fcItems) = weights.PlanGemm(linear, new DenseSource(Pointer(linear.Input), batchSize, linear.Linear.InFeatures, linear.Linear.InFeatures),
                        output, linear.Linear.OutFeatures, Epilogue(weights.Bias(linear), null, 0, linear.Relu), scratch, _workers.Count);
                    _ops.Add((fc, fcItems, name));
                    break;
                case MaxPoolStep pool:
                    var maxPool = new MaxPool2d(new ConvGeometry(batchSize, x[2], x[3], x[1], pool.Pool.Kernel.Height, pool.Pool.Kernel.Width, pool.Pool.Stride.Height, pool.Pool.Padding.Height));
                    maxPool.Bind(Pointer(pool.Input), output);
                    _ops.Add((maxPool, maxPool.Items, name));
                    break;
                case GlobalAvgPoolStep:
                    var gap = new GlobalAvgPool(batchSize, x[2] * x[3], x[1]);
                    gap.Bind(Pointer(step.Input), output);
                    _ops.Add((gap, gap.Items, name));
                    break;
                case FlattenStep:
                    var flatten = new LayoutChange(batchSize, x[1], x.Rank == 4 ? x[2] * x[3] : 1, toNhwc: false);
                    flatten.Bind(Pointer(step.Input), output);
                    _ops.Add((flatten, flatten.Items, name));
                    break;
                case AddStep add:
                    var sum = new Elementwise(x.ElementCount, add: true, add.Relu);
                    sum.Bind(Pointer(add.Inputs[0]), Pointer(add.Inputs[1]), output);
                    _ops.Add((sum, sum.Items, name));
                    break;
                case ReluStep:
                    var relu = new Elementwise(x.ElementCount, add: false, relu: true);
                    relu.Bind(Pointer(step.Input), null, output);
                    _ops.Add((relu, relu.Items, name));
                    break;
                default:
                    throw new UnreachableException($"'{step.Module}' ({step.GetType().Name}) passed CpuBackend.Supports but has no CPU op.");
            }
            for (var op = firstOp; op < _ops.Count; op++)
            {
                _opSteps[op] = step;
            }
        }
        _logits = Pointer(graph.Output);
        LogitsPerItem = (int)(shapes[graph.Output].ElementCount / batchSize);
        InputPerItem = (int)(input.ElementCount / batchSize);
    }

    /// <summary>The batch size this plan was made for.</summary>
    public int BatchSize { get; }

    /// <summary>Floats in the activation arena.</summary>
    public long ArenaFloats { get; }

    /// <summary>Input floats per item (C·H·W).</summary>
    public int InputPerItem { get; }

    /// <summary>Logits per item (classes).</summary>
    public int LogitsPerItem { get; }

    /// <summary>Runs the forward pass for n ≤ <see cref="BatchSize"/> items (padded to the plan's size): NCHW input in, logits out.</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> logits)
    {
        var n = ExecutionPlans.Items(input.Length, InputPerItem, BatchSize);
        input.CopyTo(new Span<float>(_input, n * InputPerItem));
        foreach (var (work, items, _) in _ops)
        {
            _workers.Run(work, items);
        }
        new ReadOnlySpan<float>(_logits, n * LogitsPerItem).CopyTo(logits);
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Describe() => [.. _ops.Select(op => $"{op.Name}: {op.Items} work items on up to {_workers.Count} threads")];

    /// <summary>
    /// The median time of each op over <paramref name="runs"/> forward passes, with the floating-point work of the step
    /// it runs (<see cref="StepCost"/>; 0 for layout changes) (diagnostics, for the benchmarks' profile).
    /// </summary>
    internal (string Step, double Milliseconds, long Flops)[] Profile(ReadOnlySpan<float> input, int runs)
    {
        input.CopyTo(new Span<float>(_input, BatchSize * InputPerItem));
        var times = new double[_ops.Count, runs];
        for (var r = 0; r < runs; r++)
        {
            for (var i = 0; i < _ops.Count; i++)
            {
                var start = System.Diagnostics.Stopwatch.GetTimestamp();
                _workers.Run(_ops[i].Work, _ops[i].Items);
                times[i, r] = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }
        return [.. _ops.Select((op, i) => (op.Name, Enumerable.Range(0, runs).Select(r => times[i, r]).Order().ElementAt(runs / 2),
            _opSteps.TryGetValue(i, out var step) ? StepCost.Flops(step, _shapes) : 0L))];
    }

    /// <summary>The steps' names, in order (diagnostics: <see cref="RunStep"/> runs one).</summary>
    internal IReadOnlyList<string> StepNames => [.. _ops.Select(op => op.Name)];

    /// <summary>Runs step <paramref name="index"/> alone on the arena as it stands (diagnostics, for the benchmarks).</summary>
    internal void RunStep(int index) => _workers.Run(_ops[index].Work, _ops[index].Items);

    /// <summary>
    /// The depthwise convolutions that run inside the GEMM of the 1×1 convolution right after them
    /// (<see cref="DepthwiseSource"/>): the pointwise step reads the depthwise output and nothing else does.
    /// </summary>
    internal static HashSet<FusedStep> SeparablePairs(FusedGraph graph)
    {
        var readers = new Dictionary<string, int>();
        foreach (var value in graph.Steps.SelectMany(step => step.Inputs))
        {
            readers[value] = readers.GetValueOrDefault(value) + 1;
        }
        var pairs = new HashSet<FusedStep>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i + 1 < graph.Steps.Count; i++)
        {
            if (graph.Steps[i] is FusedConv { Conv.IsDepthwise: true } depthwise
                && graph.Steps[i + 1] is FusedConv { Conv.IsDepthwise: false, Conv.Groups: 1, Conv.Kernel: { Height: 1, Width: 1 }, Conv.Stride: { Height: 1, Width: 1 }, Conv.Padding: { Height: 0, Width: 0 } } pointwise
                && pointwise.Input == depthwise.Output
                && readers[depthwise.Output] == 1
                && depthwise.Output != graph.Output)
            {
                pairs.Add(depthwise);
            }
        }
        return pairs;
    }

    private static GemmEpilogue Epilogue(float* bias, float* residual, int residualStride, bool relu, bool stream = false) =>
        new() { Bias = bias, Residual = residual, ResidualStride = residualStride, Relu = relu, Stream = stream };

    /// <summary>
    /// GEMM outputs over this size are written past the caches. Measured at batch 16 on two threads: ResNet50 −3 to −8 %
    /// and Xception −4 to −6 % a pass (its 56×56 1×1 layers 7.1–8.8 → 5.4–5.9 ms), the CNN and ResNet18 unchanged; at
    /// batch 1 no output is this large (benchmarks/results/cpu-batch1-2026-12-06.md).
    /// </summary>
    private const long StreamBytes = 16L << 20;

    /// <summary>Whether a GEMM's output is written past the caches (<see cref="GemmEpilogue.Stream"/>): larger than they are, and aligned for it.</summary>
    private static bool Streams(float* output, long floats, int rowStride) =>
        Gemm.Wide && floats * sizeof(float) > StreamBytes && ((nint)output & 63) == 0 && rowStride % 16 == 0;

    private ConvGeometry Geometry(FusedConv conv, Core.Tensors.TensorShape x)
    {
        var c = conv.Conv;
        return new ConvGeometry(BatchSize, x[2], x[3], x[1], c.Kernel.Height, c.Kernel.Width, c.Stride.Height, c.Padding.Height);
    }

    public void Dispose() => _workers.Dispose();
}

/// <summary>
/// The CPU backend's form of a model's weights, prepared once per session and shared by its plans:
/// GEMM operands packed (convolution weights reordered to [(ky, kx, in), out]) in FP32 or, for
/// <see cref="CpuGemmKind.Bf16"/>, as BF16 pairs, or for the integer kinds, as integers with per-column scales (the reduced kinds: dense convolutions only; the
/// linear head stays FP32); biases pinned, depthwise filters (always FP32).
/// </summary>
internal sealed unsafe class CpuWeights
{
    private readonly Dictionary<FusedStep, PackedMatrix> _packed = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<FusedStep, Bf16PackedMatrix> _bf16 = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<FusedStep, IntegerPackedMatrix<Int8Format>> _int8 = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<FusedStep, IntegerPackedMatrix<Int16Format>> _int16 = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<FusedStep, float[]> _bias = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<FusedStep, PackedMatrix[]> _winograd = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<FusedStep, float[]> _direct = new(ReferenceEqualityComparer.Instance);

    /// <summary>Checks the graph against <see cref="CpuBackend.Supports"/> first (the CPU op set's one place), so neither the weights nor a plan made with them meets a step the CPU cannot run.</summary>
    /// <remarks>In FP32 the 3×3 stride-1 convolutions that <see cref="Cpu.Winograd.Applies"/> accepts are prepared for
    /// Winograd F(2×2, 3×3) (2.25× fewer multiplications; equal to the direct convolution up to float rounding), and
    /// first layers on a few input channels for <see cref="SmallInputConv"/> (bit-identical to the GEMM).</remarks>
    public CpuWeights(FusedGraph graph, CpuGemmKind kind = CpuGemmKind.Fp32)
    {
        BackendSupport.Require<CpuBackend>(graph);
        Graph = graph;
        Kind = kind;
        ScratchLength = Math.Max(Gemm.ScratchLength, Bf16Gemm.ScratchLength);
        foreach (var step in graph.Steps)
        {
            switch (step)
            {
                case FusedConv conv when SmallInputConv.Applies(conv): // FP32 in BF16 mode too: its cost was packing
                    _direct[step] = ConvToGemm(conv);
                    _bias[step] = Pinned(conv.Bias);
                    break;
                // The integer modes keep Winograd in FP32: its 2.25× fewer multiplications match what INT8 would gain, at no cost in accuracy.
                case FusedConv conv when kind != CpuGemmKind.Bf16 && Cpu.Winograd.Applies(conv):
                    _winograd[step] = Cpu.Winograd.TransformFilters(conv.Weight, conv.Conv.InChannels, conv.Conv.OutChannels);
                    _bias[step] = Pinned(conv.Bias);
                    ScratchLength = Math.Max(ScratchLength, Cpu.Winograd.ScratchLength(conv.Conv.InChannels, conv.Conv.OutChannels));
                    break;
                case FusedConv conv when !conv.Conv.IsDepthwise:
                    var depth = conv.Conv.Kernel.Height * conv.Conv.Kernel.Width * conv.Conv.InChannels;
                    Pack(step, ConvToGemm(conv), depth, conv.Conv.OutChannels, kind);
                    ScratchLength = Math.Max(ScratchLength, kind switch
                    {
                        CpuGemmKind.Int8 => IntegerGemm.ScratchLength<Int8Format>(depth),
                        CpuGemmKind.Int16 => IntegerGemm.ScratchLength<Int16Format>(depth),
                        _ => 0,
                    });
                    _bias[step] = Pinned(conv.Bias);
                    break;
                case FusedLinear linear:
                    // Every reduced mode leaves the linear layers (the classifier head: small, and its rounding goes straight into the logits) in FP32.
                    Pack(step, Transpose(linear.Weight, linear.Linear.OutFeatures, linear.Linear.InFeatures), linear.Linear.InFeatures, linear.Linear.OutFeatures, CpuGemmKind.Fp32);
                    _bias[step] = Pinned(linear.Bias);
                    break;
            }
        }
    }

    /// <summary>The graph these weights were checked and prepared for.</summary>
    public FusedGraph Graph { get; }

    /// <summary>How the GEMMs compute.</summary>
    public CpuGemmKind Kind { get; }

    /// <summary>Floats of per-worker scratch: enough for either kind of GEMM (so no mix-up of kinds can overrun it) and for the largest Winograd block.</summary>
    public int ScratchLength { get; }

    /// <summary>The weights of <paramref name="conv"/> ([(ky, kx, in), out]) when it runs as a <see cref="SmallInputConv"/>, else null.</summary>
    public float[]? DirectFilters(FusedConv conv) => _direct.GetValueOrDefault(conv);

    /// <summary>The 16 transformed filters of <paramref name="conv"/> when it runs by Winograd, else null.</summary>
    public PackedMatrix[]? WinogradFilters(FusedConv conv) => _winograd.GetValueOrDefault(conv);

    /// <summary>How <paramref name="step"/> (a dense convolution or a linear layer) computes: <see cref="Kind"/>, or FP32 where the kind leaves it so.</summary>
    public CpuGemmKind KindOf(FusedStep step) =>
        _bf16.ContainsKey(step) ? CpuGemmKind.Bf16 : _int8.ContainsKey(step) ? CpuGemmKind.Int8 : _int16.ContainsKey(step) ? CpuGemmKind.Int16
        : _packed.ContainsKey(step) || _winograd.ContainsKey(step) || _direct.ContainsKey(step) ? CpuGemmKind.Fp32
        : throw new ArgumentException($"'{step.Module}' is not a dense convolution or linear layer of this graph", nameof(step));

    /// <summary>The GEMM of <paramref name="step"/> (a dense convolution or a linear layer) as parallel work, and its work items.</summary>
    public (IParallelWork Work, int Items) PlanGemm<TSource>(FusedStep step, TSource a, float* c, int ldc, GemmEpilogue epilogue, WorkerScratch scratch, int workers)
        where TSource : struct, IGemmSource
    {
        if (_int8.TryGetValue(step, out var int8))
        {
            var work = new IntegerGemmWork<TSource, Int8Format>(a, int8, c, ldc, epilogue, scratch, workers);
            return (work, work.Tiling.Count);
        }
        if (_int16.TryGetValue(step, out var int16))
        {
            var work = new IntegerGemmWork<TSource, Int16Format>(a, int16, c, ldc, epilogue, scratch, workers);
            return (work, work.Tiling.Count);
        }
        if (_bf16.TryGetValue(step, out var packedBf16))
        {
            var bf16 = new Bf16GemmWork<TSource>(a, packedBf16, c, ldc, epilogue, scratch, workers);
            return (bf16, bf16.Tiling.Count);
        }
        var fp32 = new GemmWork<TSource>(a, _packed[step], c, ldc, epilogue, scratch, workers);
        return (fp32, fp32.Tiling.Count);
    }

    private void Pack(FusedStep step, float[] b, int k, int n, CpuGemmKind kind)
    {
        switch (kind)
        {
            case CpuGemmKind.Bf16:
                _bf16[step] = new Bf16PackedMatrix(b, k, n);
                break;
            case CpuGemmKind.Int8 or CpuGemmKind.Int16:
                try
                {
                    if (kind == CpuGemmKind.Int8)
                    {
                        _int8[step] = new IntegerPackedMatrix<Int8Format>(b, k, n);
                    }
                    else
                    {
                        _int16[step] = new IntegerPackedMatrix<Int16Format>(b, k, n);
                    }
                }
                catch (NotSupportedException e)
                {
                    throw new NotSupportedException($"Precision.{CpuPrecision.Of(kind)}: '{step.Module}': {e.Message}", e);
                }
                break;
            default:
                _packed[step] = new PackedMatrix(b, k, n);
                break;
        }
    }

    public float* Bias(FusedStep step) => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _bias[step][0]);

    public static DepthwiseConv2d Depthwise(FusedConv conv, ConvGeometry geometry) =>
        new(geometry, conv.Weight, conv.Bias, conv.ReluInput, conv.Relu);

    /// <summary>[out, in, ky, kx] → row-major [(ky, kx, in), out], the column order of <see cref="PatchSource"/>.</summary>
    private static float[] ConvToGemm(FusedConv conv)
    {
        int outputs = conv.Conv.OutChannels, inputs = conv.Conv.InChannels, taps = conv.Conv.Kernel.Height * conv.Conv.Kernel.Width;
        var b = new float[taps * inputs * outputs];
        for (var o = 0; o < outputs; o++)
        {
            for (var i = 0; i < inputs; i++)
            {
                for (var t = 0; t < taps; t++)
                {
                    b[((t * inputs) + i) * outputs + o] = conv.Weight[((o * inputs) + i) * taps + t];
                }
            }
        }
        return b;
    }

    private static float[] Transpose(float[] w, int rows, int columns)
    {
        var t = new float[w.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                t[c * rows + r] = w[r * columns + c];
            }
        }
        return t;
    }

    private static float[] Pinned(float[] values)
    {
        var pinned = GC.AllocateArray<float>(Math.Max(values.Length, 1), pinned: true);
        values.CopyTo(pinned, 0);
        return pinned;
    }
}
