using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Tests.TestSupport;

/// <summary>
/// A stream on the shared device context (<see cref="Requirements.Gpu"/>) for one GPU test, with upload and
/// workspace helpers. Disposing it releases the stream only; the context lives as long as the test process.
/// </summary>
internal sealed class GpuTestSession : IDisposable
{
    private GpuTestSession(CudaContext context)
    {
        Context = context;
        Stream = context.CreateStream();
    }

    public CudaContext Context { get; }

    public CudaStream Stream { get; }

    /// <summary>Passes the GPU gate (device 0 and every named library, else a skip or a failure), then opens a stream.</summary>
    public static GpuTestSession Open(params string[] libraries) => new(Requirements.Gpu(libraries));

    public DeviceBuffer<T> Upload<T>(T[] data) where T : unmanaged
    {
        var buffer = Context.Allocate<T>(data.Length);
        buffer.CopyFrom(data, Stream);
        return buffer;
    }

    /// <summary>A workspace of at least <paramref name="bytes"/> (one byte when none is needed, so there is always a buffer to dispose).</summary>
    public DeviceBuffer<byte> Workspace(ulong bytes) => Context.Allocate<byte>((long)Math.Max(bytes, 1UL));

    public void Dispose() => Stream.Dispose();
}
