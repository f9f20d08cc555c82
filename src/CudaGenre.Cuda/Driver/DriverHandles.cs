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
/// the context's handle from before the native create call, so the context is released only after every
/// object in it, whatever order Dispose or the finalizers run in; and its release makes the context current
/// first, because a finalizer thread has none.
/// </summary>
internal abstract class ContextBoundHandle : SafeHandle
{
    private readonly PrimaryContextHandle _context;
    private bool _holdsContext;

    /// <exception cref="ObjectDisposedException">The context was disposed.</exception>
    protected ContextBoundHandle(PrimaryContextHandle context)
        : base(0, ownsHandle: true)
    {
        _context = context;
        context.DangerousAddRef(ref _holdsContext);
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Takes ownership of what a create call returned; when the call failed, lets go of the context and throws.</summary>
    /// <exception cref="CudaException">The create call failed.</exception>
    public void Attach(CUresult status, nint value, string api, string? detail = null)
    {
        if (status != CUresult.CUDA_SUCCESS)
        {
            Dispose();
            throw DriverStatus.Failure(status, api, detail);
        }
        SetHandle(value);
    }

    protected override void Dispose(bool disposing)
    {
        var attached = !IsInvalid;
        base.Dispose(disposing);
        // An object that was never created has no ReleaseHandle call to let go of the context.
        if (!attached)
            LetGoOfContext();
    }

    protected sealed override bool ReleaseHandle()
    {
        CudaContext.SetCurrentForRelease(_context);
        var released = Free(handle);
        LetGoOfContext();
        return released;
    }

    /// <summary>Calls the C destroy function through <see cref="DriverStatus.Release"/>; never throws.</summary>
    protected abstract bool Free(nint value);

    private void LetGoOfContext()
    {
        if (_holdsContext)
        {
            _holdsContext = false;
            _context.DangerousRelease();
        }
    }
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
