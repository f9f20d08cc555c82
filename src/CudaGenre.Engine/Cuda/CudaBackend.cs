using CudaGenre.Core.Models;
using CudaGenre.Cuda;
using CudaGenre.Cuda.Dnn;
using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Kernels;
using CudaGenre.Cuda.Kernels.Launchers;
using CudaGenre.Cuda.Nvrtc;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda;

/// <summary>
/// The CUDA backend's form of one model, made once per session: the device's primary context, our kernels
/// (compiled by NVRTC for the device, through the disk cache), and every weight on the device in the layout and
/// type its consumer wants: convolution filters KRSC for cuDNN's NHWC convolutions and depthwise filters [C, 3, 3]
/// for our kernel, both in the storage type (<see cref="CudaStorage"/>); linear weights [out, in] for cuBLASLt
/// and every bias in FP32 (the head runs in FP32 in every precision). Each batch size then gets a
/// <see cref="CudaPlan"/> with its own stream, handles, activation arena and CUDA graph.
/// </summary>
internal sealed class CudaBackend : IModelBackend
{
    /// <summary>The kernel files the forward passes use.</summary>
    private static readonly string[] KernelFiles = ["pooling.cu", "bias_act.cu", "convert.cu", "preprocess.cu"];

    /// <summary>Compiled only for graphs with depthwise steps (Xception), so that a cold start of the others does not pay for them.</summary>
    private static readonly string[] DepthwiseKernelFiles = ["depthwise_conv3x3.cu", "separable_conv3x3.cu"];

    private readonly Dictionary<FusedStep, long> _weightOffsets = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<FusedStep, long> _biasOffsets = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, CudaModule> _modules = new(StringComparer.Ordinal);
    private readonly Action<string>? _log;

    private CudaBackend(FusedGraph graph, SessionOptions options)
    {
        Graph = graph;
        Options = options;
        _log = options.Log;
        Storage = CudaStorage.For(options.Precision);
        CheckSupported(graph);

        CudaDriver.Initialize();
        var count = CudaDevice.Count;
        if (options.Device < 0 || options.Device >= count)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"CUDA device {options.Device} does not exist: the driver reports {count} device(s).");
        }
        Device = CudaDevice.Get(options.Device);
        Context = Device.RetainPrimaryContext();
        Choices = AlgorithmChoices.Open(options.MeasureConvolutionAlgorithms
            ? Path.Combine(KernelCache.DefaultDirectory(), AlgorithmChoices.FileName(Device.Name, Device.ComputeCapability.Arch, CudnnHandle.LibraryVersion))
            : null, _log);
        Context.MakeCurrent();
        try
        {
            LoadKernels();
            (Filters, Floats) = UploadWeights();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Held while a plan is made or captures its graph: planning may synchronize the device, which a capture in progress must not see.</summary>
    public Lock PlanningLock { get; } = new();

    /// <summary>The optimized graph.</summary>
    public FusedGraph Graph { get; }

    /// <summary>The session's options (precision, graphs, device).</summary>
    public SessionOptions Options { get; }

    /// <summary>The device.</summary>
    public CudaDevice Device { get; }

    /// <summary>Its primary context (retained by this backend).</summary>
    public CudaContext Context { get; }

    /// <summary>The measured cuDNN algorithms and depthwise choices, kept on disk (empty and unsaved when not measuring).</summary>
    public AlgorithmChoices Choices { get; }

    /// <summary>How activations and filters are stored.</summary>
    public CudaStorage Storage { get; }

    /// <summary>Convolution and depthwise filters, in the storage type.</summary>
    public DeviceBuffer<byte> Filters { get; } = null!;

    /// <summary>Linear weights and every bias, FP32.</summary>
    public DeviceBuffer<float> Floats { get; } = null!;

    /// <summary>Device address of a step's weights (a filter in the storage type, or a linear layer's FP32 matrix).</summary>
    public ulong WeightOf(FusedStep step) => step is FusedLinear ? Floats.PointerAt(_weightOffsets[step]) : Filters.PointerAt(_weightOffsets[step]);

    /// <summary>Device address of a step's FP32 bias.</summary>
    public ulong BiasOf(FusedStep step) => Floats.PointerAt(_biasOffsets[step]);

    /// <summary>Opens the backend, or says in one line why CUDA cannot be used here (for <see cref="Backend.Auto"/>).</summary>
    public static bool TryCreate(FusedGraph graph, SessionOptions options, out CudaBackend? backend, out string reason)
    {
        backend = null;
        if (!CudaDriver.TryInitialize(out var driverProblem))
        {
            reason = driverProblem;
            return false;
        }
        foreach (var library in new[] { NativeLibraryNames.Cudnn, NativeLibraryNames.CublasLt, NativeLibraryNames.Nvrtc })
        {
            var probe = NativeLibraries.Probe(library);
            if (!probe.Found)
            {
                reason = $"{library} was not found (set {NativeLibraries.PathVariable} to the folder that holds it; `cudagenre info` shows where it was looked for)";
                return false;
            }
        }
        try
        {
            backend = Create(graph, options);
            reason = "";
            return true;
        }
        catch (Exception e) when (e is CudaException or NotSupportedException or ArgumentException or CudaLibraryNotFoundException or NvrtcCompilationException)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>Opens the backend; every problem (no driver, no device, a missing library, an unsupported step) is an exception saying which.</summary>
    public static CudaBackend Create(FusedGraph graph, SessionOptions options) => new(graph, options);

    public IExecutionPlan CreatePlan(int batchSize) => new CudaPlan(this, batchSize);

    /// <summary>Entry point <paramref name="entry"/> of kernel file <paramref name="file"/> (looked up when a plan is made, not per run).</summary>
    public CudaKernel Kernel(string file, string entry) => _modules[file].GetKernel(entry);

    public void Log(string message) => _log?.Invoke(message);

    /// <summary>The steps this backend runs; anything else is refused when the session opens, not at the first Run.</summary>
    private static void CheckSupported(FusedGraph graph)
    {
        // A linear layer's output lives in the FP32 head buffer, not the arena: only another linear layer may read it.
        var linearOutputs = graph.Steps.OfType<FusedLinear>().Select(l => l.Output).ToHashSet(StringComparer.Ordinal);
        if (graph.Steps.FirstOrDefault(s => s is not FusedLinear && s.Inputs.Any(linearOutputs.Contains)) is { } reader)
        {
            throw new NotSupportedException($"'{reader.Module}' reads a linear layer's output; the CUDA backend runs the classifier head (linear layers only) last.");
        }
        foreach (var step in graph.Steps)
        {
            switch (step)
            {
                case FusedConv { Conv.IsDepthwise: true } conv:
                    var c = conv.Conv;
                    if (c.Kernel != Size2d.Square(3) || c.Padding != Size2d.Square(1) || c.Stride.Height != c.Stride.Width || conv.Residual is not null)
                    {
                        throw new NotSupportedException($"'{conv.Module}': the CUDA backend's depthwise kernel takes 3×3 filters, padding 1, equal strides and no residual.");
                    }
                    break;
                case FusedConv conv:
                    if (conv.Conv.Groups != 1 || conv.ReluInput)
                    {
                        throw new NotSupportedException($"'{conv.Module}': the CUDA backend runs grouped convolutions only as depthwise 3×3, and a ReLU on the input only before one.");
                    }
                    break;
                case MaxPoolStep pool:
                    var p = pool.Pool;
                    if (p.Kernel.Height != p.Kernel.Width || p.Stride.Height != p.Stride.Width || p.Padding.Height != p.Padding.Width)
                    {
                        throw new NotSupportedException($"'{pool.Module}': the CUDA backend's max pool needs square windows, equal strides and equal padding.");
                    }
                    break;
                case FusedLinear or GlobalAvgPoolStep or FlattenStep or AddStep or ReluStep:
                    break;
                default:
                    throw new NotSupportedException($"The CUDA backend cannot run {step.GetType().Name} ('{step.Module}').");
            }
        }
    }

    private void LoadKernels()
    {
        var compiler = KernelCompiler.CreateDefault();
        var target = KernelTarget.ForDevice(Device.ComputeCapability, NvrtcCompiler.SupportedArchitectures);
        var depthwise = Graph.Steps.Any(s => s is FusedConv { Conv.IsDepthwise: true });
        foreach (var file in depthwise ? [.. KernelFiles, .. DepthwiseKernelFiles] : KernelFiles)
        {
            _modules[file] = compiler.Compile(file, target).Load(Context);
        }
    }

    /// <summary>Lays every weight out for its consumer and uploads them: filters in the storage type, the rest in FP32.</summary>
    private (DeviceBuffer<byte> Filters, DeviceBuffer<float> Floats) UploadWeights()
    {
        var filters = new List<byte>();
        var floats = new List<float>();
        // Every tensor starts on a 256-byte boundary: cuDNN and cuBLASLt pick faster paths for aligned operands.
        long AppendFilter(float[] values)
        {
            while (filters.Count % 256 != 0)
                filters.Add(0);
            var at = filters.Count; // a byte offset: Filters is a byte buffer
            filters.AddRange(Storage.Encode(values));
            return at;
        }
        long AppendFloats(float[] values)
        {
            while (floats.Count % 64 != 0)
                floats.Add(0f);
            var at = floats.Count;
            floats.AddRange(values);
            return at;
        }
        foreach (var step in Graph.Steps)
        {
            switch (step)
            {
                case FusedConv conv:
                    _weightOffsets[step] = AppendFilter(conv.Conv.IsDepthwise ? conv.Weight : ToKrsc(conv));
                    _biasOffsets[step] = AppendFloats(conv.Bias);
                    break;
                case FusedLinear linear:
                    _weightOffsets[step] = AppendFloats(linear.Weight);
                    _biasOffsets[step] = AppendFloats(linear.Bias);
                    break;
            }
        }
        var filterBuffer = Context.Allocate<byte>(Math.Max(filters.Count, 256));
        var floatBuffer = Context.Allocate<float>(Math.Max(floats.Count, 64));
        using var stream = Context.CreateStream();
        filterBuffer.CopyFrom(filters.ToArray(), stream);
        floatBuffer.CopyFrom(floats.ToArray(), stream);
        stream.Synchronize();
        Log($"CUDA: {Device}, {Storage.Element.Suffix()} filters {filters.Count >> 20} MiB and FP32 head and biases {floats.Count * 4L >> 20} MiB on the device; kernels {string.Join(", ", KernelFiles)} loaded.");
        return (filterBuffer, floatBuffer);
    }

    /// <summary>PyTorch's [out, in, kh, kw] → [out, kh, kw, in], the filter layout of cuDNN's NHWC convolutions.</summary>
    internal static float[] ToKrsc(FusedConv conv)
    {
        int k = conv.Conv.OutChannels, c = conv.Conv.InChannels, r = conv.Conv.Kernel.Height, s = conv.Conv.Kernel.Width;
        var krsc = new float[conv.Weight.Length];
        for (var o = 0; o < k; o++)
        {
            for (var i = 0; i < c; i++)
            {
                for (var y = 0; y < r; y++)
                {
                    for (var x = 0; x < s; x++)
                    {
                        krsc[((o * r + y) * s + x) * c + i] = conv.Weight[((o * c + i) * r + y) * s + x];
                    }
                }
            }
        }
        return krsc;
    }

    public void Dispose()
    {
        Filters?.Dispose();
        Floats?.Dispose();
        foreach (var module in _modules.Values)
        {
            module.Dispose();
        }
        _modules.Clear();
        Context?.Dispose();
    }
}
