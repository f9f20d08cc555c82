namespace CudaGenre.Cuda.Driver;

/// <summary>
/// A retain of a device's primary context: the context the CUDA runtime, cuBLAS and cuDNN also use, so
/// that memory and streams made here work with them. Everything made from it (streams, events, buffers,
/// modules, graphs) keeps it alive until they are disposed too. Methods make it current on the calling
/// thread when needed (cached per thread, so a repeat costs no driver call).
/// </summary>
public sealed class CudaContext : IDisposable
{
    private static int _generation;

    [ThreadStatic]
    private static nint t_current;

    [ThreadStatic]
    private static int t_generation;

    private CudaContext(CudaDevice device, PrimaryContextHandle handle)
    {
        Device = device;
        SafeHandle = handle;
    }

    /// <summary>Retains the primary context of <paramref name="device"/> and makes it current on this thread.</summary>
    public static CudaContext RetainPrimary(CudaDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        CudaDriver.Initialize();
        var context = new CudaContext(device, PrimaryContextHandle.Retain(device.Handle));
        context.MakeCurrent();
        return context;
    }

    /// <summary>The device.</summary>
    public CudaDevice Device { get; }

    /// <summary>The driver's <c>CUcontext</c>.</summary>
    public nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(SafeHandle.IsClosed, this);
            return SafeHandle.DangerousGetHandle();
        }
    }

    internal PrimaryContextHandle SafeHandle { get; }

    /// <summary>Makes this context current on the calling thread (no driver call when it already is, as far as this class knows).</summary>
    public void MakeCurrent()
    {
        var context = Handle;
        if (t_current == context && t_generation == Volatile.Read(ref _generation))
            return;
        DriverStatus.Check(DriverApi.cuCtxSetCurrent(context));
        t_current = context;
        t_generation = Volatile.Read(ref _generation);
    }

    /// <summary>Waits until all work queued in this context has finished; throws the first asynchronous error.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        DriverStatus.Check(DriverApi.cuCtxSynchronize());
    }

    /// <summary>Free and total device memory, bytes.</summary>
    public unsafe (long FreeBytes, long TotalBytes) GetMemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        DriverStatus.Check(DriverApi.cuMemGetInfo_v2(&free, &total));
        return ((long)free, (long)total);
    }

    /// <summary>Creates a stream. The default does not synchronize with the legacy NULL stream.</summary>
    public CudaStream CreateStream(CUstream_flags flags = CUstream_flags.CU_STREAM_NON_BLOCKING) => new(this, flags);

    /// <summary>Creates an event; the default records timing.</summary>
    public CudaEvent CreateEvent(CUevent_flags flags = CUevent_flags.CU_EVENT_DEFAULT) => new(this, flags);

    /// <summary>Allocates <paramref name="count"/> elements of device memory (not initialized).</summary>
    public DeviceBuffer<T> Allocate<T>(long count) where T : unmanaged => new(this, count);

    /// <summary>Allocates <paramref name="count"/> elements of page-locked host memory (not initialized).</summary>
    public PinnedHostBuffer<T> AllocatePinned<T>(long count) where T : unmanaged => new(this, count);

    /// <summary>Loads a module from a CUBIN or PTX image (see <see cref="CudaModule"/>).</summary>
    /// <param name="image">CUBIN/fatbin bytes, or PTX text (a terminating NUL is added when missing).</param>
    /// <param name="name">Names the module in errors, e.g. the kernel file name.</param>
    public CudaModule LoadModule(ReadOnlySpan<byte> image, string name) => new(this, image, name);

    /// <summary>Releases this retain of the primary context (after every object made from it is gone). Never throws.</summary>
    public void Dispose() => SafeHandle.Dispose();

    /// <summary>"context of NVIDIA H100 … (device 0, …)".</summary>
    public override string ToString() => $"primary context of {Device}";

    /// <summary>Release paths (any thread, finalizers included) make the context current without throwing.</summary>
    internal static void SetCurrentForRelease(PrimaryContextHandle context)
    {
        var value = context.DangerousGetHandle();
        if (t_current == value && t_generation == Volatile.Read(ref _generation))
            return;
        if (DriverApi.cuCtxSetCurrent(value) == CUresult.CUDA_SUCCESS)
        {
            t_current = value;
            t_generation = Volatile.Read(ref _generation);
        }
    }

    /// <summary>A primary context was released: every thread's cached "current" is stale.</summary>
    internal static void ForgetCurrent() => Interlocked.Increment(ref _generation);
}
