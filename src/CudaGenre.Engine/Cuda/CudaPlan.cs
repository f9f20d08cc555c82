using CudaGenre.Core.Imaging;
using CudaGenre.Core.Models;
using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Dnn;
using CudaGenre.Cuda.Driver;
using CudaGenre.Engine.Cuda.Ops;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda;

/// <summary>
/// One forward pass on the GPU for one batch size, prepared once: its own stream, cuDNN and cuBLASLt handles, its
/// values laid out by <see cref="ArenaLayout"/>, one workspace sized for the largest need, pinned host buffers for
/// the input and the logits, and each graph step lowered by its op (<see cref="CudaOps"/>) into launches bound to
/// their addresses, its candidates timed by an <see cref="Autotuner"/>. After the first (eager) run the pass is
/// replayed as a CUDA graph (<see cref="CudaGraphReplay"/>); images come in through <see cref="ImageIngest"/>.
/// <see cref="Run(ReadOnlySpan{float}, Span{float})"/> allocates nothing. One caller at a time.
/// </summary>
internal sealed class CudaPlan : IExecutionPlan
{
    private readonly CudaContext _context;
    private readonly CudaStream _stream;
    private readonly CudnnHandle _cudnn;
    private readonly CublasLtHandle _lt;
    private readonly ArenaLayout _values;
    private readonly PinnedHostBuffer<float> _hostInput;
    private readonly PinnedHostBuffer<float> _hostLogits;
    private readonly IReadOnlyList<PlanStep> _steps = [];
    private readonly IReadOnlyList<IDisposable> _owned = [];
    private readonly Autotuner _tuner;
    private readonly CudaGraphReplay _replay;
    private readonly ImageIngest _images;
    private readonly DeviceBuffer<byte>? _scratch;
    private readonly DeviceBuffer<byte>? _workspace;
    private readonly ulong _workspaceBytes;

    public CudaPlan(CudaBackend backend, int batchSize)
    {
        BatchSize = batchSize;
        _context = backend.Context;
        var precision = backend.Precision;
        var graph = backend.Graph;
        var options = backend.Options;
        // One plan is made at a time per session: cuDNN's timing runs may synchronize the device, which must not
        // happen while another plan of this session is capturing its graph (the replay takes the same lock).
        lock (backend.PlanningLock)
        try
        {
            _context.MakeCurrent();
            _stream = _context.CreateStream();
            _cudnn = CudnnHandle.Create();
            _cudnn.SetStream(_stream.Handle);
            _lt = CublasLtHandle.Create();
            var shapes = graph.InferShapes(batchSize);
            _values = new ArenaLayout(_context, _stream, graph, shapes, precision.StorageBytes);
            var scratch = graph.Steps.OfType<FusedConv>().Where(c => c.Conv.IsDepthwise && c.ReluInput).Select(c => shapes[c.Input].ElementCount).DefaultIfEmpty(0).Max();
            _scratch = options.MeasureConvolutionAlgorithms && scratch > 0 ? _context.Allocate<byte>(scratch * precision.StorageBytes) : null;
            _hostInput = _context.AllocatePinned<float>(shapes[ModelGraph.InputName].ElementCount);
            _hostLogits = _context.AllocatePinned<float>(shapes[graph.Output].ElementCount);
            _tuner = new Autotuner(_context, _stream, backend.Choices, backend.Log);
            using var search = options.MeasureConvolutionAlgorithms ? _context.Allocate<byte>(SearchWorkspaceBytes(_context)) : null;
            var lowering = new LoweringContext(_context, _stream, _cudnn, _lt, precision, _values, backend.Weights, backend.Kernels, options, _tuner, batchSize)
            {
                Search = search,
                Scratch = _scratch,
            };
            (_steps, _owned) = (lowering.Steps, lowering.Owned);
            (lowering.Workspace.Pointer, lowering.Workspace.Bytes) = search is null ? (0UL, 0UL) : (search.Pointer, (ulong)search.SizeInBytes);

            Layout.LowerInput(lowering);
            CudaOps.LowerAll(lowering, graph);

            backend.Choices.Save(backend.Log);
            // Workspace needs are known only once every step has chosen its algorithm; steps read the final buffer
            // through the shared Workspace when they run.
            _workspaceBytes = lowering.WorkspaceNeed;
            _workspace = _context.Allocate<byte>((long)Math.Max(_workspaceBytes, 256));
            (lowering.Workspace.Pointer, lowering.Workspace.Bytes) = (_workspace.Pointer, _workspaceBytes);
            _replay = new CudaGraphReplay(_stream, Enqueue, backend.PlanningLock, options.UseCudaGraphs, backend.Log);
            _images = new ImageIngest(_context, _stream, precision.Storage, backend.Kernels);
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
    public bool UsesGraph => _replay.IsReplaying;

    /// <inheritdoc/>
    public IReadOnlyList<string> Describe() =>
    [
        .. _steps.Select(s => s.Name),
        $"CUDA graph: {_replay.Describe()}; workspace {_workspaceBytes >> 10} KiB",
        .. _tuner.Depthwise.Select(c => c.Describe("depthwise")),
        .. _tuner.Separable.Select(c => c.Describe("separable")),
    ];

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<float> input, Span<float> logits)
    {
        var n = ExecutionPlans.Items(input.Length, (int)(_hostInput.Count / BatchSize), BatchSize);
        _context.MakeCurrent();
        input.CopyTo(_hostInput.AsSpan());
        _replay.Enqueue();
        _stream.Synchronize();
        _hostLogits.AsSpan()[..(n * (int)(_hostLogits.Count / BatchSize))].CopyTo(logits);
        _replay.AfterRun(BatchSize);
    }

    /// <summary>
    /// Runs the pass on up to <see cref="BatchSize"/> 8-bit RGB images, preprocessed on the GPU (<see cref="ImageIngest"/>).
    /// Runs eagerly, since sizes may change from call to call.
    /// </summary>
    public void Run(IReadOnlyList<RgbImage> images, ImagePreprocessor preprocessor, Span<float> logits)
    {
        ExecutionPlans.RequireItems(images.Count, BatchSize);
        _context.MakeCurrent();
        _images.Enqueue(images, preprocessor, _values.At(ModelGraph.InputName));
        // Step 0 converts an FP32 input batch; the images have written the input themselves.
        for (var i = 1; i < _steps.Count; i++)
            _steps[i].Enqueue();
        _values.Floats.EnqueueCopyTo(_hostLogits, _stream, _values.LogitsOffset);
        _stream.Synchronize();
        _hostLogits.AsSpan()[..(images.Count * (int)(_hostLogits.Count / BatchSize))].CopyTo(logits);
    }

    /// <summary>Queues the whole pass: input up, every step, logits down.</summary>
    private void Enqueue()
    {
        _values.Floats.EnqueueCopyFrom(_hostInput, _stream, 0);
        foreach (var step in _steps)
            step.Enqueue();
        _values.Floats.EnqueueCopyTo(_hostLogits, _stream, _values.LogitsOffset);
    }

    /// <summary>Room for cuDNN to try its algorithms while the plan is made: up to 256 MiB, a quarter of what is free.</summary>
    private static long SearchWorkspaceBytes(CudaContext context) => Math.Clamp(context.GetMemoryInfo().FreeBytes / 4, 16L << 20, 256L << 20);

    public void Dispose()
    {
        _replay?.Dispose();
        _images?.Dispose();
        foreach (var owned in _owned)
            owned.Dispose();
        _workspace?.Dispose();
        _scratch?.Dispose();
        _values?.Dispose();
        _hostInput?.Dispose();
        _hostLogits?.Dispose();
        _lt?.Dispose();
        _cudnn?.Dispose();
        _stream?.Dispose();
    }
}
