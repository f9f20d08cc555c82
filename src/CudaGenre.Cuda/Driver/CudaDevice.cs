using System.Text;

namespace CudaGenre.Cuda.Driver;

/// <summary>A device's compute capability, e.g. 9.0 for the H100.</summary>
/// <param name="Major">Major version (generation).</param>
/// <param name="Minor">Minor version.</param>
public readonly record struct ComputeCapability(int Major, int Minor) : IComparable<ComputeCapability>
{
    /// <summary>The number used in architecture names: 90 for 9.0 (sm_90, compute_90), 120 for 12.0.</summary>
    public int Arch => Major * 10 + Minor;

    /// <inheritdoc/>
    public int CompareTo(ComputeCapability other) => Arch.CompareTo(other.Arch);

    /// <summary>"9.0".</summary>
    public override string ToString() => $"{Major}.{Minor}";

    /// <summary>Orders by architecture number.</summary>
    public static bool operator <(ComputeCapability left, ComputeCapability right) => left.CompareTo(right) < 0;

    /// <summary>Orders by architecture number.</summary>
    public static bool operator >(ComputeCapability left, ComputeCapability right) => left.CompareTo(right) > 0;

    /// <summary>Orders by architecture number.</summary>
    public static bool operator <=(ComputeCapability left, ComputeCapability right) => left.CompareTo(right) <= 0;

    /// <summary>Orders by architecture number.</summary>
    public static bool operator >=(ComputeCapability left, ComputeCapability right) => left.CompareTo(right) >= 0;
}

/// <summary>One CUDA device: what it is and what it can do. Getting one initializes the driver.</summary>
public sealed class CudaDevice
{
    private string? _name;

    private CudaDevice(int ordinal, int handle)
    {
        Ordinal = ordinal;
        Handle = handle;
    }

    /// <summary>Number of CUDA devices.</summary>
    /// <exception cref="CudaLibraryNotFoundException">No driver library.</exception>
    /// <exception cref="CudaException">The driver failed to initialize (e.g. CUDA_ERROR_NO_DEVICE).</exception>
    public static unsafe int Count
    {
        get
        {
            CudaDriver.Initialize();
            int count;
            DriverStatus.Check(DriverApi.cuDeviceGetCount(&count));
            return count;
        }
    }

    /// <summary>The device with this ordinal (0 = first).</summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no such device.</exception>
    public static unsafe CudaDevice Get(int ordinal)
    {
        var count = Count;
        if (ordinal < 0 || ordinal >= count)
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"there are {count} CUDA device(s); ordinals run from 0 to {count - 1}.");
        int handle;
        DriverStatus.Check(DriverApi.cuDeviceGet(&handle, ordinal));
        return new CudaDevice(ordinal, handle);
    }

    /// <summary>All devices, in ordinal order (empty when the driver reports none).</summary>
    public static IReadOnlyList<CudaDevice> GetAll() => Enumerable.Range(0, Count).Select(Get).ToList();

    /// <summary>The ordinal (0 = first device).</summary>
    public int Ordinal { get; }

    /// <summary>The driver's <c>CUdevice</c> handle.</summary>
    public int Handle { get; }

    /// <summary>The product name, e.g. "NVIDIA H100 80GB HBM3".</summary>
    public unsafe string Name
    {
        get
        {
            if (_name is null)
            {
                var buffer = stackalloc byte[256];
                DriverStatus.Check(DriverApi.cuDeviceGetName(buffer, 256, Handle));
                var text = new ReadOnlySpan<byte>(buffer, 256);
                var end = text.IndexOf((byte)0);
                _name = Encoding.UTF8.GetString(end < 0 ? text : text[..end]);
            }
            return _name;
        }
    }

    /// <summary>Compute capability, e.g. 9.0.</summary>
    public ComputeCapability ComputeCapability => new(
        GetAttribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
        GetAttribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR));

    /// <summary>Number of streaming multiprocessors (SMs).</summary>
    public int MultiprocessorCount => GetAttribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);

    /// <summary>Typical SM clock, kHz.</summary>
    public int ClockRateKHz => GetAttribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE);

    /// <summary>Total device memory, bytes.</summary>
    public unsafe long TotalMemoryBytes
    {
        get
        {
            nuint bytes;
            DriverStatus.Check(DriverApi.cuDeviceTotalMem_v2(&bytes, Handle));
            return (long)bytes;
        }
    }

    /// <summary>One integer attribute (units as documented on <see cref="CUdevice_attribute"/>).</summary>
    public unsafe int GetAttribute(CUdevice_attribute attribute)
    {
        int value;
        DriverStatus.Check(DriverApi.cuDeviceGetAttribute(&value, attribute, Handle));
        return value;
    }

    /// <summary>Retains this device's primary context (the one the runtime API, cuBLAS and cuDNN share); dispose to release it.</summary>
    public CudaContext RetainPrimaryContext() => CudaContext.RetainPrimary(this);

    /// <summary>"NVIDIA H100 80GB HBM3 (device 0, compute capability 9.0)".</summary>
    public override string ToString() => $"{Name} (device {Ordinal}, compute capability {ComputeCapability})";
}
