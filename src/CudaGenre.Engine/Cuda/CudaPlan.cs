using CudaGenre.Cuda;
using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Dnn;
using CudaGenre.Cuda.Driver;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda;

/// <summary>
/// One forward pass on the GPU for one batch size, prepared once: its own stream, cuDNN and cuBLASLt handles,
/// one activation arena on the device (NHWC, planned by liveness with <see cref="ArenaPlan"/>), one workspace
/// sized for the largest need, pinned host buffers for the input and the logits, and each step bound to its
/// addresses with its cuDNN algorithm chosen. After the first (eager) run the whole pass, copies included, is
/// captured as a CUDA graph and replayed. <see cref="Run"/> allocates nothing. One caller at a time.
/// </summary>
internal sealed class CudaPlan : IExecutionPlan
{
    private const cudnnDataType_t Float = cudnnDataType_t.CUDNN_DATA_FLOAT;
    private const uint Block = 256;

    private readonly CudaBackend _backend;
    private readonly CudaStream _stream;
    private readonly CudnnHandle _cudnn;
    private readonly CublasLtHandle _lt;
    private readonly DeviceBuffer<float> _arena;
    private readonly PinnedHostBuffer<float> _hostInput;
    private readonly PinnedHostBuffer<float> _hostLogits;
    private readonly long _inputOffset;
    private readonly long _logitsOffset;
    private readonly List<(string Name, Action Enqueue)> _steps = [];
    private readonly List<IDisposable> _owned = [];
    private readonly DeviceBuffer<byte>? _workspace;
    private readonly ulong _workspaceBytes;
    private CudaGraphExec? _graph;
    private bool _captureTried;

    public CudaPlan(CudaBackend backend, int batchSize)
    {
        _backend = backend;
        BatchSize = batchSize;
        var context = backend.Context;
        context.MakeCurrent();
        _stream = context.CreateStream();
        _cudnn = CudnnHandle.Create();
        _cudnn.SetStream(_stream.Handle);
        _lt = CublasLtHandle.Create();
        try
        {
            var graph = backend.Graph;
            var shapes = graph.InferShapes(batchSize);
            var (plan, offsets) = ArenaPlan.ForGraph(graph, shapes);
            _arena = context.Allocate<float>(Math.Max(plan.Length, 1));
            ulong At(string value) => _arena.PointerAt(offsets[value]);
            _inputOffset = offsets[ArenaPlan.NchwInputName];
            _logitsOffset = offsets[graph.Output];
            var input = shapes[Core.Models.ModelGraph.InputName];
            _hostInput = context.AllocatePinned<float>(input.ElementCount);
            _hostLogits = context.AllocatePinned<float>(shapes[graph.Output].ElementCount);

            // Workspace needs are known only once every step has chosen its algorithm; steps read the final
            // buffer through these fields when they run.
            var needs = new List<ulong>();
            using var search = backend.Options.MeasureConvolutionAlgorithms ? context.Allocate<byte>(SearchWorkspaceBytes(context)) : null;

            AddTransform("input NCHW→NHWC", Dims(input), At(ArenaPlan.NchwInputName), toNhwc: true, At(Core.Models.ModelGraph.InputName));
            foreach (var step in graph.Steps)
            {
                var x = shapes[step.Input];
                var y = shapes[step.Output];
                switch (step)
                {
                    case FusedConv { Conv.IsDepthwise: true } conv:
                        AddDepthwise(conv, Dims(x), Dims(y), At(conv.Input), At(conv.Output));
                        break;
                    case FusedConv conv:
                        needs.Add(AddConvolution(conv, Dims(x), Dims(y), At(conv.Input), conv.Residual is null ? 0 : At(conv.Residual), At(conv.Output), search));
                        break;
                    case FusedLinear linear:
                        needs.Add(AddLinear(linear, At(linear.Input), At(linear.Output)));
                        break;
                    case MaxPoolStep pool:
                        AddMaxPool(pool, Dims(x), At(pool.Input), At(pool.Output));
                        break;
                    case GlobalAvgPoolStep:
                        AddLaunch(step.Module, "pooling.cu", "global_avgpool_nhwc_f32", (long)x[0] * x[1],
                            a => a.Add(At(step.Input)).Add(At(step.Output)).Add((int)x[0]).Add((int)x[1]).Add((int)(x[2] * x[3])));
                        break;
                    case FlattenStep:
                        // PyTorch flattens in C, H, W order: NHWC → NCHW (a copy when H = W = 1).
                        AddTransform(step.Module, Dims(x), At(step.Input), toNhwc: false, At(step.Output));
                        break;
                    case AddStep add:
                        AddBiasAct(step.Module, Dims(x), At(add.Inputs[0]), shift: 0, residual: At(add.Inputs[1]), add.Relu, At(add.Output));
                        break;
                    case ReluStep:
                        AddBiasAct(step.Module, Dims(x), At(step.Input), shift: 0, residual: 0, relu: true, At(step.Output));
                        break;
                    default:
                        throw new NotSupportedException($"The CUDA backend cannot run {step.GetType().Name} ('{step.Module}').");
                }
            }

            _workspaceBytes = needs.Count == 0 ? 0 : needs.Max();
            _workspace = context.Allocate<byte>((long)Math.Max(_workspaceBytes, 256));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public int BatchSize { get; }

    /// <summary>Whether runs replay a captured CUDA graph (false before the first run, or where capture failed or is off).</summary>
    public bool UsesGraph => _graph is not null;

    /// <summary>The steps in order, with what each runs (for logs and profiles).</summary>
    public IEnumerable<string> StepNames => _steps.Select(s => s.Name);

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<float> input, Span<float> logits)
    {
        _backend.Context.MakeCurrent();
        input.CopyTo(_hostInput.AsSpan());
        if (_graph is not null)
        {
            _graph.Launch(_stream);
        }
        else
        {
            Enqueue();
        }
        _stream.Synchronize();
        _hostLogits.AsSpan().CopyTo(logits);
        if (_graph is null && !_captureTried && _backend.Options.UseCudaGraphs)
        {
            Capture();
        }
    }

    /// <summary>Queues the whole pass: input up, every step, logits down.</summary>
    private void Enqueue()
    {
        _arena.EnqueueCopyFrom(_hostInput, _stream, _inputOffset);
        foreach (var (_, enqueue) in _steps)
        {
            enqueue();
        }
        _arena.EnqueueCopyTo(_hostLogits, _stream, _logitsOffset);
    }

    /// <summary>Records the pass as a CUDA graph; where the driver refuses, the plan stays eager and says why once.</summary>
    private void Capture()
    {
        _captureTried = true;
        CudaGraph? recorded = null;
        try
        {
            _stream.BeginCapture();
            try
            {
                Enqueue();
            }
            finally
            {
                recorded = _stream.EndCapture();
            }
            _graph = recorded.Instantiate();
        }
        catch (CudaException e)
        {
            _backend.Log($"CUDA graph capture failed for batch {BatchSize}, running eagerly: {e.Message}");
        }
        finally
        {
            recorded?.Dispose();
        }
    }

    private static TensorDims Dims(Core.Tensors.TensorShape shape) =>
        shape.Rank == 4 ? new TensorDims((int)shape[0], (int)shape[1], (int)shape[2], (int)shape[3]) : new TensorDims((int)shape[0], (int)shape[1], 1, 1);

    /// <summary>Room for cuDNN to try its algorithms while the plan is made: up to 256 MiB, a quarter of what is free.</summary>
    private static long SearchWorkspaceBytes(CudaContext context) => Math.Clamp(context.GetMemoryInfo().FreeBytes / 4, 16L << 20, 256L << 20);

    private T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    private void AddTransform(string name, TensorDims dims, ulong x, bool toNhwc, ulong y)
    {
        var nchw = Own(TensorDescriptor.Nchw(Float, dims.N, dims.C, dims.H, dims.W));
        var nhwc = Own(TensorDescriptor.Nhwc(Float, dims.N, dims.C, dims.H, dims.W));
        var (from, to) = toNhwc ? (nchw, nhwc) : (nhwc, nchw);
        _steps.Add((name, () => _cudnn.TransformTensor(from, x, to, y)));
    }

    /// <returns>The workspace this convolution needs.</returns>
    private ulong AddConvolution(FusedConv conv, TensorDims x, TensorDims y, ulong input, ulong residual, ulong output, DeviceBuffer<byte>? search)
    {
        var c = conv.Conv;
        var math = _backend.Options.Precision == Precision.Tf32 ? cudnnMathType_t.CUDNN_DEFAULT_MATH : cudnnMathType_t.CUDNN_FMA_MATH;
        var xDesc = Own(TensorDescriptor.Nhwc(Float, x.N, x.C, x.H, x.W));
        var wDesc = Own(FilterDescriptor.Create4d(Float, cudnnTensorFormat_t.CUDNN_TENSOR_NHWC, c.OutChannels, c.InChannels, c.Kernel.Height, c.Kernel.Width));
        var convDesc = Own(ConvolutionDescriptor.Create2d(new Convolution2dGeometry(c.Padding.Height, c.Padding.Width, c.Stride.Height, c.Stride.Width), math));
        var yDesc = Own(TensorDescriptor.Nhwc(Float, y.N, y.C, y.H, y.W));
        var weight = _backend.WeightOf(conv);
        var bias = _backend.BiasOf(conv);
        var activationMode = conv.Relu ? cudnnActivationMode_t.CUDNN_ACTIVATION_RELU : cudnnActivationMode_t.CUDNN_ACTIVATION_IDENTITY;

        ConvolutionPlan Choose(ConvolutionPlanOptions options) => search is null
            ? ConvolutionPlan.CreateByHeuristic(_cudnn, xDesc, wDesc, convDesc, yDesc, options)
            : ConvolutionPlan.CreateByMeasurement(_cudnn, xDesc, input, wDesc, weight, convDesc, yDesc, output, search.Pointer, (ulong)search.SizeInBytes,
                options with { MaxWorkspaceBytes = Math.Min(options.MaxWorkspaceBytes, (ulong)search.SizeInBytes) });

        // One cuDNN call for conv + bias (+ residual) (+ ReLU) where cuDNN allows it (IDENTITY only with
        // IMPLICIT_PRECOMP_GEMM); otherwise the convolution alone and our bias_act kernel after it.
        ConvolutionPlan plan;
        try
        {
            plan = Choose(new ConvolutionPlanOptions { FusedActivation = activationMode });
        }
        catch (CudaException e)
        {
            _backend.Log($"'{conv.Module}': no fused cuDNN convolution+bias+activation ({e.Message}); using convolution then bias_act.");
            plan = Choose(new ConvolutionPlanOptions());
            var p = plan;
            _steps.Add(($"{conv.Module} cudnnConvolutionForward {p.Algorithm}", () => p.Forward(input, weight, output, _workspace!.Pointer, _workspaceBytes)));
            AddBiasAct($"{conv.Module} bias_act", y, output, bias, residual, conv.Relu, output);
            return plan.WorkspaceBytes;
        }

        var biasDesc = Own(TensorDescriptor.Nchw(Float, 1, c.OutChannels, 1, 1));
        var activation = Own(ActivationDescriptor.Create(activationMode));
        var fused = plan;
        _steps.Add(($"{conv.Module} cudnnConvolutionBiasActivationForward {fused.Algorithm}{(residual != 0 ? " +residual" : "")}{(conv.Relu ? " +ReLU" : "")}",
            () => fused.ForwardBiasActivation(input, weight, biasDesc, bias, activation, output, _workspace!.Pointer, _workspaceBytes,
                z: residual, alpha2: residual != 0 ? 1f : 0f)));
        return plan.WorkspaceBytes;
    }

    private void AddDepthwise(FusedConv conv, TensorDims x, TensorDims y, ulong input, ulong output)
    {
        var weight = _backend.WeightOf(conv);
        var bias = _backend.BiasOf(conv);
        AddLaunch($"{conv.Module} depthwise3x3", "depthwise_conv3x3.cu", "depthwise3x3_nhwc_f32", y.ElementCount,
            a => a.Add(input).Add(weight).Add(bias).Add(output).Add(x.N).Add(x.C).Add(x.H).Add(x.W)
                .Add(conv.Conv.Stride.Height).Add(conv.ReluInput ? 1 : 0).Add(conv.Relu ? 1 : 0));
    }

    private void AddMaxPool(MaxPoolStep pool, TensorDims x, ulong input, ulong output)
    {
        var p = pool.Pool;
        var outH = (x.H + 2 * p.Padding.Height - p.Kernel.Height) / p.Stride.Height + 1;
        var outW = (x.W + 2 * p.Padding.Width - p.Kernel.Width) / p.Stride.Width + 1;
        AddLaunch($"{pool.Module} maxpool2d", "pooling.cu", "maxpool2d_nhwc_f32", (long)x.N * x.C * outH * outW,
            a => a.Add(input).Add(output).Add(x.N).Add(x.C).Add(x.H).Add(x.W).Add(p.Kernel.Height).Add(p.Stride.Height).Add(p.Padding.Height));
    }

    private void AddBiasAct(string name, TensorDims dims, ulong input, ulong shift, ulong residual, bool relu, ulong output) =>
        AddLaunch(name, "bias_act.cu", "bias_act_nhwc_f32", dims.ElementCount,
            a => a.Add(input).Add(0UL).Add(shift).Add(residual).Add(output).Add(dims.N).Add(dims.C).Add(dims.H * dims.W).Add(relu ? 1 : 0));

    /// <summary>A kernel launch with its arguments fixed now, one thread per item (the kernels grid-stride).</summary>
    private void AddLaunch(string name, string file, string entry, long items, Action<KernelArguments> arguments)
    {
        var kernel = _backend.Kernel(file, entry);
        var args = new KernelArguments();
        arguments(args);
        var grid = Dim3.BlocksFor(items, Block);
        _steps.Add(($"{name} {entry}", () => kernel.Launch(grid, Block, _stream, args)));
    }

    /// <returns>The workspace this matrix multiply needs.</returns>
    private ulong AddLinear(FusedLinear linear, ulong input, ulong output)
    {
        var compute = _backend.Options.Precision == Precision.Tf32 ? cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32 : cublasComputeType_t.CUBLAS_COMPUTE_32F;
        var epilogue = linear.Relu ? cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_BIAS : cublasLtEpilogue_t.CUBLASLT_EPILOGUE_BIAS;
        var spec = LtMatmulSpec.RowMajorLinear(BatchSize, linear.Linear.InFeatures, linear.Linear.OutFeatures, cudaDataType_t.CUDA_R_32F, compute, epilogue);
        var plan = Own(LtMatmulPlan.Create(_lt, spec, _backend.BiasOf(linear)));
        var weight = _backend.WeightOf(linear);
        _steps.Add(($"{linear.Module} cublasLtMatmul {epilogue}", () => plan.Run(weight, input, output, _workspace!.Pointer, _workspaceBytes, _stream.Handle)));
        return plan.WorkspaceBytes;
    }

    public void Dispose()
    {
        _graph?.Dispose();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
        _owned.Clear();
        _workspace?.Dispose();
        _arena?.Dispose();
        _hostInput?.Dispose();
        _hostLogits?.Dispose();
        _lt.Dispose();
        _cudnn.Dispose();
        _stream.Dispose();
    }
}
