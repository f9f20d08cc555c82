namespace CudaGenre.Cuda.Driver;

/// <summary>A marker in a stream: to wait for the work before it, or to time the work between two markers.</summary>
public sealed class CudaEvent : IDisposable
{
    private readonly EventHandle _handle;

    internal unsafe CudaEvent(CudaContext context, CUevent_flags flags)
    {
        Context = context;
        context.MakeCurrent();
        _handle = new EventHandle(context.SafeHandle);
        nint raw;
        DriverStatus.Check(DriverApi.cuEventCreate(&raw, (uint)flags));
        _handle.Attach(raw);
    }

    /// <summary>The context the event belongs to.</summary>
    public CudaContext Context { get; }

    /// <summary>The driver's <c>CUevent</c>.</summary>
    public nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>Queues the marker on <paramref name="stream"/>; it completes when the work queued before it has.</summary>
    public void Record(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Context.MakeCurrent();
        DriverStatus.Check(DriverApi.cuEventRecord(Handle, stream.Handle));
    }

    /// <summary>Waits until the marker has completed.</summary>
    public void Synchronize()
    {
        Context.MakeCurrent();
        DriverStatus.Check(DriverApi.cuEventSynchronize(Handle));
    }

    /// <summary>Milliseconds of device time from <paramref name="start"/> to <paramref name="end"/>; both must have completed and record timing.</summary>
    public static unsafe float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        start.Context.MakeCurrent();
        float ms;
        DriverStatus.Check(DriverApi.cuEventElapsedTime(&ms, start.Handle, end.Handle));
        return ms;
    }

    /// <summary>Destroys the event. Never throws.</summary>
    public void Dispose() => _handle.Dispose();
}
