using System.Runtime.CompilerServices;

namespace CudaGenre.Cuda.Driver;

/// <summary>
/// <see cref="Count"/> elements of <typeparamref name="T"/> in device memory, contiguous, uninitialized when
/// allocated, aligned to at least 256 bytes. Copies from and to spans wait for the stream (the span must stay
/// valid, and it may be page-locked memory, whose copies are truly asynchronous); the <c>Enqueue…</c> methods
/// only queue, so their host buffers must be page-locked (<see cref="PinnedHostBuffer{T}"/>), stay alive
/// until the stream has run them, and are allowed inside a graph capture.
/// </summary>
/// <typeparam name="T">An unmanaged element type; its size sets the byte layout (e.g. float = 4 bytes, <see cref="Half"/> = 2).</typeparam>
public sealed class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    private readonly DeviceMemoryHandle _handle;

    internal unsafe DeviceBuffer(CudaContext context, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        Context = context;
        Count = count;
        SizeInBytes = checked(count * sizeof(T));
        context.MakeCurrent();
        _handle = new DeviceMemoryHandle(context.SafeHandle);
        ulong pointer;
        var status = DriverApi.cuMemAlloc_v2(&pointer, (nuint)SizeInBytes);
        if (status != CUresult.CUDA_SUCCESS)
        {
            throw DriverStatus.Failure(status, nameof(DriverApi.cuMemAlloc_v2),
                $"allocating {SizeInBytes} bytes ({count} × {typeof(T).Name}) on {context.Device.Name}");
        }
        _handle.Attach((nint)pointer);
    }

    /// <summary>The context the memory belongs to.</summary>
    public CudaContext Context { get; }

    /// <summary>Number of elements.</summary>
    public long Count { get; }

    /// <summary>Size, bytes (<see cref="Count"/> × sizeof(T)).</summary>
    public long SizeInBytes { get; }

    /// <summary>The device address (<c>CUdeviceptr</c>) of element 0; valid until disposed.</summary>
    public ulong Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return (ulong)_handle.DangerousGetHandle();
        }
    }

    /// <summary>The device address of element <paramref name="index"/>.</summary>
    public unsafe ulong PointerAt(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, Count);
        return Pointer + (ulong)(index * sizeof(T));
    }

    /// <summary>Copies <paramref name="source"/> to elements [index, index + source.Length) and waits for the stream.</summary>
    public unsafe void CopyFrom(ReadOnlySpan<T> source, CudaStream stream, long index = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckRange(index, source.Length, nameof(source));
        if (source.IsEmpty)
            return;
        Context.MakeCurrent();
        fixed (T* host = source)
            DriverStatus.Check(DriverApi.cuMemcpyHtoDAsync_v2(PointerAt(index), host, (nuint)((long)source.Length * sizeof(T)), stream.Handle));
        stream.Synchronize();
    }

    /// <summary>Copies elements [index, index + destination.Length) into <paramref name="destination"/> and waits for the stream.</summary>
    public unsafe void CopyTo(Span<T> destination, CudaStream stream, long index = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckRange(index, destination.Length, nameof(destination));
        if (destination.IsEmpty)
            return;
        Context.MakeCurrent();
        fixed (T* host = destination)
            DriverStatus.Check(DriverApi.cuMemcpyDtoHAsync_v2(host, PointerAt(index), (nuint)((long)destination.Length * sizeof(T)), stream.Handle));
        stream.Synchronize();
    }

    /// <summary>All elements as a new array (waits for the stream).</summary>
    public T[] ToArray(CudaStream stream)
    {
        var result = new T[checked((int)Count)];
        CopyTo(result, stream);
        return result;
    }

    /// <summary>Queues a copy of all of <paramref name="source"/> to elements [index, …); returns before it runs.</summary>
    public unsafe void EnqueueCopyFrom(PinnedHostBuffer<T> source, CudaStream stream, long index = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(stream);
        CheckRange(index, source.Count, nameof(source));
        Context.MakeCurrent();
        DriverStatus.Check(DriverApi.cuMemcpyHtoDAsync_v2(PointerAt(index), (void*)source.Pointer, (nuint)source.SizeInBytes, stream.Handle));
    }

    /// <summary>Queues a copy of elements [index, index + destination.Count) into <paramref name="destination"/>; returns before it runs.</summary>
    public unsafe void EnqueueCopyTo(PinnedHostBuffer<T> destination, CudaStream stream, long index = 0)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(stream);
        CheckRange(index, destination.Count, nameof(destination));
        Context.MakeCurrent();
        DriverStatus.Check(DriverApi.cuMemcpyDtoHAsync_v2((void*)destination.Pointer, PointerAt(index), (nuint)destination.SizeInBytes, stream.Handle));
    }

    /// <summary>Queues a device-to-device copy of all of <paramref name="source"/> to elements [index, …).</summary>
    public void EnqueueCopyFrom(DeviceBuffer<T> source, CudaStream stream, long index = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(stream);
        CheckRange(index, source.Count, nameof(source));
        Context.MakeCurrent();
        DriverStatus.Check(DriverApi.cuMemcpyDtoDAsync_v2(PointerAt(index), source.Pointer, (nuint)source.SizeInBytes, stream.Handle));
    }

    /// <summary>Queues setting every byte of the buffer to <paramref name="value"/>.</summary>
    public void EnqueueFillBytes(byte value, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Context.MakeCurrent();
        DriverStatus.Check(DriverApi.cuMemsetD8Async(Pointer, value, (nuint)SizeInBytes, stream.Handle));
    }

    /// <summary>
    /// Queues setting every 32-bit word of the buffer to <paramref name="bits"/> (e.g. the bits of a float:
    /// <c>BitConverter.SingleToUInt32Bits(1f)</c>). The size must be a multiple of 4 bytes.
    /// </summary>
    public void EnqueueFill32(uint bits, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (SizeInBytes % 4 != 0)
            throw new InvalidOperationException($"EnqueueFill32 needs a size that is a multiple of 4 bytes; this buffer has {SizeInBytes}.");
        Context.MakeCurrent();
        DriverStatus.Check(DriverApi.cuMemsetD32Async(Pointer, bits, (nuint)(SizeInBytes / 4), stream.Handle));
    }

    /// <summary>Frees the memory; synchronize the streams that use it first. Never throws.</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>"DeviceBuffer&lt;Single&gt;[1024] (4096 bytes)".</summary>
    public override string ToString() => $"DeviceBuffer<{typeof(T).Name}>[{Count}] ({SizeInBytes} bytes)";

    private void CheckRange(long index, long length, string what,
        [CallerMemberName] string caller = "")
    {
        if (index < 0 || index > Count || length > Count - index)
            throw new ArgumentOutOfRangeException(what, $"{caller}: elements [{index}, {index + length}) do not fit in {this}.");
    }
}
