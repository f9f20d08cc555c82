namespace CudaGenre.Cuda.Driver;

/// <summary>
/// A recorded sequence of device work (<c>CUgraph</c>), made by capturing a stream. Instantiate it once
/// (<see cref="Instantiate"/>) and launch the result many times: one launch replaces many small ones.
/// </summary>
public sealed class CudaGraph : IDisposable
{
    private readonly GraphHandle _handle;

    internal CudaGraph(CudaContext context, GraphHandle handle)
    {
        Context = context;
        _handle = handle;
    }

    /// <summary>
    /// Records what <paramref name="work"/> queues on <paramref name="stream"/> into a graph (nothing runs).
    /// If <paramref name="work"/> throws, the capture is ended and dropped, and the exception passes on.
    /// </summary>
    public static CudaGraph Capture(CudaStream stream, Action<CudaStream> work,
        CUstreamCaptureMode mode = CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(work);
        stream.BeginCapture(mode);
        try
        {
            work(stream);
        }
        catch
        {
            try
            {
                stream.EndCapture().Dispose();
            }
            catch (CudaException)
            {
                // The capture was already invalid; the caller's exception is the one that explains why.
            }
            throw;
        }
        return stream.EndCapture();
    }

    /// <summary>The context the graph belongs to.</summary>
    public CudaContext Context { get; }

    /// <summary>The driver's <c>CUgraph</c>.</summary>
    public nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>Makes an executable graph (<c>cuGraphInstantiateWithFlags</c>, no flags).</summary>
    public unsafe CudaGraphExec Instantiate()
    {
        Context.MakeCurrent();
        var exec = new GraphExecHandle(Context.SafeHandle);
        nint raw;
        DriverStatus.Check(DriverApi.cuGraphInstantiateWithFlags(&raw, Handle, 0));
        exec.Attach(raw);
        return new CudaGraphExec(Context, exec);
    }

    /// <summary>Destroys the graph (executable graphs made from it stay valid). Never throws.</summary>
    public void Dispose() => _handle.Dispose();
}

/// <summary>An instantiated graph (<c>CUgraphExec</c>), launched as one unit on a stream.</summary>
public sealed class CudaGraphExec : IDisposable
{
    private readonly GraphExecHandle _handle;

    internal CudaGraphExec(CudaContext context, GraphExecHandle handle)
    {
        Context = context;
        _handle = handle;
    }

    /// <summary>The context the graph belongs to.</summary>
    public CudaContext Context { get; }

    /// <summary>The driver's <c>CUgraphExec</c>.</summary>
    public nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>Queues the whole graph on <paramref name="stream"/>.</summary>
    public void Launch(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Context.MakeCurrent();
        DriverStatus.Check(DriverApi.cuGraphLaunch(Handle, stream.Handle));
    }

    /// <summary>Destroys the executable graph. Never throws.</summary>
    public void Dispose() => _handle.Dispose();
}
