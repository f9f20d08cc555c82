// Shared by the engine's test projects (linked into each): the GPU gate of the engine's tests, the same rule as
// the CUDA tests' Requirements.Gpu, and the sizes a test runs at on the emulated device.
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using CudaGenre.Cuda;
using CudaGenre.Cuda.Driver;

namespace CudaGenre.Tests.Shared;

internal static class Gpu
{
    public const string RequireVariable = "CUDAGENRE_REQUIRE_GPU";

    /// <summary>The name the emulated CUDA device (tools/cuda-emulator) reports; only test support looks at it.</summary>
    public const string EmulatedDeviceName = "CudaGenre emulated device (CPU)";

    private static readonly Lazy<string?> Problem = new(() =>
    {
        if (!CudaDriver.TryInitialize(out var reason))
            return reason;
        try
        {
            if (CudaDevice.Count == 0)
                return "the driver reports no device";
        }
        catch (CudaException e)
        {
            return e.Message;
        }
        foreach (var library in new[] { NativeLibraryNames.Cudnn, NativeLibraryNames.CublasLt, NativeLibraryNames.Nvrtc })
        {
            if (!NativeLibraries.Probe(library).Found)
                return $"{library} was not found";
        }
        return null;
    });

    private static readonly Lazy<bool> Emulated = new(() => IsUsable(out _) && CudaDevice.Get(0).Name == EmulatedDeviceName);

    public static bool IsUsable([NotNullWhen(false)] out string? problem)
    {
        problem = Problem.Value;
        return problem is null;
    }

    /// <summary>
    /// Whether the usable device is the emulated one, whose kernels run on the CPU (a 256-thread block costs
    /// milliseconds): tests then run at the small sizes of <see cref="InputSize"/> to fit CI's time.
    /// </summary>
    public static bool IsEmulated => Emulated.Value;

    /// <summary>
    /// The input size a test runs <paramref name="arch"/> at: <paramref name="onGpu"/> (null: the architecture's
    /// own) on a real GPU, the smallest convenient size the architecture accepts on the emulated device.
    /// </summary>
    public static (int Height, int Width)? InputSize(string arch, (int Height, int Width)? onGpu) => !IsEmulated ? onGpu : arch switch
    {
        "xception" => (71, 71), // as in the CPU backend's Xception tests
        _ => (32, 32),
    };

    /// <summary>Skips with the reason where there is no usable GPU; fails instead under CUDAGENRE_REQUIRE_GPU=1.</summary>
    public static void Require()
    {
        if (IsUsable(out var problem))
            return;
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
            Assert.Fail($"no usable GPU: {problem} ({RequireVariable}=1 makes this a failure instead of a skip)");
        Assert.Skip($"no usable GPU: {problem}");
        throw new UnreachableException();
    }
}
