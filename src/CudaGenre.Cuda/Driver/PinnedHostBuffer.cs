namespace CudaGenre.Cuda.Driver;

/// <summary>
/// <see cref="Count"/> elements of <typeparamref name="T"/> in page-locked host memory
/// (<c>cuMemAllocHost_v2</c>): copies between it and the device run asynchronously at full bus speed and
/// can be captured into graphs. Uninitialized when allocated. Page-locked memory is scarce: keep such
/// buffers few and reuse them.
/// </summary>
/// <typeparam name="T">An unmanaged element type.</typeparam>
public sealed class PinnedHostBuffer<T> : IDisposable where T : unmanaged
{
    private readonly HostMemoryHandle _handle;

    internal unsafe PinnedHostBuffer(CudaContext context, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, int.MaxValue);
        Context = context;
        Count = count;
        SizeInBytes = checked(count * sizeof(T));
        context.MakeCurrent();
        _handle = new HostMemoryHandle(context.SafeHandle);
        void* pointer;
        var status = DriverApi.cuMemAllocHost_v2(&pointer, (nuint)SizeInBytes);
        if (status != CUresult.CUDA_SUCCESS)
            throw DriverStatus.Failure(status, nameof(DriverApi.cuMemAllocHost_v2), $"allocating {SizeInBytes} bytes of page-locked host memory");
        _handle.Attach((nint)pointer);
    }

    /// <summary>The context the memory is registered with.</summary>
    public CudaContext Context { get; }

    /// <summary>Number of elements (at most <see cref="int.MaxValue"/>, so that it fits a span).</summary>
    public long Count { get; }

    /// <summary>Size, bytes.</summary>
    public long SizeInBytes { get; }

    /// <summary>The host address of element 0; valid until disposed.</summary>
    public nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>The elements as a span (do not write while a queued copy from this buffer may still run).</summary>
    public unsafe Span<T> AsSpan() => new((void*)Pointer, (int)Count);

    /// <summary>Frees the memory; synchronize the streams that copy from or to it first. Never throws.</summary>
    public void Dispose() => _handle.Dispose();
}
