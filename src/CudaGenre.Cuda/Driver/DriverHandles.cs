using System.Runtime.InteropServices;

namespace CudaGenre.Cuda.Driver;

/// <summary>One retain of a device's primary context; released with <c>cuDevicePrimaryCtxRelease_v2</c>.</summary>
internal sealed class PrimaryContextHandle : SafeHandle
{
    private PrimaryContextHandle(int device)
        : base(0, ownsHandle: true) => Device = device;

    /// <summary>The <c>CUdevice</c> whose primary context this is.</summary>
    public int Device { get; }

    public override bool IsInvalid => handle == 0;

    public static unsafe PrimaryContextHandle Retain(int device)
    {
        var result = new PrimaryContextHandle(device);
        nint context;
        DriverStatus.Check(DriverApi.cuDevicePrimaryCtxRetain(&context, device));
        result.SetHandle(context);
        return result;
    }

    protected override bool ReleaseHandle()
    {
        CudaContext.ForgetCurrent();
        return DriverStatus.Release(DriverApi.cuDevicePrimaryCtxRelease_v2(Device));
    }
}

/// <summary>
/// A driver object that lives in a context (stream, event, memory, module, graph). It holds a reference on
/// the context's handle, so the context is released only after every object in it, whatever order
/// Dispose or the finalizers run in; and its release makes the context current first, because a finalizer
/// thread has none.
/// </summary>
internal abstract class ContextBoundHandle : SafeHandle
{
    private readonly PrimaryContextHandle _context;
    private bool _holdsContext;

    protected ContextBoundHandle(PrimaryContextHandle context)
        : base(0, ownsHandle: true) => _context = context;

    public override bool IsInvalid => handle == 0;

    /// <summary>Takes ownership of a freshly created native object (only after the create call succeeded, so a failed create leaves nothing to release).</summary>
    public void Attach(nint value)
    {
        _context.DangerousAddRef(ref _holdsContext);
        SetHandle(value);
    }

    protected sealed override bool ReleaseHandle()
    {
        CudaContext.SetCurrentForRelease(_context);
        var released = Free(handle);
        if (_holdsContext)
            _context.DangerousRelease();
        return released;
    }

    /// <summary>Calls the C destroy function through <see cref="DriverStatus.Release"/>; never throws.</summary>
    protected abstract bool Free(nint value);
}

internal sealed class StreamHandle(PrimaryContextHandle context) : ContextBoundHandle(context)
{
    protected override bool Free(nint value) => DriverStatus.Release(DriverApi.cuStreamDestroy_v2(value));
}

internal sealed class EventHandle(PrimaryContextHandle context) : ContextBoundHandle(context)
{
    protected override bool Free(nint value) => DriverStatus.Release(DriverApi.cuEventDestroy_v2(value));
}

internal sealed class DeviceMemoryHandle(PrimaryContextHandle context) : ContextBoundHandle(context)
{
    protected override bool Free(nint value) => DriverStatus.Release(DriverApi.cuMemFree_v2((ulong)value));
}

internal sealed class HostMemoryHandle(PrimaryContextHandle context) : ContextBoundHandle(context)
{
    protected override unsafe bool Free(nint value) => DriverStatus.Release(DriverApi.cuMemFreeHost((void*)value));
}

internal sealed class ModuleHandle(PrimaryContextHandle context) : ContextBoundHandle(context)
{
    protected override bool Free(nint value) => DriverStatus.Release(DriverApi.cuModuleUnload(value));
}

internal sealed class GraphHandle(PrimaryContextHandle context) : ContextBoundHandle(context)
{
    protected override bool Free(nint value) => DriverStatus.Release(DriverApi.cuGraphDestroy(value));
}

internal sealed class GraphExecHandle(PrimaryContextHandle context) : ContextBoundHandle(context)
{
    protected override bool Free(nint value) => DriverStatus.Release(DriverApi.cuGraphExecDestroy(value));
}
