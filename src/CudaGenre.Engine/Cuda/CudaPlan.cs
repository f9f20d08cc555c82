using System.Globalization;
using CudaGenre.Cuda;
using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Dnn;
using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Kernels.Launchers;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda;

/// <summary>
/// One forward pass on the GPU for one batch size, prepared once: its own stream, cuDNN and cuBLASLt handles,
/// one activation arena on the device (NHWC, in the storage type, planned by liveness with
/// <see cref="ArenaPlan"/>), a small FP32 buffer for the batch as it arrives and for the classifier head, one
/// workspace sized for the largest need, pinned host buffers for the input and the logits, and each step bound
/// to its addresses with its cuDNN algorithm chosen. After the first (eager) run the whole pass, copies
/// included, is captured as a CUDA graph and replayed. <see cref="Run"/> allocates nothing. One caller at a time.
/// </summary>
internal sealed class CudaPlan : IExecutionPlan
{
    /// <summary>The depthwise candidate that is cuDNN's grouped convolution (the others are named by their entry points).</summary>
    internal const string CudnnDepthwise = "cuDNN grouped convolution";

    private readonly CudaBackend _backend;
    private readonly CudaStorage _storage;
    private readonly CudaStream _stream;
    private readonly CudnnHandle _cudnn;
    private readonly CublasLtHandle _lt;
    private readonly DeviceBuffer<byte> _arena;
    private readonly DeviceBuffer<float> _floats;
    private readonly PinnedHostBuffer<float> _hostInput;
    private readonly PinnedHostBuffer<float> _hostLogits;
    private readonly long _logitsOffset;
    private readonly List<(string Name, Action Enqueue)> _steps = [];
    private readonly List<IDisposable> _owned = [];
    private readonly HashSet<string> _widened = new(StringComparer.Ordinal);
    private readonly List<DepthwiseChoice> _depthwiseChoices = [];
    private readonly List<DepthwiseChoice> _separableChoices = [];
    private readonly List<ResizeTables> _resizeTables = [];
    private PixelStaging? _pixels;
    private readonly ulong _inputAddress;
    private readonly DeviceBuffer<byte>? _scratch;
    private readonly DeviceBuffer<byte>? _workspace;
    // What the steps use as cuDNN/cuBLASLt workspace when they run: the search buffer while the plan is made (so that
    // candidate step sequences can be timed), then the workspace sized for the choices.
    private readonly ulong _workspacePointer;
    private readonly ulong _workspaceBytes;
    private CudaGraphExec? _graph;
    private bool _captureTried;

    public CudaPlan(CudaBackend backend, int batchSize)
    {
        _backend = backend;
        BatchSize = batchSize;
        var context = backend.Context;
        _storage = backend.Storage;
        // One plan is made at a time per session: cuDNN's timing runs may synchronize the device, which must not
        // happen while another plan of this session is capturing its graph (Capture takes the same lock).
        lock (backend.PlanningLock)
        try
        {
            context.MakeCurrent();
            _stream = context.CreateStream();
            _cudnn = CudnnHandle.Create();
            _cudnn.SetStream(_stream.Handle);
            _lt = CublasLtHandle.Create();
            var graph = backend.Graph;
            var shapes = graph.InferShapes(batchSize);
            var (plan, offsets) = ArenaPlan.ForGraph(graph, shapes);
            _arena = context.Allocate<byte>(Core.SizeMath.Multiply(Math.Max(plan.Length, 1), _storage.Bytes));
            _arena.EnqueueFillBytes(0, _stream); // finite values for the timing runs made while planning
            ulong At(string value) => _arena.PointerAt(Core.SizeMath.Multiply(offsets[value], _storage.Bytes));
            // Room for the ReLU'd input of a depthwise step that cuDNN runs (it has no ReLU prologue).
            var scratch = graph.Steps.OfType<FusedConv>().Where(c => c.Conv.IsDepthwise && c.ReluInput).Select(c => shapes[c.Input].ElementCount).DefaultIfEmpty(0).Max();
            _scratch = backend.Options.MeasureConvolutionAlgorithms && scratch > 0 ? context.Allocate<byte>(scratch * _storage.Bytes) : null;

            // FP32 side buffer: the batch as it arrives (NCHW), then the head's inputs and outputs. The head is
            // every linear layer; its input is widened from the storage type where that is not FP32.
            var input = shapes[Core.Models.ModelGraph.InputName];
            var floatOffsets = new Dictionary<string, long>(StringComparer.Ordinal) { [ArenaPlan.NchwInputName] = 0 };
            long floatLength = input.ElementCount;
            long Reserve(string value, long count)
            {
                floatLength = (floatLength + 63) & ~63L;
                floatOffsets[value] = floatLength;
                floatLength += count;
                return floatOffsets[value];
            }
            // Every head operand lives here, 256-byte aligned as cuBLASLt's heuristic assumes by default: the
            // features are copied (FP32) or widened (16-bit) out of the arena, whose alignment is only 64 bytes.
            foreach (var linear in graph.Steps.OfType<FusedLinear>())
            {
                if (!floatOffsets.ContainsKey(linear.Input) && !floatOffsets.ContainsKey(linear.Input + "#f32"))
                    Reserve(linear.Input + "#f32", shapes[linear.Input].ElementCount);
                Reserve(linear.Output, shapes[linear.Output].ElementCount);
            }
            if (!floatOffsets.TryGetValue(graph.Output, out _logitsOffset))
                throw new NotSupportedException($"The CUDA backend needs the model to end with a linear layer; '{graph.Output}' is not one.");
            _floats = context.Allocate<float>(floatLength);
            ulong FloatAt(string value) => _floats.PointerAt(floatOffsets[value]);
            ulong LinearInput(string value) => FloatAt(floatOffsets.ContainsKey(value) ? value : value + "#f32");
            _hostInput = context.AllocatePinned<float>(input.ElementCount);
            _hostLogits = context.AllocatePinned<float>(shapes[graph.Output].ElementCount);

            // Workspace needs are known only once every step has chosen its algorithm; steps read the final
            // buffer through these fields when they run.
            var needs = new List<ulong>();
            using var search = backend.Options.MeasureConvolutionAlgorithms ? context.Allocate<byte>(SearchWorkspaceBytes(context)) : null;
            (_workspacePointer, _workspaceBytes) = search is null ? (0UL, 0UL) : (search.Pointer, (ulong)search.SizeInBytes);

            var inputDims = Dims(input);
            _inputAddress = At(Core.Models.ModelGraph.InputName);
            AddLaunch("input NCHW FP32 → NHWC", ConvertKernels.Input(KernelLayout.Nhwc, _storage.Element, FloatAt(ArenaPlan.NchwInputName),
                At(Core.Models.ModelGraph.InputName), inputDims.N, inputDims.C, inputDims.H * inputDims.W));
            for (var index = 0; index < graph.Steps.Count; index++)
            {
                var step = graph.Steps[index];
                var x = shapes[step.Input];
                var y = shapes[step.Output];
                switch (step)
                {
                    case FusedConv { Conv.IsDepthwise: true } conv when PointwiseAfter(graph, index) is { } pointwise:
                        // The fused kernel reads x while it writes y; the arena may have put y over x (x dies at the
                        // depthwise step), and then only the two steps can run.
                        var apart = offsets[conv.Input] + x.ElementCount <= offsets[pointwise.Output]
                            || offsets[pointwise.Output] + shapes[pointwise.Output].ElementCount <= offsets[conv.Input];
                        needs.Add(AddSeparable(conv, pointwise, Dims(x), Dims(y), Dims(shapes[pointwise.Output]), At(conv.Input), At(conv.Output),
                            pointwise.Residual is null ? 0 : At(pointwise.Residual), At(pointwise.Output), apart, search));
                        index++;
                        break;
                    case FusedConv { Conv.IsDepthwise: true } conv:
                        needs.Add(AddDepthwise(conv, Dims(x), Dims(y), At(conv.Input), At(conv.Output), search));
                        break;
                    case FusedConv conv:
                        needs.Add(AddConvolution(conv, Dims(x), Dims(y), At(conv.Input), conv.Residual is null ? 0 : At(conv.Residual), At(conv.Output), search));
                        break;
                    case FusedLinear linear:
                        if (!floatOffsets.ContainsKey(linear.Input) && !_widened.Contains(linear.Input))
                        {
                            var count = shapes[linear.Input].ElementCount;
                            AddLaunch($"{linear.Module} features → FP32", ConvertKernels.Widen(_storage.Element, At(linear.Input), FloatAt(linear.Input + "#f32"), count));
                            _widened.Add(linear.Input);
                        }
                        needs.Add(AddLinear(linear, LinearInput(linear.Input), FloatAt(linear.Output)));
                        break;
                    case MaxPoolStep pool:
                        AddMaxPool(pool, Dims(x), At(pool.Input), At(pool.Output));
                        break;
                    case GlobalAvgPoolStep:
                        AddLaunch(step.Module, PoolingKernels.GlobalAvgPool(KernelLayout.Nhwc, _storage.Element, At(step.Input), At(step.Output),
                            (int)x[0], (int)x[1], (int)(x[2] * x[3])));
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

            backend.Choices.Save(backend.Log);
            var workspaceBytes = needs.Count == 0 ? 0 : needs.Max();
            _workspace = context.Allocate<byte>((long)Math.Max(workspaceBytes, 256));
            (_workspacePointer, _workspaceBytes) = (_workspace.Pointer, workspaceBytes);
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

    /// <summary>Per depthwise step: our kernel's and cuDNN's measured times and which one runs (empty when not measured).</summary>
    public IReadOnlyList<DepthwiseChoice> DepthwiseChoices => _depthwiseChoices;

    /// <summary>Per separable convolution (depthwise + 1×1): the two steps' and the fused kernel's times and which one runs.</summary>
    public IReadOnlyList<DepthwiseChoice> SeparableChoices => _separableChoices;

    /// <inheritdoc/>
    public IReadOnlyList<string> Describe() =>
    [
        .. _steps.Select(s => s.Name),
        $"CUDA graph: {(UsesGraph ? "captured, replayed" : _captureTried ? "capture failed, eager" : _backend.Options.UseCudaGraphs ? "not yet captured (after the first run)" : "off")}; workspace {_workspaceBytes >> 10} KiB",
        .. _depthwiseChoices.Select(c => c.Describe("depthwise")),
        .. _separableChoices.Select(c => c.Describe("separable")),
    ];

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

    /// <summary>
    /// Runs the pass on <see cref="BatchSize"/> 8-bit RGB images: their pixels go up as they are, in one copy, and
    /// <c>preprocess.cu</c> resizes and normalizes each run of same-sized images on the GPU straight into the input
    /// of the pass (bit for bit the CPU's <see cref="Core.Imaging.ImagePreprocessor"/>). Runs eagerly, since sizes
    /// may change from call to call; each size's resize tables are uploaded once (the last few sizes are kept).
    /// </summary>
    public void RunImages(IReadOnlyList<Core.Imaging.RgbImage> images, Span<float> logits)
    {
        if (images.Count != BatchSize)
            throw new ArgumentException($"{images.Count} images were given to a plan for batch {BatchSize}.", nameof(images));
        _backend.Context.MakeCurrent();
        var bytes = images.Sum(i => (long)i.Pixels.Length);
        if (_pixels is null || _pixels.Host.Count < bytes)
        {
            _pixels?.Dispose();
            _pixels = null;
            _pixels = new PixelStaging(_backend.Context, bytes);
        }
        var host = _pixels.Host.AsSpan();
        long at = 0;
        foreach (var image in images)
        {
            image.Pixels.CopyTo(host[(int)at..]);
            at += image.Pixels.Length;
        }
        _pixels.Device.EnqueueCopyFrom(_pixels.Host, _stream);

        var settings = _backend.Graph.Source.Spec.ToPreprocessSettings();
        var perImage = (ulong)((long)settings.Height * settings.Width * 3 * _storage.Bytes);
        at = 0;
        for (var first = 0; first < images.Count;)
        {
            var (width, height) = (images[first].Width, images[first].Height);
            var count = 1;
            while (first + count < images.Count && images[first + count].Width == width && images[first + count].Height == height)
                count++;
            ResizeTablesFor(width, height).Enqueue(_pixels.Device.PointerAt(at), count, _inputAddress + ((ulong)first * perImage));
            at += (long)count * width * height * 3;
            first += count;
        }
        // Step 0 converts an FP32 input batch; the images have written the input themselves.
        for (var i = 1; i < _steps.Count; i++)
            _steps[i].Enqueue();
        _floats.EnqueueCopyTo(_hostLogits, _stream, _logitsOffset);
        _stream.Synchronize();
        _hostLogits.AsSpan().CopyTo(logits);
    }

    /// <summary>The resize tables for one image size, made on first use; the four most recent sizes are kept, so memory stays bounded.</summary>
    private ResizeTables ResizeTablesFor(int width, int height)
    {
        var index = _resizeTables.FindIndex(t => t.Width == width && t.Height == height);
        if (index >= 0)
        {
            var found = _resizeTables[index];
            _resizeTables.RemoveAt(index);
            _resizeTables.Add(found);
            return found;
        }
        if (_resizeTables.Count == 4)
        {
            _resizeTables[0].Dispose();
            _resizeTables.RemoveAt(0);
        }
        var tables = new ResizeTables(this, width, height);
        _resizeTables.Add(tables);
        return tables;
    }

    /// <summary>Pinned host and device buffers for a batch's pixels (grown when a batch needs more).</summary>
    private sealed class PixelStaging : IDisposable
    {
        public PixelStaging(CudaContext context, long bytes)
        {
            Host = context.AllocatePinned<byte>(bytes);
            try
            {
                Device = context.Allocate<byte>(bytes);
            }
            catch
            {
                Host.Dispose();
                throw;
            }
        }

        public PinnedHostBuffer<byte> Host { get; }

        public DeviceBuffer<byte> Device { get; }

        public void Dispose()
        {
            Device.Dispose();
            Host.Dispose();
        }
    }

    /// <summary>One image size's resize tables on the device, and the preprocess launch that uses them.</summary>
    private sealed class ResizeTables : IDisposable
    {
        private readonly List<IDisposable> _buffers = [];
        private readonly CudaPlan _plan;
        private readonly CudaKernel _kernel;
        private readonly PreparedLaunch _launch;
        private readonly Core.Imaging.PreprocessSettings _settings;

        public ResizeTables(CudaPlan plan, int width, int height)
        {
            (_plan, Width, Height) = (plan, width, height);
            _settings = plan._backend.Graph.Source.Spec.ToPreprocessSettings();
            try
            {
                var context = plan._backend.Context;
                var normalize = new Core.Imaging.ImagePreprocessor(_settings);
                var across = new Core.Imaging.ResizeFilter(width, _settings.Width);
                var down = new Core.Imaging.ResizeFilter(height, _settings.Height);
                DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> values) where T : unmanaged
                {
                    var buffer = context.Allocate<T>(Math.Max(values.Length, 1));
                    _buffers.Add(buffer);
                    buffer.CopyFrom(values, plan._stream);
                    return buffer;
                }
                var (hFirst, hCount, hWeights) = (Upload(across.FirstTaps), Upload(across.TapCounts), Upload(across.Weights));
                var (vFirst, vCount, vWeights) = (Upload(down.FirstTaps), Upload(down.TapCounts), Upload(down.Weights));
                var (scale, offset) = (normalize.ChannelScale, normalize.ChannelOffset);
                // The pixels, the output and the image count change per call; Enqueue retargets them.
                _launch = PreprocessKernels.Launch(KernelLayout.Nhwc, plan._storage.Element, src: 0, rowPitch: (long)width * 3, imageStride: (long)width * height * 3, pixelBytes: 3,
                    hFirst.Pointer, hCount.Pointer, hWeights.Pointer, across.MaxTaps, vFirst.Pointer, vCount.Pointer, vWeights.Pointer, down.MaxTaps,
                    scale[0], scale[1], scale[2], offset[0], offset[1], offset[2], y: 0, nBatch: 1, _settings.Height, _settings.Width);
                _kernel = plan._backend.Kernel(_launch.File, _launch.EntryPoint);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public int Width { get; }

        public int Height { get; }

        /// <summary>Queues the preprocessing of <paramref name="images"/> consecutive images of this size at <paramref name="pixels"/> into <paramref name="output"/>.</summary>
        public void Enqueue(ulong pixels, int images, ulong output)
        {
            var grid = PreprocessKernels.Retarget(_launch, pixels, output, images, _settings.Height, _settings.Width);
            _kernel.Launch(grid, _launch.Block, _plan._stream, _launch.Arguments);
        }

        public void Dispose()
        {
            foreach (var buffer in _buffers)
                buffer.Dispose();
        }
    }

    /// <summary>Queues the whole pass: input up, every step, logits down.</summary>
    private void Enqueue()
    {
        _floats.EnqueueCopyFrom(_hostInput, _stream, 0);
        foreach (var (_, enqueue) in _steps)
        {
            enqueue();
        }
        _floats.EnqueueCopyTo(_hostLogits, _stream, _logitsOffset);
    }

    /// <summary>Records the pass as a CUDA graph; where the driver refuses, the plan stays eager and says why once.</summary>
    private void Capture()
    {
        lock (_backend.PlanningLock)
            CaptureLocked();
    }

    private void CaptureLocked()
    {
        _captureTried = true;
        CudaGraph? recorded = null;
        try
        {
            // CudaGraph.Capture ends a capture that failed without hiding the exception that explains why.
            recorded = CudaGraph.Capture(_stream, _ => Enqueue());
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
        var nchw = Own(TensorDescriptor.Nchw(_storage.DataType, dims.N, dims.C, dims.H, dims.W));
        var nhwc = Own(TensorDescriptor.Nhwc(_storage.DataType, dims.N, dims.C, dims.H, dims.W));
        var (from, to) = toNhwc ? (nchw, nhwc) : (nhwc, nchw);
        _steps.Add((name, () => _cudnn.TransformTensor(from, x, to, y)));
    }

    /// <returns>The workspace this convolution needs.</returns>
    private ulong AddConvolution(FusedConv conv, TensorDims x, TensorDims y, ulong input, ulong residual, ulong output, DeviceBuffer<byte>? search)
    {
        var c = conv.Conv;
        var type = _storage.DataType;
        var xDesc = Own(TensorDescriptor.Nhwc(type, x.N, x.C, x.H, x.W));
        var wDesc = Own(FilterDescriptor.Create4d(type, cudnnTensorFormat_t.CUDNN_TENSOR_NHWC, c.OutChannels, c.InChannels, c.Kernel.Height, c.Kernel.Width));
        var convDesc = Own(ConvolutionDescriptor.Create2d(new Convolution2dGeometry(c.Padding.Height, c.Padding.Width, c.Stride.Height, c.Stride.Width),
            _storage.MathType, cudnnDataType_t.CUDNN_DATA_FLOAT));
        var yDesc = Own(TensorDescriptor.Nhwc(type, y.N, y.C, y.H, y.W));
        var weight = _backend.WeightOf(conv);
        var bias = _backend.BiasOf(conv);
        var activationMode = conv.Relu ? cudnnActivationMode_t.CUDNN_ACTIVATION_RELU : cudnnActivationMode_t.CUDNN_ACTIVATION_IDENTITY;

        ConvolutionPlan Choose(ConvolutionPlanOptions options)
        {
            if (search is null)
                return ConvolutionPlan.CreateByHeuristic(_cudnn, xDesc, wDesc, convDesc, yDesc, options);
            var key = $"conv {xDesc} * {wDesc} ({convDesc.Geometry}) → {yDesc}, {_storage.MathType}, fused {options.FusedActivation?.ToString() ?? "none"}";
            options = options with { MaxWorkspaceBytes = Math.Min(options.MaxWorkspaceBytes, (ulong)search.SizeInBytes) };
            return Known(key, options) ?? Remember(key, ConvolutionPlan.CreateByMeasurement(_cudnn, xDesc, input, wDesc, weight, convDesc, yDesc, output,
                search.Pointer, (ulong)search.SizeInBytes, options));

            ConvolutionPlan? Known(string key, ConvolutionPlanOptions options) => TryKnownAlgorithm(key, out var algorithm, out var math)
                ? TryCreate(() => ConvolutionPlan.CreateWithAlgorithm(_cudnn, xDesc, wDesc, convDesc, yDesc, algorithm, math, options))
                : null;
        }

        // FP32: one cuDNN call for conv + bias (+ residual) (+ ReLU) where cuDNN allows it (IDENTITY only with
        // IMPLICIT_PRECOMP_GEMM). 16-bit storage, or where cuDNN refuses: the convolution alone, then our bias_act
        // kernel (its bias is FP32 in every precision, where cuDNN's fused bias would be in the storage type).
        if (_storage.IsFloat)
        {
            try
            {
                var fused = Choose(new ConvolutionPlanOptions { FusedActivation = activationMode });
                var biasDesc = Own(TensorDescriptor.Nchw(type, 1, c.OutChannels, 1, 1));
                var activation = Own(ActivationDescriptor.Create(activationMode));
                // Run the fused call once now (on the zeroed arena): if cuDNN refuses this combination it says so
                // here, where the split path can take over, and not in every Run.
                using (var trial = search is null ? _backend.Context.Allocate<byte>((long)Math.Max(fused.WorkspaceBytes, 256)) : null)
                {
                    var (space, bytes) = trial is null ? (search!.Pointer, (ulong)search.SizeInBytes) : (trial.Pointer, (ulong)trial.SizeInBytes);
                    fused.ForwardBiasActivation(input, weight, biasDesc, bias, activation, output, space, bytes, z: residual, alpha2: residual != 0 ? 1f : 0f);
                    _stream.Synchronize();
                }
                _steps.Add(($"{conv.Module} cudnnConvolutionBiasActivationForward {fused.Algorithm}{(residual != 0 ? " +residual" : "")}{(conv.Relu ? " +ReLU" : "")}",
                    () => fused.ForwardBiasActivation(input, weight, biasDesc, bias, activation, output, _workspacePointer, _workspaceBytes,
                        z: residual, alpha2: residual != 0 ? 1f : 0f)));
                return fused.WorkspaceBytes;
            }
            catch (CudaException e)
            {
                _backend.Log($"'{conv.Module}': no fused cuDNN convolution+bias+activation ({e.Message}); using convolution then bias_act.");
            }
        }
        var plan = Choose(new ConvolutionPlanOptions());
        _steps.Add(($"{conv.Module} cudnnConvolutionForward {plan.Algorithm}", () => plan.Forward(input, weight, output, _workspacePointer, _workspaceBytes)));
        AddBiasAct($"{conv.Module} bias_act", y, output, bias, residual, conv.Relu, output);
        return plan.WorkspaceBytes;
    }

    /// <summary>
    /// The fastest way to run a depthwise step, measured here on this device and shape among: our plain kernel
    /// (one thread per output), our register-strip kernel (4 outputs along W per thread, stride 1 or 2), its vector
    /// variant (4 channels per load as well, where C is a multiple of 4), our shared-memory tile kernel (each input
    /// read once per 4×8×32 tile), and cuDNN's grouped convolution (groups = channels). cuDNN cannot apply the ReLU on the input, so its
    /// candidate includes a ReLU pass into <see cref="_scratch"/> and our bias_act kernel after it. The times and
    /// the choice are kept in <see cref="DepthwiseChoices"/> and saved for later processes. Without measuring, the
    /// last of our candidates runs (the tile kernel for strides 1 and 2: the fewest global loads).
    /// </summary>
    /// <returns>The workspace the chosen candidate needs.</returns>
    private ulong AddDepthwise(FusedConv conv, TensorDims x, TensorDims y, ulong input, ulong output, DeviceBuffer<byte>? search)
    {
        var weight = _backend.WeightOf(conv);
        var bias = _backend.BiasOf(conv);
        var stride = conv.Conv.Stride.Height;
        var candidates = new List<(string Name, Action Run)>();
        void Ours(DepthwiseVariant variant)
        {
            var launch = DepthwiseConv3x3Kernels.Launch(variant, KernelLayout.Nhwc, _storage.Element, input, weight, bias, output,
                x.N, x.C, x.H, x.W, stride, conv.ReluInput, conv.Relu);
            candidates.Add((launch.EntryPoint, Launch(launch)));
        }
        Ours(DepthwiseVariant.Plain);
        if (stride <= 2)
        {
            Ours(DepthwiseVariant.Strip);
            // Every arena tensor starts at a multiple of 16 elements, so 4 channels are one aligned vector when C is a multiple of 4.
            if (x.C % 4 == 0)
                Ours(DepthwiseVariant.Vector);
            Ours(DepthwiseVariant.Tile);
        }
        var forced = _backend.Options.Depthwise;
        if (forced is not null && candidates.FindIndex(c => c.Name == forced) is >= 0 and var chosen)
        {
            _depthwiseChoices.Add(new DepthwiseChoice(conv.Module, $"{x}", stride, [], forced, "forced"));
            _steps.Add(($"{conv.Module} {forced}", candidates[chosen].Run));
            return 0;
        }
        if (search is null)
        {
            _steps.Add(($"{conv.Module} {candidates[^1].Name}", candidates[^1].Run));
            return 0;
        }

        var type = _storage.DataType;
        var xDesc = Own(TensorDescriptor.Nhwc(type, x.N, x.C, x.H, x.W));
        // [C, 1, 3, 3] in KRSC is [C, 3, 3, 1]: the same bytes as the depthwise weights we hold.
        var wDesc = Own(FilterDescriptor.Create4d(type, cudnnTensorFormat_t.CUDNN_TENSOR_NHWC, x.C, 1, 3, 3));
        var convDesc = Own(ConvolutionDescriptor.Create2d(new Convolution2dGeometry(1, 1, stride, stride, Groups: x.C), _storage.MathType, cudnnDataType_t.CUDNN_DATA_FLOAT));
        var yDesc = Own(TensorDescriptor.Nhwc(type, y.N, y.C, y.H, y.W));
        var key = $"depthwise {xDesc} stride {stride}, ReLU in {conv.ReluInput}, ReLU out {conv.Relu}, {_storage.MathType}";
        // A forced cuDNN candidate ignores what an earlier run measured, and is not saved for later runs.
        var forceCudnn = forced == CudnnDepthwise;
        var saved = !forceCudnn && _backend.Choices.TryGet(key, out var savedChoice) ? savedChoice : null;

        ConvolutionPlan? plan = null;
        string cudnnNote;
        if (saved is not null && !saved.StartsWith("cudnn|", StringComparison.Ordinal) && candidates.FindIndex(c => c.Name == saved) is >= 0 and var index)
        {
            // An earlier run measured one of our kernels fastest: no need to ask cuDNN at all.
            _depthwiseChoices.Add(new DepthwiseChoice(conv.Module, $"{x}", stride, [], saved, "measured in an earlier run"));
            _steps.Add(($"{conv.Module} {saved}", candidates[index].Run));
            return 0;
        }
        var known = saved is not null && TryKnownAlgorithm(key, out var savedAlgorithm, out var savedMath)
            ? TryCreate(() => ConvolutionPlan.CreateWithAlgorithm(_cudnn, xDesc, wDesc, convDesc, yDesc, savedAlgorithm, savedMath))
            : null;
        try
        {
            plan = known ?? ConvolutionPlan.CreateByMeasurement(_cudnn, xDesc, input, wDesc, weight, convDesc, yDesc, output, search.Pointer, (ulong)search.SizeInBytes,
                new ConvolutionPlanOptions { MaxWorkspaceBytes = (ulong)search.SizeInBytes });
            cudnnNote = $"cuDNN {plan.Algorithm}";
        }
        catch (CudaException e)
        {
            cudnnNote = $"cuDNN has no grouped convolution for it: {e.Message}";
        }

        var source = input;
        Action? prologue = null;
        if (conv.ReluInput)
        {
            source = _scratch!.Pointer;
            prologue = BiasAct(x, input, shift: 0, residual: 0, relu: true, source);
        }
        var epilogue = BiasAct(y, output, bias, residual: 0, conv.Relu, output);
        Action CudnnWith(Func<ulong> workspace, Func<ulong> bytes) => () =>
        {
            prologue?.Invoke();
            plan!.Forward(source, weight, output, workspace(), bytes());
            epilogue();
        };
        if (known is not null)
        {
            _depthwiseChoices.Add(new DepthwiseChoice(conv.Module, $"{x}", stride, [], CudnnDepthwise, $"{cudnnNote}, measured in an earlier run"));
            _steps.Add(($"{conv.Module} {CudnnDepthwise} {plan!.Algorithm}", CudnnWith(() => _workspacePointer, () => _workspaceBytes)));
            return plan.WorkspaceBytes;
        }

        if (forceCudnn && plan is not null)
        {
            _depthwiseChoices.Add(new DepthwiseChoice(conv.Module, $"{x}", stride, [], CudnnDepthwise, $"{cudnnNote}, forced"));
            _steps.Add(($"{conv.Module} {CudnnDepthwise} {plan.Algorithm}", CudnnWith(() => _workspacePointer, () => _workspaceBytes)));
            return plan.WorkspaceBytes;
        }

        var times = candidates.Select(c => (c.Name, Ms: TimeOnStream(c.Name, c.Run))).ToList();
        if (plan is not null)
            times.Add((CudnnDepthwise, TimeOnStream(CudnnDepthwise, CudnnWith(() => search.Pointer, () => (ulong)search.SizeInBytes))));
        var best = times.MinBy(t => t.Ms).Name;
        _depthwiseChoices.Add(new DepthwiseChoice(conv.Module, $"{x}", stride, times, best, cudnnNote));
        if (best != CudnnDepthwise)
        {
            _backend.Choices.Set(key, best);
            _steps.Add(($"{conv.Module} {best}", candidates.Single(c => c.Name == best).Run));
            return 0;
        }
        _backend.Choices.Set(key, $"cudnn|{plan!.Algorithm}|{plan.MathType}");
        _steps.Add(($"{conv.Module} {CudnnDepthwise} {plan.Algorithm}", CudnnWith(() => _workspacePointer, () => _workspaceBytes)));
        return plan.WorkspaceBytes;
    }

    /// <summary>
    /// The 1×1 convolution right after depthwise step <paramref name="index"/> that alone reads the depthwise output
    /// (Xception's separable convolution: ReLU → depthwise → pointwise), or null.
    /// </summary>
    internal static FusedConv? PointwiseAfter(FusedGraph graph, int index)
    {
        var depthwise = (FusedConv)graph.Steps[index];
        if (index + 1 >= graph.Steps.Count || graph.Steps[index + 1] is not FusedConv next)
            return null;
        var c = next.Conv;
        var pointwise = c.Kernel == Core.Models.Size2d.Square(1) && c.Stride == Core.Models.Size2d.Square(1) && c.Padding == Core.Models.Size2d.Square(0)
            && c.Groups == 1 && !next.ReluInput;
        var onlyReader = graph.Output != depthwise.Output && graph.Steps.Count(s => s.Inputs.Contains(depthwise.Output)) == 1;
        return pointwise && onlyReader && next.Input == depthwise.Output && next.Residual != depthwise.Output ? next : null;
    }

    /// <summary>
    /// A depthwise step and the 1×1 convolution that alone reads it: as two steps (<see cref="AddDepthwise"/>'s choice,
    /// then <see cref="AddConvolution"/>'s), or as one <c>separable3x3</c> kernel whose depthwise values never leave
    /// the chip, whichever is faster here, timed on this stream (<see cref="SessionOptions.Separable"/> may force
    /// either). The times and the choice are kept in <see cref="SeparableChoices"/> and saved for later processes.
    /// Without measuring, the two steps run: cuDNN's tensor-core 1×1 convolutions usually win in 16-bit. The fused
    /// kernel cannot write over its input, so where the arena put y over x (<paramref name="apart"/> false) only the two steps run.
    /// </summary>
    /// <returns>The workspace the chosen path needs.</returns>
    private ulong AddSeparable(FusedConv depthwise, FusedConv pointwise, TensorDims x, TensorDims middle, TensorDims y,
        ulong input, ulong between, ulong residual, ulong output, bool apart, DeviceBuffer<byte>? search)
    {
        var stride = depthwise.Conv.Stride.Height;
        var launch = SeparableConv3x3Kernels.Launch(_storage.Element, input, _backend.WeightOf(depthwise), _backend.BiasOf(depthwise),
            _backend.WeightOf(pointwise), _backend.BiasOf(pointwise), residual, output, x.N, x.C, x.H, x.W, y.C, stride,
            depthwise.ReluInput, depthwise.Relu, pointwise.Relu);
        var entry = launch.EntryPoint;
        var fused = Launch(launch);
        var fusedName = $"{depthwise.Module} + {pointwise.Module} {entry}{(residual != 0 ? " +residual" : "")}{(pointwise.Relu ? " +ReLU" : "")}";
        var module = $"{depthwise.Module} + {pointwise.Module}";
        var shape = $"{x.N}×{x.C}×{x.H}×{x.W} → {y.C}";
        var mode = _backend.Options.Separable;
        if (!apart && mode == SeparablePath.Fused)
            _backend.Log($"'{module}': the output shares memory with the input, so the fused separable kernel cannot run; two steps run.");
        if (apart && mode == SeparablePath.Fused)
        {
            _steps.Add((fusedName, fused));
            _separableChoices.Add(new DepthwiseChoice(module, shape, stride, [], entry, "forced"));
            return 0;
        }

        var key = $"separable {shape} stride {stride}, ReLU in {depthwise.ReluInput} mid {depthwise.Relu} out {pointwise.Relu}, residual {residual != 0}, {_storage.DataType}, {_storage.MathType}";
        var measure = apart && mode == SeparablePath.Fastest && search is not null;
        var saved = measure && _backend.Choices.TryGet(key, out var value) ? value : null;
        if (saved == entry)
        {
            _steps.Add((fusedName, fused));
            _separableChoices.Add(new DepthwiseChoice(module, shape, stride, [], entry, "measured in an earlier run"));
            return 0;
        }

        var start = _steps.Count;
        var need = Math.Max(AddDepthwise(depthwise, x, middle, input, between, search), AddConvolution(pointwise, middle, y, between, residual, output, search));
        const string Split = "depthwise, then 1×1 convolution";
        if (!measure || saved is not null)
        {
            _separableChoices.Add(new DepthwiseChoice(module, shape, stride, [], Split,
                saved is not null ? "measured in an earlier run" : !apart ? "output over input in the arena" : mode == SeparablePath.Split ? "forced" : "not measured"));
            return need;
        }
        var split = _steps.GetRange(start, _steps.Count - start).Select(s => s.Enqueue).ToArray();
        var times = new List<(string Name, double Ms)>
        {
            (Split, TimeOnStream(Split, () =>
            {
                foreach (var run in split)
                    run();
            })),
            (entry, TimeOnStream(entry, fused)),
        };
        var best = times.MinBy(t => t.Ms).Name;
        _separableChoices.Add(new DepthwiseChoice(module, shape, stride, times, best, "depthwise values kept on chip vs stored and read back"));
        _backend.Choices.Set(key, best);
        if (best == Split)
            return need;
        _steps.RemoveRange(start, _steps.Count - start);
        _steps.Add((fusedName, fused));
        return 0;
    }

    /// <summary>The algorithm and math type saved under <paramref name="key"/> ("ALGO|MATH" or "cudnn|ALGO|MATH").</summary>
    private bool TryKnownAlgorithm(string key, out cudnnConvolutionFwdAlgo_t algorithm, out cudnnMathType_t math)
    {
        algorithm = default;
        math = default;
        if (!_backend.Choices.TryGet(key, out var value))
            return false;
        var parts = value.Split('|');
        return parts.Length >= 2
            && Enum.TryParse(parts[^2], out algorithm)
            && Enum.TryParse(parts[^1], out math);
    }

    /// <summary>A plan from a saved choice, or null when cuDNN no longer accepts it (then the caller measures).</summary>
    private ConvolutionPlan? TryCreate(Func<ConvolutionPlan> create)
    {
        try
        {
            return create();
        }
        catch (CudaException e)
        {
            _backend.Log($"CUDA: a saved algorithm choice no longer works ({e.Message}); measuring again.");
            return null;
        }
    }

    /// <summary>Keeps a measured convolution choice for later processes.</summary>
    private ConvolutionPlan Remember(string key, ConvolutionPlan plan)
    {
        _backend.Choices.Set(key, $"{plan.Algorithm}|{plan.MathType}");
        return plan;
    }

    /// <summary>What timing one candidate may cost: enough for 3 rounds of 10 calls of a kernel of a few µs.</summary>
    private const double TimingBudgetMs = 5;

    /// <summary>
    /// Milliseconds per call of candidate <paramref name="name"/> on this plan's stream: an untimed call, a timed
    /// one, then the best of up to 3 rounds of up to 10 calls, as many as fit <see cref="TimingBudgetMs"/> by the
    /// timed call (at least one round of one), so that planning a large batch stays bounded. A candidate that fails
    /// to launch here (too many registers for this device, say) is logged and timed as +∞, so another one runs; a
    /// fault that breaks the context still ends the plan, with its error.
    /// </summary>
    private double TimeOnStream(string name, Action work)
    {
        using var start = _backend.Context.CreateEvent();
        using var end = _backend.Context.CreateEvent();
        try
        {
            work();
            _stream.Synchronize();
        }
        catch (CudaException e)
        {
            _backend.Log($"CUDA: the candidate '{name}' cannot run here ({e.Message}); another one is used.");
            return double.PositiveInfinity;
        }
        var best = Timed(1);
        var (rounds, calls) = TimingRounds(best, TimingBudgetMs);
        for (var round = 0; round < rounds; round++)
            best = Math.Min(best, Timed(calls));
        return best;

        double Timed(int count)
        {
            start.Record(_stream);
            for (var i = 0; i < count; i++)
                work();
            end.Record(_stream);
            end.Synchronize();
            return CudaEvent.ElapsedMilliseconds(start, end) / count;
        }
    }

    /// <summary>Rounds and calls per round that time a candidate of <paramref name="callMs"/> within <paramref name="budgetMs"/>: 3 × 10 at most, 1 × 1 at least.</summary>
    internal static (int Rounds, int Calls) TimingRounds(double callMs, double budgetMs)
    {
        var fits = callMs > 0 ? budgetMs / callMs : double.PositiveInfinity;
        return fits >= 30 ? (3, 10) : fits >= 3 ? (3, (int)(fits / 3)) : (1, 1);
    }

    private void AddMaxPool(MaxPoolStep pool, TensorDims x, ulong input, ulong output)
    {
        var p = pool.Pool;
        AddLaunch($"{pool.Module} maxpool2d", PoolingKernels.MaxPool2d(KernelLayout.Nhwc, _storage.Element, input, output,
            x.N, x.C, x.H, x.W, p.Kernel.Height, p.Stride.Height, p.Padding.Height));
    }

    private void AddBiasAct(string name, TensorDims dims, ulong input, ulong shift, ulong residual, bool relu, ulong output) =>
        _steps.Add((name, BiasAct(dims, input, shift, residual, relu, output)));

    private Action BiasAct(TensorDims dims, ulong input, ulong shift, ulong residual, bool relu, ulong output) =>
        Launch(BiasActKernels.Launch(KernelLayout.Nhwc, _storage.Element, input, scale: 0, shift, residual, output, dims.N, dims.C, dims.H * dims.W, relu));

    /// <summary>A kernel launch as a step, its arguments fixed now.</summary>
    private void AddLaunch(string name, PreparedLaunch launch) => _steps.Add(($"{name} {launch.EntryPoint}", Launch(launch)));

    /// <summary>The launch, replayable: the kernel is looked up now, so a run allocates nothing.</summary>
    private Action Launch(PreparedLaunch launch)
    {
        var kernel = _backend.Kernel(launch.File, launch.EntryPoint);
        return () => launch.Enqueue(kernel, _stream);
    }

    /// <returns>The workspace this matrix multiply needs.</returns>
    private ulong AddLinear(FusedLinear linear, ulong input, ulong output)
    {
        var compute = _backend.Options.Precision == Precision.Tf32 ? cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32 : cublasComputeType_t.CUBLAS_COMPUTE_32F;
        var epilogue = linear.Relu ? cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_BIAS : cublasLtEpilogue_t.CUBLASLT_EPILOGUE_BIAS;
        var spec = LtMatmulSpec.RowMajorLinear(BatchSize, linear.Linear.InFeatures, linear.Linear.OutFeatures, cudaDataType_t.CUDA_R_32F, compute, epilogue);
        var plan = Own(LtMatmulPlan.Create(_lt, spec, _backend.BiasOf(linear)));
        var weight = _backend.WeightOf(linear);
        _steps.Add(($"{linear.Module} cublasLtMatmul {epilogue}", () => plan.Run(weight, input, output, _workspacePointer, _workspaceBytes, _stream.Handle)));
        return plan.WorkspaceBytes;
    }

    public void Dispose()
    {
        _graph?.Dispose();
        foreach (var tables in _resizeTables)
            tables.Dispose();
        _pixels?.Dispose();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
        _owned.Clear();
        _workspace?.Dispose();
        _scratch?.Dispose();
        _arena?.Dispose();
        _floats?.Dispose();
        _hostInput?.Dispose();
        _hostLogits?.Dispose();
        _lt?.Dispose();
        _cudnn?.Dispose();
        _stream?.Dispose();
    }
}

/// <summary>One depthwise step's measured choice among our kernels and cuDNN's grouped convolution.</summary>
/// <param name="Module">The step.</param>
/// <param name="InputShape">Its input, NCHW dims.</param>
/// <param name="Stride">1 or 2.</param>
/// <param name="Times">Each candidate's ms per call (cuDNN's includes the ReLU and bias passes it needs); empty when an earlier run's choice was used.</param>
/// <param name="Chosen">The candidate that runs.</param>
/// <param name="Note">cuDNN's algorithm, or why it was not a candidate.</param>
internal sealed record DepthwiseChoice(string Module, string InputShape, int Stride, IReadOnlyList<(string Name, double Ms)> Times, string Chosen, string Note)
{
    /// <summary>One line for <see cref="InferenceSession.DescribePlan"/>: "KIND module shape stride s: a 0.0123 ms, b … → chosen (note)".</summary>
    public string Describe(string kind) => string.Create(CultureInfo.InvariantCulture,
        $"{kind} {Module} {InputShape} stride {Stride}: {(Times.Count == 0 ? "not timed" : string.Join(", ", Times.Select(t => $"{t.Name} {t.Ms:0.0000} ms")))} → {Chosen} ({Note})");
}
