using CudaGenre.Cuda;
using CudaGenre.Cuda.Dnn;
using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Kernels;
using CudaGenre.Cuda.Nvrtc;
using CudaGenre.Engine.Cuda.Ops;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda;

/// <summary>
/// The CUDA backend's form of one model, made once per session: the device's primary context, the kernels its ops
/// launch (compiled by NVRTC for the device, through the disk cache), and every weight on the device in the layout
/// and type its op wants (<see cref="DeviceWeights"/>). Each batch size then gets a <see cref="CudaPlan"/> with its
/// own stream, handles, activation arena and CUDA graph. What it can run is decided per step by the op set
/// (<see cref="CudaOps"/>), before anything is allocated.
/// </summary>
internal sealed class CudaBackend : IModelBackend
{
    /// <summary>The kernel files every plan uses besides its ops': the input conversion and the GPU image preprocessing.</summary>
    private static readonly string[] PlanKernelFiles = ["convert.cu", "preprocess.cu"];

    private readonly Dictionary<string, CudaModule> _modules = new(StringComparer.Ordinal);
    private readonly Action<string>? _log;

    private CudaBackend(FusedGraph graph, SessionOptions options)
    {
        BackendSupport.Require<CudaBackend>(graph);
        if (!options.Precision.RunsOnCuda)
        {
            throw new NotSupportedException($"Precision.{options.Precision} runs on the CPU backend only; the CUDA backend computes in FP32, TF32, FP16 or BF16.");
        }
        Graph = graph;
        Options = options.Cuda;
        _log = options.Log;
        Precision = options.Precision;

        CudaDriver.Initialize();
        var count = CudaDevice.Count;
        if (Options.Device < 0 || Options.Device >= count)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"CUDA device {Options.Device} does not exist: the driver reports {count} device(s).");
        }
        Device = CudaDevice.Get(Options.Device);
        Context = Device.RetainPrimaryContext();
        Choices = AlgorithmChoices.Open(Options.MeasureConvolutionAlgorithms
            ? Path.Combine(KernelCache.DefaultDirectory(), AlgorithmChoices.FileName(Device.Name, Device.ComputeCapability.Arch, CudnnHandle.LibraryVersion))
            : null, _log);
        Context.MakeCurrent();
        try
        {
            Kernels = LoadKernels();
            Weights = UploadWeights();
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

    /// <summary>The CUDA settings (graphs, measuring, device; what tests force).</summary>
    public CudaOptions Options { get; }

    /// <summary>The device.</summary>
    public CudaDevice Device { get; }

    /// <summary>Its primary context (retained by this backend).</summary>
    public CudaContext Context { get; }

    /// <summary>The measured cuDNN algorithms and depthwise choices, kept on disk (empty and unsaved when not measuring).</summary>
    public AlgorithmChoices Choices { get; }

    public Backend Kind => Backend.Cuda;

    public Precision Precision { get; }

    /// <summary>Every weight, on the device.</summary>
    public DeviceWeights Weights { get; } = null!;

    /// <summary>The loaded kernels.</summary>
    public KernelSet Kernels { get; } = null!;

    /// <summary>
    /// Whether the CUDA backend runs <paramref name="step"/> of <paramref name="graph"/>: its op's own conditions, and,
    /// since linear layers write the FP32 head buffer rather than the arena, only linear layers read their outputs
    /// and the model ends with one.
    /// </summary>
    public static bool Supports(FusedStep step, FusedGraph graph, out string reason)
    {
        if (step is not FusedLinear && graph.Steps.OfType<FusedLinear>().Any(l => step.Inputs.Contains(l.Output)))
        {
            reason = $"'{step.Module}' reads a linear layer's output; the CUDA backend runs the classifier head (linear layers only) last.";
            return false;
        }
        if (step.Output == graph.Output && step is not FusedLinear)
        {
            reason = $"The CUDA backend needs the model to end with a linear layer; '{graph.Output}' ('{step.Module}') is not one.";
            return false;
        }
        if (CudaOps.For(step) is not { } op)
        {
            reason = $"The CUDA backend cannot run {step.GetType().Name} ('{step.Module}').";
            return false;
        }
        return op.Supports(step, out reason);
    }

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

    /// <summary>True: a plan is a stream, handles, measured algorithms and a captured graph; a few more items on the GPU cost little.</summary>
    public bool PadsCheaply => true;

    public void Log(string message) => _log?.Invoke(message);

    /// <summary>The kernel files of the plan and of every op in the graph, each compiled (or read from the cache) and loaded once.</summary>
    private KernelSet LoadKernels()
    {
        var compiler = KernelCompiler.CreateDefault();
        var target = KernelTarget.ForDevice(Device.ComputeCapability, NvrtcCompiler.SupportedArchitectures);
        foreach (var file in Graph.Steps.SelectMany(s => CudaOps.For(s)!.KernelFiles).Concat(PlanKernelFiles).Distinct())
            _modules[file] = compiler.Compile(file, target).Load(Context);
        return new KernelSet(_modules);
    }

    /// <summary>Lays every weight out as its op wants it and uploads them.</summary>
    private DeviceWeights UploadWeights()
    {
        var packer = new DeviceWeights.Packer(Precision);
        foreach (var step in Graph.Steps)
            CudaOps.For(step)!.AddWeights(step, packer);
        var weights = packer.Upload(Context);
        Log($"CUDA: {Device}, {Precision.KernelSuffix} filters {packer.FilterBytes >> 20} MiB and FP32 head and biases {packer.FloatBytes >> 20} MiB on the device; kernels {string.Join(", ", _modules.Keys)} loaded.");
        return weights;
    }

    public void Dispose()
    {
        Weights?.Dispose();
        foreach (var module in _modules.Values)
        {
            module.Dispose();
        }
        _modules.Clear();
        Context?.Dispose();
    }
}
