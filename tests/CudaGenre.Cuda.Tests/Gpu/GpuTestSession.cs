using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Tests.Gpu;

/// <summary>
/// A device context and stream for one GPU test, or a skip that says why there is none. With
/// <c>CUDAGENRE_REQUIRE_GPU=1</c> (set by tools/gpu-check.sh on the GPU machine) a missing device or library fails instead.
/// </summary>
internal sealed class GpuTestSession : IDisposable
{
    private GpuTestSession(CudaContext context, CudaStream stream)
    {
        Context = context;
        Stream = stream;
    }

    public CudaContext Context { get; }

    public CudaStream Stream { get; }

    /// <summary>Opens device 0, after checking that the driver, a device and every named library are there.</summary>
    public static GpuTestSession Open(params string[] libraries)
    {
        if (!CudaDriver.TryInitialize(out var reason))
            Unavailable($"no usable CUDA driver: {reason}");
        if (CudaDevice.Count == 0)
            Unavailable("the CUDA driver sees no device");
        foreach (var library in libraries)
        {
            var probe = NativeLibraries.Probe(library);
            if (!probe.Found)
                Unavailable($"{library} was not found ({string.Join("; ", probe.Attempts)})");
        }
        var context = CudaDevice.Get(0).RetainPrimaryContext();
        return new GpuTestSession(context, context.CreateStream());
    }

    public DeviceBuffer<T> Upload<T>(T[] data) where T : unmanaged
    {
        var buffer = Context.Allocate<T>(data.Length);
        buffer.CopyFrom(data, Stream);
        return buffer;
    }

    /// <summary>A workspace of at least <paramref name="bytes"/> (one byte when none is needed, so there is always a buffer to dispose).</summary>
    public DeviceBuffer<byte> Workspace(ulong bytes) => Context.Allocate<byte>((long)Math.Max(bytes, 1UL));

    public void Dispose()
    {
        Stream.Dispose();
        Context.Dispose();
    }

    [DoesNotReturn]
    private static void Unavailable(string reason)
    {
        if (Environment.GetEnvironmentVariable("CUDAGENRE_REQUIRE_GPU") == "1")
            Assert.Fail($"CUDAGENRE_REQUIRE_GPU=1 but {reason}");
        Assert.Skip(reason);
        throw new UnreachableException();
    }
}
