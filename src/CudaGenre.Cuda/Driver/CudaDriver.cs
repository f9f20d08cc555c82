using System.Diagnostics.CodeAnalysis;

namespace CudaGenre.Cuda.Driver;

/// <summary>The driver as a whole: initialization (once per process) and its version.</summary>
public static class CudaDriver
{
    private static readonly object Gate = new();
    private static bool _initialized;

    /// <summary>Calls <c>cuInit(0)</c> once; later calls return at once. Every managed driver class calls it first.</summary>
    /// <exception cref="CudaLibraryNotFoundException">libcuda.so.1 is not found (no NVIDIA driver).</exception>
    /// <exception cref="CudaException">cuInit failed, e.g. CUDA_ERROR_NO_DEVICE.</exception>
    public static void Initialize()
    {
        if (Volatile.Read(ref _initialized))
            return;
        lock (Gate)
        {
            if (_initialized)
                return;
            DriverStatus.Check(DriverApi.cuInit(0));
            Volatile.Write(ref _initialized, true);
        }
    }

    /// <summary>Initializes the driver if it can be; otherwise says why not in one line.</summary>
    public static bool TryInitialize([NotNullWhen(false)] out string? reason)
    {
        try
        {
            Initialize();
            reason = null;
            return true;
        }
        catch (CudaLibraryNotFoundException e)
        {
            reason = $"the CUDA driver library was not found (tried {string.Join(", ", e.Sonames)}; `cudagenre info` lists where it looked)";
            return false;
        }
        catch (CudaException e)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>The CUDA version the driver supports, encoded 1000*major + 10*minor (e.g. 13000 for 13.0). Needs no cuInit.</summary>
    public static unsafe int Version
    {
        get
        {
            int version;
            DriverStatus.Check(DriverApi.cuDriverGetVersion(&version));
            return version;
        }
    }

    /// <summary>"13.0" for 13000, "12.6" for 12060.</summary>
    public static string FormatVersion(int version) => $"{version / 1000}.{version % 1000 / 10}";
}
