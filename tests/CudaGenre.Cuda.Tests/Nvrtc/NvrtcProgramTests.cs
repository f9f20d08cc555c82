using System.Text;
using CudaGenre.Cuda.Nvrtc;
using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Nvrtc;

public class NvrtcProgramTests
{
    /// <summary>TestKernels/saxpy.cu (embedded): also compiled into the emulated device's CPU build.</summary>
    internal static readonly string Saxpy = TestKernelSource.Read("saxpy.cu");

    [Fact]
    public void Version_AndArchitectures_AreReadFromTheLibrary()
    {
        Requirements.Nvrtc();
        var (major, minor) = NvrtcCompiler.Version;
        Assert.True(major > 11 || (major == 11 && minor >= 2), $"NVRTC {major}.{minor}: nvrtcGetSupportedArchs needs 11.2 or newer");
        var architectures = NvrtcCompiler.SupportedArchitectures;
        Assert.Equal(architectures.Order(), architectures);
        Assert.Contains(80, architectures);
        Assert.Contains(90, architectures);
    }

    [Fact]
    public void Compiles_ToPtx_ForAVirtualArchitecture()
    {
        Requirements.Nvrtc();
        using var program = new NvrtcProgram(Saxpy, "saxpy.cu");
        program.Compile(["-arch=compute_80", "--std=c++17"]);
        var ptx = Encoding.ASCII.GetString(program.GetPtx());
        Assert.Contains(".target sm_80", ptx, StringComparison.Ordinal);
        Assert.Contains(".visible .entry saxpy(", ptx, StringComparison.Ordinal);
        Assert.NotEqual('\0', ptx[^1]);
        var e = Assert.Throws<InvalidOperationException>(program.GetCubin);
        Assert.Contains("virtual architecture", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compiles_ToCubin_ForARealArchitecture()
    {
        Requirements.Nvrtc();
        using var program = new NvrtcProgram(Saxpy, "saxpy.cu");
        program.Compile(["-arch=sm_80"]);
        var cubin = program.GetCubin();
        Assert.Equal("\u007fELF"u8.ToArray(), cubin[..4]);
        Assert.True(cubin.AsSpan().IndexOf("saxpy"u8) > 0, "the CUBIN's symbol table names the kernel");
    }

    [Fact]
    public void BrokenSource_ThrowsWithTheLog_TheFileName_AndTheLine()
    {
        Requirements.Nvrtc();
        const string broken = """
            extern "C" __global__ void broken(float* y)
            {
                y[0] = undeclared_name;
            }
            """;
        using var program = new NvrtcProgram(broken, "broken_test.cu");
        var e = Assert.Throws<NvrtcCompilationException>(() => program.Compile(["-arch=compute_80"]));
        Assert.Equal("broken_test.cu", e.SourceName);
        Assert.Contains("broken_test.cu(3)", e.Log, StringComparison.Ordinal);
        Assert.Contains("undeclared_name", e.Log, StringComparison.Ordinal);
        Assert.Contains("broken_test.cu did not compile (options: -arch=compute_80). NVRTC log:", e.Message, StringComparison.Ordinal);
        Assert.Contains(e.Log, e.Message, StringComparison.Ordinal);
        Assert.Equal(("nvrtcCompileProgram", (int)nvrtcResult.NVRTC_ERROR_COMPILATION), (e.Api, e.Status));
    }

    [Fact]
    public void UnknownOption_IsAStatusError_NotACompilationError()
    {
        Requirements.Nvrtc();
        using var program = new NvrtcProgram(Saxpy, "saxpy.cu");
        var e = Assert.Throws<CudaException>(() => program.Compile(["--no-such-option"]));
        Assert.IsNotType<NvrtcCompilationException>(e);
        Assert.Equal(("nvrtcCompileProgram", "NVRTC_ERROR_INVALID_OPTION"), (e.Api, e.StatusName));
    }

    [Fact]
    public void Dispose_IsIdempotent_AndUseAfterDispose_Throws()
    {
        Requirements.Nvrtc();
        var program = new NvrtcProgram(Saxpy, "saxpy.cu");
        program.Dispose();
        program.Dispose();
        Assert.Throws<ObjectDisposedException>(() => program.Compile([]));
    }
}
