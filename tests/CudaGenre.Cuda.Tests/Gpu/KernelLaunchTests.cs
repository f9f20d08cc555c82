using System.Text;
using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Kernels;
using CudaGenre.Cuda.Nvrtc;
using CudaGenre.Cuda.Tests.Nvrtc;
using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Gpu;

[Collection(nameof(GpuUsers))]
public class KernelLaunchTests
{
    private const int N = 100_003;

    private static (float[] X, float[] Y) RandomInputs(int seed)
    {
        var random = new Random(seed);
        var x = new float[N];
        var y = new float[N];
        for (var i = 0; i < N; i++)
        {
            x[i] = (float)(random.NextDouble() * 4 - 2);
            y[i] = (float)(random.NextDouble() * 4 - 2);
        }
        return (x, y);
    }

    /// <summary>y = a·x + y on the CPU; the GPU may contract to one fused multiply-add, so allow one rounding of the product.</summary>
    private static void AssertSaxpy(float a, float[] x, float[] y, float[] actual)
    {
        for (var i = 0; i < x.Length; i++)
        {
            var expected = MathF.FusedMultiplyAdd(a, x[i], y[i]);
            var tolerance = 1e-6f * (MathF.Abs(a * x[i]) + MathF.Abs(y[i])) + 1e-30f;
            Assert.True(MathF.Abs(actual[i] - expected) <= tolerance, $"element {i}: {actual[i]} vs {expected}");
        }
    }

    private static CudaModule LoadSaxpy(CudaContext context, KernelTarget target) =>
        new KernelCompiler(cache: null).CompileSource("saxpy.cu", NvrtcProgramTests.Saxpy, target).Load(context);

    public static TheoryData<string> Targets() => ["device's own (CUBIN when supported)", "PTX compute_75 (driver JIT)"];

    [Theory]
    [MemberData(nameof(Targets))]
    public void CompiledKernel_Launches_AndMatchesTheCpu(string how)
    {
        var context = Requirements.Gpu();
        Requirements.Nvrtc();
        var target = how.StartsWith("PTX", StringComparison.Ordinal)
            ? KernelTarget.Ptx(75)
            : KernelTarget.ForDevice(context.Device.ComputeCapability, NvrtcCompiler.SupportedArchitectures);
        using var module = LoadSaxpy(context, target);
        var kernel = module.GetKernel("saxpy");
        Assert.Same(kernel, module.GetKernel("saxpy"));
        Assert.True(kernel.MaxThreadsPerBlock >= 256);
        Assert.InRange(kernel.RegistersPerThread, 1, 255);

        using var stream = context.CreateStream();
        var (x, y) = RandomInputs(5);
        using var dx = context.Allocate<float>(N);
        using var dy = context.Allocate<float>(N);
        dx.CopyFrom(x, stream);
        dy.CopyFrom(y, stream);
        const float a = 1.37f;
        kernel.Launch(Dim3.BlocksFor(N, 256), 256, stream, new KernelArguments().Add(a).Add(dx).Add(dy).Add(N));
        AssertSaxpy(a, x, y, dy.ToArray(stream));
    }

    [Fact]
    public void EveryProjectKernel_LoadsOnTheDevice_AndEveryEntryPointIsFound()
    {
        var context = Requirements.Gpu();
        Requirements.Nvrtc();
        var compiler = new KernelCompiler(cache: null);
        var target = KernelTarget.ForDevice(context.Device.ComputeCapability, NvrtcCompiler.SupportedArchitectures);
        foreach (var file in KernelSources.Names)
        {
            using var module = compiler.Compile(file, target).Load(context);
            foreach (var name in CudaSource.EntryPoints(KernelSources.ReadFile(file)))
                Assert.True(module.GetKernel(name).MaxThreadsPerBlock > 0, $"{file}: {name}");
        }
    }

    [Fact]
    public void LaunchErrors_AndLookupErrors_AreClear()
    {
        var context = Requirements.Gpu();
        Requirements.Nvrtc();
        using var module = LoadSaxpy(context, KernelTarget.Ptx(75));
        var missing = Assert.Throws<CudaException>(() => module.GetKernel("saxpy_v2"));
        Assert.Equal("CUDA_ERROR_NOT_FOUND", missing.StatusName);
        Assert.Contains("module 'saxpy.cu' has no kernel named 'saxpy_v2'", missing.Message, StringComparison.Ordinal);

        using var stream = context.CreateStream();
        using var buffer = context.Allocate<float>(16);
        var tooBig = Assert.Throws<CudaException>(() =>
            module.GetKernel("saxpy").Launch(1, 4096, stream, new KernelArguments().Add(1f).Add(buffer).Add(buffer).Add(16)));
        Assert.Equal("cuLaunchKernel", tooBig.Api);
        Assert.Contains("block (4096, 1, 1)", tooBig.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadPtx_FailsToLoad_WithTheJitLog()
    {
        var context = Requirements.Gpu();
        var ptx = Encoding.ASCII.GetBytes(".version 7.0\n.target sm_75\n.address_size 64\n.visible .entry broken() { this is not ptx; }\n");
        var e = Assert.Throws<CudaException>(() => context.LoadModule(ptx, "broken.ptx"));
        Assert.Equal("cuModuleLoadDataEx", e.Api);
        Assert.Contains("loading module 'broken.ptx' (PTX", e.Message, StringComparison.Ordinal);
        Assert.Contains("JIT error log", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Events_TimeQueuedWork()
    {
        var context = Requirements.RealGpu("it times 200 launches of 100 003 threads with events (minutes of CPU time on the emulated device, and its event times are CPU times)");
        Requirements.Nvrtc();
        using var module = LoadSaxpy(context, KernelTarget.Ptx(75));
        var kernel = module.GetKernel("saxpy");
        using var stream = context.CreateStream();
        using var x = context.Allocate<float>(N);
        using var y = context.Allocate<float>(N);
        x.EnqueueFill32(BitConverter.SingleToUInt32Bits(1f), stream);
        y.EnqueueFill32(0, stream);
        using var start = context.CreateEvent();
        using var end = context.CreateEvent();
        var arguments = new KernelArguments().Add(0.5f).Add(x).Add(y).Add(N);
        start.Record(stream);
        for (var i = 0; i < 200; i++)
            kernel.Launch(Dim3.BlocksFor(N, 256), 256, stream, arguments);
        end.Record(stream);
        end.Synchronize();
        var ms = CudaEvent.ElapsedMilliseconds(start, end);
        Assert.InRange(ms, 1e-3f, 10_000f);
        // 200 × 0.5 exactly, so the timed work really ran.
        Assert.All(y.ToArray(stream), v => Assert.Equal(100f, v));
    }

    [Fact]
    public void CapturedGraph_LaunchedTwice_GivesWhatEagerLaunchesGive()
    {
        var context = Requirements.Gpu();
        Requirements.Nvrtc();
        using var module = LoadSaxpy(context, KernelTarget.ForDevice(context.Device.ComputeCapability, NvrtcCompiler.SupportedArchitectures));
        var kernel = module.GetKernel("saxpy");
        using var stream = context.CreateStream();
        var (x, y0) = RandomInputs(11);
        using var dx = context.Allocate<float>(N);
        using var dy = context.Allocate<float>(N);
        using var result = context.Allocate<float>(N);
        dx.CopyFrom(x, stream);
        var arguments = new KernelArguments().Add(0f).Add(dx).Add(dy).Add(N);

        // y = 0.5x + y; y = -1.25x + y; y = 3x + y; result = y. Argument 0 changes between launches.
        void Work(CudaStream s)
        {
            foreach (var a in new[] { 0.5f, -1.25f, 3f })
            {
                arguments.Set(0, a);
                kernel.Launch(Dim3.BlocksFor(N, 128), 128, s, arguments);
            }
            result.EnqueueCopyFrom(dy, s);
        }

        dy.CopyFrom(y0, stream);
        Work(stream);
        var eager = result.ToArray(stream);

        using var graph = CudaGraph.Capture(stream, s =>
        {
            Assert.Equal(CUstreamCaptureStatus.CU_STREAM_CAPTURE_STATUS_ACTIVE, s.CaptureStatus);
            Work(s);
        });
        Assert.Equal(CUstreamCaptureStatus.CU_STREAM_CAPTURE_STATUS_NONE, stream.CaptureStatus);
        using var exec = graph.Instantiate();
        for (var run = 0; run < 2; run++)
        {
            result.EnqueueFill32(0, stream);
            dy.CopyFrom(y0, stream);
            exec.Launch(stream);
            Assert.Equal(eager, result.ToArray(stream));
        }
    }

    [Fact]
    public void CaptureThatThrows_EndsTheCapture_AndPassesTheExceptionOn()
    {
        var context = Requirements.Gpu();
        using var stream = context.CreateStream();
        var e = Assert.Throws<InvalidOperationException>(() => CudaGraph.Capture(stream, _ => throw new InvalidOperationException("inside")));
        Assert.Equal("inside", e.Message);
        Assert.Equal(CUstreamCaptureStatus.CU_STREAM_CAPTURE_STATUS_NONE, stream.CaptureStatus);
        stream.Synchronize();
    }
}
