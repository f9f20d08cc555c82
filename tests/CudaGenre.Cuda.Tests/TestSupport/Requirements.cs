using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Nvrtc;

namespace CudaGenre.Cuda.Tests.TestSupport;

/// <summary>
/// What a test needs from the machine. Where it is missing the test is skipped, saying why; with
/// CUDAGENRE_REQUIRE_NVRTC=1 (CI) or CUDAGENRE_REQUIRE_GPU=1 (the GPU check) it fails instead, so that a
/// machine that should have it cannot pass by skipping.
/// </summary>
public static class Requirements
{
    private static readonly Lazy<(CudaContext? Context, string? Why)> SharedGpu = new(OpenGpu);

    /// <summary>Skips (or fails, under CUDAGENRE_REQUIRE_NVRTC=1) when NVRTC cannot be loaded.</summary>
    public static void Nvrtc()
    {
        if (!NvrtcCompiler.IsAvailable(out var reason))
            Unavailable("CUDAGENRE_REQUIRE_NVRTC", reason!);
    }

    /// <summary>
    /// The primary context of device 0, shared by all GPU tests (never disposed: the process ends with it).
    /// Skips with "no CUDA device: why" (or fails, under CUDAGENRE_REQUIRE_GPU=1).
    /// </summary>
    public static CudaContext Gpu()
    {
        var (context, why) = SharedGpu.Value;
        if (context is null)
            Unavailable("CUDAGENRE_REQUIRE_GPU", $"no CUDA device: {why}");
        return context!;
    }

    /// <summary>Whether a flag variable is set to 1.</summary>
    public static bool IsRequired(string variable) => Environment.GetEnvironmentVariable(variable) == "1";

    private static void Unavailable(string variable, string reason)
    {
        if (IsRequired(variable))
            Assert.Fail($"{reason} ({variable}=1 makes this a failure instead of a skip)");
        Assert.Skip(reason);
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

/// <summary>GPU tests share one device; they run one at a time so that timings and captures do not interleave.</summary>
[CollectionDefinition(nameof(GpuUsers), DisableParallelization = true)]
public sealed class GpuUsers;
