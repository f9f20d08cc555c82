using System.Text;
using System.Text.RegularExpressions;
using CudaGenre.Cuda.Kernels;
using CudaGenre.Cuda.Nvrtc;
using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Kernels;

public class KernelCompilerTests
{
    public static TheoryData<string, int> KernelFilesAndArchitectures()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in KernelSources.Names)
        {
            data.Add(name, 80);
            data.Add(name, 90);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(KernelFilesAndArchitectures))]
    public void EveryKernelFile_CompilesToPtx_WithAnEntryForEveryExternCKernel(string file, int architecture)
    {
        Requirements.Nvrtc();
        var source = KernelSources.ReadFile(file);
        var entryPoints = CudaSource.EntryPoints(source);
        Assert.NotEmpty(entryPoints);
        // A __global__ that is not extern "C" has a mangled name the host cannot look up: every one must be an entry point.
        Assert.Equal(CudaSource.GlobalFunctionCount(source), entryPoints.Count);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var compiled = new KernelCompiler(cache: null).Compile(file, KernelTarget.Ptx(architecture));
        var (major, minor) = NvrtcCompiler.Version;
        GpuReport.Add("compiled", file, $"{compiled.Target} (PTX, NVRTC {major}.{minor})", $"{entryPoints.Count} entry points",
            $"NVRTC {clock.Elapsed.TotalMilliseconds:0} ms", compiled.Log.Trim().Length == 0 ? "no messages" : $"messages: {compiled.Log.Trim()}");

        var ptx = Encoding.ASCII.GetString(compiled.Image);
        Assert.Contains($".target sm_{architecture}", ptx, StringComparison.Ordinal);
        foreach (var name in entryPoints)
            Assert.Matches(new Regex($@"\.entry\s+{Regex.Escape(name)}\s*\("), ptx);
        Assert.Equal(entryPoints.Count, Regex.Count(ptx, @"\.entry\s"));
        Assert.Equal([$"-arch=compute_{architecture}", "--std=c++17"], compiled.Options);
        Assert.Equal(KernelCacheOutcome.Disabled, compiled.CacheOutcome);
    }

    [Fact]
    public void BrokenKernel_ThrowsWithTheLog_AndItsOwnFileAndLine_PastThePrependedHeader()
    {
        Requirements.Nvrtc();
        var source = KernelSources.Combine(KernelSources.ReadFile(KernelSources.PrecisionHeader), "broken_kernel.cu", """
            extern "C" __global__ void broken(float* y)
            {
                y[0] = cg_to_float(missing_value);
            }
            """);
        var e = Assert.Throws<NvrtcCompilationException>(() => new KernelCompiler(cache: null).CompileSource("broken_kernel.cu", source, KernelTarget.Ptx(80)));
        Assert.Equal("broken_kernel.cu", e.SourceName);
        Assert.Contains("broken_kernel.cu(3)", e.Log, StringComparison.Ordinal);
        Assert.Contains("missing_value", e.Message, StringComparison.Ordinal);
        Assert.Contains("broken_kernel.cu did not compile", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExtraOptions_FollowTheStandardOnes()
    {
        Requirements.Nvrtc();
        var compiled = new KernelCompiler(cache: null).CompileSource("saxpy.cu", Nvrtc.NvrtcProgramTests.Saxpy, KernelTarget.Ptx(90), KernelCompiler.FastMathOptions);
        Assert.Equal(["-arch=compute_90", "--std=c++17", "--use_fast_math"], compiled.Options);
        // Fast math flushes denormals: the PTX says so on the multiply-add (ftz); exact mode must not.
        Assert.Contains(".ftz", Encoding.ASCII.GetString(compiled.Image), StringComparison.Ordinal);
        var exact = new KernelCompiler(cache: null).CompileSource("saxpy.cu", Nvrtc.NvrtcProgramTests.Saxpy, KernelTarget.Ptx(90));
        Assert.DoesNotContain(".ftz", Encoding.ASCII.GetString(exact.Image), StringComparison.Ordinal);
    }

    [Fact]
    public void CubinTarget_GivesAnElfImage()
    {
        Requirements.Nvrtc();
        var compiled = new KernelCompiler(cache: null).Compile(KernelSources.Names[0], KernelTarget.Cubin(80));
        Assert.Equal("\u007fELF"u8.ToArray(), compiled.Image[..4]);
    }
}
