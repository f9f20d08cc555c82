namespace CudaGenre.Cuda.Driver;

/// <summary>
/// A queue of device work (copies, kernels, graphs) that runs in order. Pass <see cref="Handle"/> to
/// cuBLAS/cuDNN (<c>cublasSetStream_v2</c>, <c>cudnnSetStream</c>) to queue their work on it too.
/// </summary>
public sealed class CudaStream : IDisposable
{
    private readonly StreamHandle _handle;

    internal unsafe CudaStream(CudaContext context, CUstream_flags flags)
    {
        Context = context;
        context.MakeCurrent();
        _handle = new StreamHandle(context.SafeHandle);
        nint stream;
        DriverStatus.Check(DriverApi.cuStreamCreate(&stream, (uint)flags));
        _handle.Attach(stream);
    }

    /// <summary>The context the stream belongs to.</summary>
    public CudaContext Context { get; }

    /// <summary>The driver's <c>CUstream</c>.</summary>
    public nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>Waits until everything queued so far has finished; throws the first asynchronous error.</summary>
    public void Synchronize()
    {
        Context.MakeCurrent();
        DriverStatus.Check(DriverApi.cuStreamSynchronize(Handle));
    }

    /// <summary>
    /// Starts recording the work queued on this stream into a graph instead of running it. The default mode,
    /// thread-local, refuses unsafe calls (e.g. allocation) on this thread only. End with <see cref="EndCapture"/>,
    /// or use <see cref="CudaGraph.Capture"/>, which also ends a capture that throws.
    /// </summary>
    public void BeginCapture(CUstreamCaptureMode mode = CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL)
    {
        Context.MakeCurrent();
        DriverStatus.Check(DriverApi.cuStreamBeginCapture_v2(Handle, mode));
    }

    /// <summary>Ends the capture and returns the recorded graph.</summary>
    /// <exception cref="CudaException">E.g. CUDA_ERROR_STREAM_CAPTURE_INVALIDATED when a captured call failed.</exception>
    public unsafe CudaGraph EndCapture()
    {
        Context.MakeCurrent();
        var graph = new GraphHandle(Context.SafeHandle);
        nint raw;
        DriverStatus.Check(DriverApi.cuStreamEndCapture(Handle, &raw));
        graph.Attach(raw);
        return new CudaGraph(Context, graph);
    }

    /// <summary>Whether the stream is capturing (and whether the capture was invalidated).</summary>
    public unsafe CUstreamCaptureStatus CaptureStatus
    {
        get
        {
            Context.MakeCurrent();
            CUstreamCaptureStatus status;
            DriverStatus.Check(DriverApi.cuStreamIsCapturing(Handle, &status));
            return status;
        }
    }

    /// <summary>Destroys the stream (queued work still completes). Never throws.</summary>
    public void Dispose() => _handle.Dispose();
}
