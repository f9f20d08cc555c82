using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Dnn;
using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Kernels.Launchers;

namespace CudaGenre.Engine.Cuda;

/// <summary>One step of a CUDA plan: its name (for <see cref="IExecutionPlan.Describe"/>) and what it queues on the plan's stream.</summary>
internal readonly record struct PlanStep(string Name, Action Enqueue);

/// <summary>
/// Where a plan's cuDNN and cuBLASLt calls find their workspace when they run: the search buffer while the plan is
/// made (so that candidate step sequences can be timed), then the buffer sized for the choices. Steps read it at run
/// time, so it can be swapped after they are made.
/// </summary>
internal sealed class Workspace
{
    public ulong Pointer { get; set; }

    public ulong Bytes { get; set; }
}

/// <summary>
/// What an op's lowering (<see cref="Ops.ICudaOp.Lower"/>) may use to turn a step into launches: the plan's stream
/// and library handles, how values are stored and where they live, the weights, the kernels, the options and the
/// autotuner; and where it puts the steps it makes, the objects they need kept alive and the workspace they need.
/// </summary>
internal sealed class LoweringContext(
    CudaContext context, CudaStream stream, CudnnHandle cudnn, CublasLtHandle lt, Precision precision, ArenaLayout values,
    DeviceWeights weights, KernelSet kernels, CudaOptions options, Autotuner tuner, int batchSize)
{
    private readonly List<IDisposable> _owned = [];

    public CudaContext Context => context;

    public CudaStream Stream => stream;

    public CudnnHandle Cudnn => cudnn;

    public CublasLtHandle Lt => lt;

    public Precision Precision => precision;

    public ArenaLayout Values => values;

    public DeviceWeights Weights => weights;

    public CudaOptions Options => options;

    public Autotuner Tuner => tuner;

    public int BatchSize => batchSize;

    /// <summary>Room for cuDNN to try its algorithms while the plan is made; null when not measuring.</summary>
    public DeviceBuffer<byte>? Search { get; init; }

    /// <summary>Room for the ReLU'd input of a depthwise step that cuDNN runs (it has no ReLU prologue); null when not needed.</summary>
    public DeviceBuffer<byte>? Scratch { get; init; }

    public Workspace Workspace { get; } = new();

    /// <summary>The steps made so far, in order.</summary>
    public List<PlanStep> Steps { get; } = [];

    /// <summary>The largest workspace a chosen step needs.</summary>
    public ulong WorkspaceNeed { get; private set; }

    /// <summary>Objects the steps use (descriptors, cuDNN and cuBLASLt plans), disposed with the plan.</summary>
    public IReadOnlyList<IDisposable> Owned => _owned;

    public void NeedWorkspace(ulong bytes) => WorkspaceNeed = Math.Max(WorkspaceNeed, bytes);

    /// <summary>Forgets the needs of steps that were made for timing and then dropped.</summary>
    public void ResetWorkspaceNeed(ulong bytes) => WorkspaceNeed = bytes;

    public T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Add(string name, Action enqueue) => Steps.Add(new PlanStep(name, enqueue));

    /// <summary>A kernel launch as a step named after its entry point, its arguments fixed now.</summary>
    public void AddLaunch(string name, PreparedLaunch launch) => Add($"{name} {launch.EntryPoint}", Launch(launch));

    /// <summary>The launch, replayable: the kernel is looked up now, so a run allocates nothing.</summary>
    public Action Launch(PreparedLaunch launch)
    {
        var kernel = kernels.Get(launch.File, launch.EntryPoint);
        return () => launch.Enqueue(kernel, stream);
    }

    public void Log(string message) => tuner.Log(message);
}

/// <summary>The backend's loaded kernel modules, by file; a plan looks its entry points up when it is made, not per run.</summary>
internal sealed class KernelSet(IReadOnlyDictionary<string, CudaModule> modules)
{
    public CudaKernel Get(string file, string entry) => modules.TryGetValue(file, out var module)
        ? module.GetKernel(entry)
        : throw new InvalidOperationException($"kernel file {file} was not loaded: the op that launches {entry} must list it in its KernelFiles.");
}
