using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Nvrtc;

namespace CudaGenre.Cuda.Tests.TestSupport;

/// <summary>
/// What a test needs from the machine: the one gate for NVRTC, the CUDA headers and the GPU. Where it is missing
/// the test is skipped, saying why; with CUDAGENRE_REQUIRE_NVRTC=1 or CUDAGENRE_REQUIRE_HEADERS=1 (CI) or
/// CUDAGENRE_REQUIRE_GPU=1 (tools/gpu-check.sh on the GPU machine) it fails instead, so that a machine that
/// should have it cannot pass by skipping.
/// </summary>
public static class Requirements
{
    /// <summary>Set to 1 where NVRTC must be there (CI).</summary>
    public const string RequireNvrtcVariable = "CUDAGENRE_REQUIRE_NVRTC";

    /// <summary>Set to 1 where the castxml XML of the CUDA headers must be there (CI).</summary>
    public const string RequireHeadersVariable = "CUDAGENRE_REQUIRE_HEADERS";

    /// <summary>The folder with castxml's XML of the CUDA 11.8 headers, as tools/bindings/install-headers.sh prints it.</summary>
    public const string HeadersXmlVariable = "CUDAGENRE_CUDA_HEADERS_XML";

    /// <summary>Set to 1 where a device and every CUDA library must be there (the GPU check).</summary>
    public const string RequireGpuVariable = "CUDAGENRE_REQUIRE_GPU";

    /// <summary>
    /// Set to 1 where a device must be there but libraries the device's machine lacks may still skip the tests
    /// that need them (CI, with the emulated device of tools/cuda-emulator; a library it lacks skips its tests, saying so).
    /// </summary>
    public const string RequireDeviceVariable = "CUDAGENRE_REQUIRE_DEVICE";

    private static readonly Lazy<(CudaContext? Context, string? Why)> SharedGpu = new(OpenGpu);

    /// <summary>Skips (or fails, under CUDAGENRE_REQUIRE_NVRTC=1) when NVRTC cannot be loaded.</summary>
    public static void Nvrtc()
    {
        if (!NvrtcCompiler.IsAvailable(out var reason))
            Unavailable(RequireNvrtcVariable, reason!);
    }

    /// <summary>
    /// The folder holding <paramref name="files"/> (castxml XML of the CUDA headers): $CUDAGENRE_CUDA_HEADERS_XML, else
    /// build/cuda-headers/xml in the checkout, where tools/bindings/install-headers.sh puts it. Skips saying why
    /// (or fails, under CUDAGENRE_REQUIRE_HEADERS=1) when the folder or a file is missing.
    /// </summary>
    public static string CudaHeadersXml(params string[] files)
    {
        var folder = Environment.GetEnvironmentVariable(HeadersXmlVariable) is { Length: > 0 } set ? set
            : Repository.Root is { } root ? Path.Combine(root, "build", "cuda-headers", "xml") : null;
        if (folder is null)
            Unavailable(RequireHeadersVariable, $"{HeadersXmlVariable} is not set and this is not a checkout; run tools/bindings/install-headers.sh");
        var missing = files.Where(f => !File.Exists(Path.Combine(folder, f))).ToList();
        if (missing.Count > 0)
            Unavailable(RequireHeadersVariable, $"{string.Join(", ", missing)} not in {folder} ({HeadersXmlVariable}); run tools/bindings/install-headers.sh");
        return folder;
    }

    /// <summary>
    /// The primary context of device 0, shared by all GPU tests (never disposed: the process ends with it),
    /// after checking that every library in <paramref name="libraries"/> (logical names, <see cref="NativeLibraryNames"/>)
    /// can be found. Skips with the reason (or fails, under CUDAGENRE_REQUIRE_GPU=1; a missing device also fails under
    /// CUDAGENRE_REQUIRE_DEVICE=1). Every test class that calls
    /// this belongs in the <see cref="GpuUsers"/> collection.
    /// </summary>
    public static CudaContext Gpu(params string[] libraries)
    {
        var (context, why) = SharedGpu.Value;
        if (context is null)
            Unavailable(IsRequired(RequireDeviceVariable) ? RequireDeviceVariable : RequireGpuVariable, $"no CUDA device: {why}");
        foreach (var library in libraries)
        {
            var probe = NativeLibraries.Probe(library);
            if (!probe.Found)
                Unavailable(RequireGpuVariable, $"{library} was not found ({string.Join("; ", probe.Attempts)})");
        }
        return context;
    }

    /// <summary>The name the emulated CUDA device (tools/cuda-emulator) reports; only test support looks at it.</summary>
    public const string EmulatedDeviceName = "CudaGenre emulated device (CPU)";

    /// <summary>
    /// For a test that only a real GPU can answer (it measures time or hardware limits): the shared context as
    /// <see cref="Gpu"/> gives it, but skipped on the emulated device, saying why.
    /// </summary>
    public static CudaContext RealGpu(string why, params string[] libraries)
    {
        var context = Gpu(libraries);
        if (context.Device.Name == EmulatedDeviceName)
            Assert.Skip($"needs a real GPU: {why} (the device is the emulated one, {EmulatedDeviceName}, whose kernels run on the CPU)");
        return context;
    }

    /// <summary>Whether a flag variable is set to 1.</summary>
    public static bool IsRequired(string variable) => Environment.GetEnvironmentVariable(variable) == "1";

    [DoesNotReturn]
    private static void Unavailable(string variable, string reason)
    {
        if (IsRequired(variable))
            Assert.Fail($"{reason} ({variable}=1 makes this a failure instead of a skip)");
        Assert.Skip(reason);
        throw new UnreachableException();
    }

    private static (CudaContext?, string?) OpenGpu()
    {
        if (!CudaDriver.TryInitialize(out var reason))
            return (null, reason);
        try
        {
            return CudaDevice.Count == 0 ? (null, "the driver reports no device") : (CudaDevice.Get(0).RetainPrimaryContext(), null);
        }
        catch (CudaException e)
        {
            return (null, e.Message);
        }
    }
}

/// <summary>
/// Every test class that touches the device: one at a time, never beside other tests of this collection, so
/// that a stream capture (graph) never overlaps other work on the shared context and timings do not interleave.
/// </summary>
[CollectionDefinition(nameof(GpuUsers), DisableParallelization = true)]
public sealed class GpuUsers;
