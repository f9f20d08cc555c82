using System.Diagnostics;
using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Kernels;
using CudaGenre.Cuda.Nvrtc;
using CudaGenre.Cuda.Tests.TestSupport;
using CudaGenre.Cuda.Tests.Twins;

namespace CudaGenre.Cuda.Tests.Gpu;

/// <summary>
/// The project's kernels on the test device, compiled the way the engine compiles them: the embedded
/// <c>kernels/*.cu</c> through <see cref="KernelCompiler"/> for <see cref="KernelTarget.ForDevice"/>, with no extra
/// options (exact mode). Each file is compiled and loaded once per test process and recorded as a
/// <c>compiled</c> line of the GPU report.
/// </summary>
internal static class DeviceKernels
{
    private static readonly Dictionary<string, CudaModule> Modules = [];
    private static readonly Lock Gate = new();

    /// <summary>Entry point <paramref name="entry"/> of kernel file <paramref name="file"/>, loaded in <paramref name="context"/>.</summary>
    public static CudaKernel Get(CudaContext context, string file, string entry)
    {
        lock (Gate)
        {
            if (!Modules.TryGetValue(file, out var module))
            {
                var target = KernelTarget.ForDevice(context.Device.ComputeCapability, NvrtcCompiler.SupportedArchitectures);
                var clock = Stopwatch.StartNew();
                var compiled = new KernelCompiler(cache: null).Compile(file, target);
                var compileMs = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                module = compiled.Load(context);
                var entries = CudaSource.EntryPoints(KernelSources.ReadFile(file));
                foreach (var name in entries)
                    module.GetKernel(name);
                GpuReport.Add("compiled", file, $"{target} for {context.Device.Name}", $"{entries.Count} entry points",
                    $"NVRTC {compileMs:0} ms, load {clock.Elapsed.TotalMilliseconds:0} ms",
                    compiled.Log.Trim().Length == 0 ? "no messages" : $"messages: {compiled.Log.Trim()}");
                Modules[file] = module;
            }
            return module.GetKernel(entry);
        }
    }
}

/// <summary>
/// One kernel launch's device memory on a stream: inputs uploaded in a storage type, outputs pre-filled with
/// NaN bytes (0xFF) so that an element the kernel never writes cannot pass, all freed on dispose.
/// </summary>
internal sealed class KernelLaunch : IDisposable
{
    private readonly List<IDisposable> _buffers = [];

    public KernelLaunch(CudaContext context)
    {
        Context = context;
        Stream = context.CreateStream();
    }

    public CudaContext Context { get; }

    public CudaStream Stream { get; }

    /// <summary>Uploads <paramref name="values"/> encoded as <paramref name="type"/> (little-endian bytes).</summary>
    public DeviceBuffer<byte> Tensor(KernelStorage type, float[] values) => Upload(Storage.Encode(type, values));

    /// <summary>Uploads FP32 values, or returns null for null (the kernels' "none").</summary>
    public DeviceBuffer<float>? Floats(float[]? values) => values is null ? null : Upload(values);

    public DeviceBuffer<T> Upload<T>(T[] values) where T : unmanaged
    {
        var buffer = Keep(Context.Allocate<T>(values.Length));
        buffer.CopyFrom(values, Stream);
        return buffer;
    }

    /// <summary>An output of <paramref name="count"/> elements of <paramref name="type"/>, every byte 0xFF (a NaN in all three types).</summary>
    public DeviceBuffer<byte> Output(KernelStorage type, long count)
    {
        var buffer = Keep(Context.Allocate<byte>(count * type.Bytes()));
        buffer.EnqueueFillBytes(0xFF, Stream);
        return buffer;
    }

    /// <summary>
    /// Launches as the launcher prepared it, on <paramref name="grid"/> blocks instead where given (a tiny grid makes the
    /// grid-stride loops go round), and waits, so a launch error surfaces here. Returns the grid used.
    /// </summary>
    public uint Run(PreparedLaunch launch, uint? grid = null)
    {
        var blocks = grid ?? launch.Grid.X;
        DeviceKernels.Get(Context, launch.File, launch.EntryPoint).Launch(blocks, launch.Block, Stream, launch.Arguments);
        Stream.Synchronize();
        return blocks;
    }

    /// <summary>The buffer's elements decoded from <paramref name="type"/>.</summary>
    public float[] Download(KernelStorage type, DeviceBuffer<byte> buffer) => Storage.Decode(type, buffer.ToArray(Stream));

    public void Dispose()
    {
        foreach (var buffer in _buffers)
            buffer.Dispose();
        Stream.Dispose();
    }

    private DeviceBuffer<T> Keep<T>(DeviceBuffer<T> buffer) where T : unmanaged
    {
        _buffers.Add(buffer);
        return buffer;
    }
}

internal static class LauncherArguments
{
    /// <summary>A buffer's address, or the null pointer (the kernels' "none") for null.</summary>
    public static ulong PointerOrNull<T>(this DeviceBuffer<T>? buffer) where T : unmanaged => buffer?.Pointer ?? 0UL;
}
