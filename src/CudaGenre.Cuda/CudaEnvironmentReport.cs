using System.Runtime.InteropServices;
using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Kernels;

namespace CudaGenre.Cuda;

/// <summary>One library in <see cref="CudaEnvironmentReport"/>.</summary>
/// <param name="Name">Logical name, e.g. "cudnn".</param>
/// <param name="DisplayName">Product name, e.g. "cuDNN".</param>
/// <param name="Found">Whether it loaded.</param>
/// <param name="Path">The file it was loaded from (a full path whenever the loader can tell), or null.</param>
/// <param name="FoundBy">The search step that found it, or null.</param>
/// <param name="Version">Its version as reported by the library itself (e.g. "9.10.2"), or null.</param>
/// <param name="VersionProblem">Why the version could not be read, or null.</param>
/// <param name="Sonames">The file names tried, most preferred first.</param>
/// <param name="Attempts">Every place tried, in order.</param>
/// <param name="InstallHint">How to get the library.</param>
public sealed record CudaLibraryReport(
    string Name, string DisplayName, bool Found, string? Path, LibrarySearchStep? FoundBy, string? Version, string? VersionProblem,
    IReadOnlyList<string> Sonames, IReadOnlyList<LibraryAttempt> Attempts, string InstallHint);

/// <summary>One device in <see cref="CudaEnvironmentReport"/>.</summary>
/// <param name="Ordinal">Device ordinal.</param>
/// <param name="Name">Product name.</param>
/// <param name="ComputeCapability">e.g. "9.0".</param>
/// <param name="Multiprocessors">Number of SMs.</param>
/// <param name="TotalMemoryBytes">Device memory, bytes.</param>
/// <param name="ClockRateKHz">SM clock, kHz.</param>
public sealed record CudaDeviceReport(int Ordinal, string Name, string ComputeCapability, int Multiprocessors, long TotalMemoryBytes, int ClockRateKHz);

/// <summary>
/// What this machine offers for CUDA: the driver and its devices, and for every library where it was
/// found, how, and its version, or exactly what is missing and where the search looked. Versions are read
/// through the loaded library's own export (cuDriverGetVersion, nvrtcVersion, cublasGetProperty,
/// cublasLtGetProperty, cudnnGetProperty), so the report needs no other bindings.
/// </summary>
/// <param name="DriverVersion">The CUDA version the driver supports (e.g. "13.0"), or null.</param>
/// <param name="Devices">The devices (empty when none or no driver).</param>
/// <param name="DevicesProblem">Why there are no devices, or null.</param>
/// <param name="Libraries">The five libraries, in search-catalog order.</param>
/// <param name="SearchPath">The value of <see cref="NativeLibraries.SearchPath"/>, or null.</param>
/// <param name="EnvironmentSearchPath">The value of <c>CUDAGENRE_CUDA_LIB_PATH</c>, or null.</param>
/// <param name="KernelCacheDirectory">Where compiled kernels are cached.</param>
public sealed record CudaEnvironmentReport(
    string? DriverVersion, IReadOnlyList<CudaDeviceReport> Devices, string? DevicesProblem, IReadOnlyList<CudaLibraryReport> Libraries,
    string? SearchPath, string? EnvironmentSearchPath, string KernelCacheDirectory)
{
    /// <summary>Loads every library it can and describes what it found. Never throws for missing libraries or devices.</summary>
    public static CudaEnvironmentReport Collect()
    {
        var libraries = NativeLibraries.Names.Select(DescribeLibrary).ToList();
        var driver = libraries.First(l => l.Name == NativeLibraryNames.Driver);
        var devices = new List<CudaDeviceReport>();
        string? problem = null;
        if (!driver.Found)
        {
            problem = $"no CUDA driver: {string.Join(", ", driver.Sonames)} not found";
        }
        else if (!CudaDriver.TryInitialize(out var reason))
        {
            problem = reason;
        }
        else
        {
            try
            {
                foreach (var device in CudaDevice.GetAll())
                {
                    devices.Add(new CudaDeviceReport(device.Ordinal, device.Name, device.ComputeCapability.ToString(), device.MultiprocessorCount,
                        device.TotalMemoryBytes, device.ClockRateKHz));
                }
                if (devices.Count == 0)
                    problem = "the driver reports no CUDA device";
            }
            catch (CudaException e)
            {
                problem = e.Message;
            }
        }
        return new CudaEnvironmentReport(driver.Version, devices, problem, libraries, NativeLibraries.SearchPath,
            Environment.GetEnvironmentVariable(LibrarySearch.PathVariable), KernelCache.DefaultDirectory());
    }

    private static CudaLibraryReport DescribeLibrary(string name)
    {
        var info = LibraryCatalog.Get(name);
        var probe = NativeLibraries.Probe(name);
        string? version = null, versionProblem = null, path = probe.Path;
        if (probe.Found)
        {
            if (NativeLibrary.TryGetExport(probe.Handle, info.VersionExport, out var export))
            {
                try
                {
                    version = ReadVersion(name, export);
                }
                catch (InvalidOperationException e)
                {
                    versionProblem = e.Message;
                }
                path = LoadedFile.PathOf(export) ?? path;
            }
            else
            {
                versionProblem = $"{probe.Path} has no export {info.VersionExport}";
            }
        }
        return new CudaLibraryReport(name, info.DisplayName, probe.Found, path, probe.FoundBy, version, versionProblem, probe.Sonames, probe.Attempts, info.InstallHint);
    }

    /// <summary>Calls the version export through an unmanaged function pointer with the signature from its header.</summary>
    private static unsafe string ReadVersion(string name, nint export)
    {
        switch (name)
        {
            case NativeLibraryNames.Driver:
            {
                int version;
                var status = ((delegate* unmanaged<int*, int>)export)(&version);
                return status == 0 ? CudaDriver.FormatVersion(version) : throw new InvalidOperationException($"cuDriverGetVersion returned {status}");
            }
            case NativeLibraryNames.Nvrtc:
            {
                int major, minor;
                var status = ((delegate* unmanaged<int*, int*, int>)export)(&major, &minor);
                return status == 0 ? $"{major}.{minor}" : throw new InvalidOperationException($"nvrtcVersion returned {status}");
            }
            default:
            {
                // cublasGetProperty, cublasLtGetProperty and cudnnGetProperty share (libraryPropertyType, int*) → status;
                // library_types.h: MAJOR_VERSION = 0, MINOR_VERSION = 1, PATCH_LEVEL = 2.
                var getProperty = (delegate* unmanaged<int, int*, int>)export;
                var parts = new int[3];
                for (var property = 0; property < 3; property++)
                {
                    int value;
                    var status = getProperty(property, &value);
                    if (status != 0)
                        throw new InvalidOperationException($"{LibraryCatalog.Get(name).VersionExport}({property}) returned status {status}");
                    parts[property] = value;
                }
                return string.Join('.', parts);
            }
        }
    }
}

/// <summary>Which file a loaded symbol lives in (glibc's <c>dladdr</c>), to show full paths for libraries the system loader found by soname.</summary>
internal static class LoadedFile
{
    private static readonly nint Dladdr = Find();

    public static unsafe string? PathOf(nint symbol)
    {
        if (Dladdr == 0 || symbol == 0)
            return null;
        // Dl_info: dli_fname, dli_fbase, dli_sname, dli_saddr (four pointers).
        var info = stackalloc nint[4];
        var found = ((delegate* unmanaged<nint, nint*, int>)Dladdr)(symbol, info);
        return found != 0 && info[0] != 0 ? Marshal.PtrToStringUTF8(info[0]) : null;
    }

    private static nint Find()
    {
        // glibc 2.34+ has dladdr in libc itself; older ones in libdl.
        foreach (var library in new[] { "libc.so.6", "libdl.so.2" })
        {
            if (NativeLibrary.TryLoad(library, out var handle) && NativeLibrary.TryGetExport(handle, "dladdr", out var dladdr))
                return dladdr;
        }
        return 0;
    }
}
