using System.Numerics;
using System.Runtime.CompilerServices;

namespace CudaGenre.Cuda.Driver;

/// <summary>
/// The arguments of a kernel launch, in parameter order, stored by value (device pointers as 8-byte
/// addresses). Reusable: <see cref="Set{T}"/> changes one value in place and <see cref="Clear"/> starts
/// over, so repeated launches allocate nothing.
/// </summary>
public sealed class KernelArguments
{
    private byte[] _values = new byte[128];
    private int[] _offsets = new int[16];
    private int[] _sizes = new int[16];
    private int _used;

    /// <summary>Number of arguments added.</summary>
    public int Count { get; private set; }

    internal byte[] Values => _values;

    internal int OffsetOf(int index) => _offsets[index];

    /// <summary>The size in bytes of argument <paramref name="index"/>, as the kernel's parameter must have it.</summary>
    public int SizeOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _sizes[index];
    }

    /// <summary>Appends a value: an <c>int</c>, <c>float</c>, a device address (<c>ulong</c>) or any unmanaged struct laid out as the kernel's parameter.</summary>
    public unsafe KernelArguments Add<T>(T value) where T : unmanaged
    {
        var size = sizeof(T);
        // The C alignment of a parameter of this size, capped at 16 (float4, double2).
        var align = (int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)size), 16u);
        var offset = (_used + align - 1) & ~(align - 1);
        if (offset + size > _values.Length)
            Array.Resize(ref _values, Math.Max(_values.Length * 2, offset + size));
        if (Count == _offsets.Length)
        {
            Array.Resize(ref _offsets, Count * 2);
            Array.Resize(ref _sizes, Count * 2);
        }
        Unsafe.WriteUnaligned(ref _values[offset], value);
        _offsets[Count] = offset;
        _sizes[Count] = size;
        Count++;
        _used = offset + size;
        return this;
    }

    /// <summary>Appends the device address of a buffer's first element.</summary>
    public KernelArguments Add<T>(DeviceBuffer<T> buffer) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return Add(buffer.Pointer);
    }

    /// <summary>Replaces argument <paramref name="index"/> with a value of the same size.</summary>
    public unsafe void Set<T>(int index, T value) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        if (sizeof(T) != _sizes[index])
            throw new ArgumentException($"argument {index} holds {_sizes[index]} bytes; a {typeof(T).Name} has {sizeof(T)}.", nameof(value));
        Unsafe.WriteUnaligned(ref _values[_offsets[index]], value);
    }

    /// <summary>Removes all arguments (keeps the storage).</summary>
    public void Clear()
    {
        Count = 0;
        _used = 0;
    }
}
