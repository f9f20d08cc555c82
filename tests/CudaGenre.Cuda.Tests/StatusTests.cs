using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Nvrtc;

namespace CudaGenre.Cuda.Tests;

public class StatusTests
{
    [Theory]
    [InlineData("DriverApi.cuMemAlloc_v2(&pointer, (nuint)SizeInBytes)", "cuMemAlloc_v2")]
    [InlineData("cuInit(0)", "cuInit")]
    [InlineData("  NvrtcApi.nvrtcCompileProgram(\n    program, utf8.Length, pointers)", "nvrtcCompileProgram")]
    [InlineData("CudaGenre.Cuda.Driver.DriverApi.cuStreamSynchronize(Handle)", "cuStreamSynchronize")]
    [InlineData("Api.cublasGemmEx<float>(h, a)", "cublasGemmEx")]
    [InlineData("status", "status")]
    public void FunctionName_IsTheLastMemberBeforeTheArguments(string call, string expected) =>
        Assert.Equal(expected, NativeCall.FunctionName(call));

    [Fact]
    public void DriverCheck_NamesTheFunction_TheStatus_AndItsNumber()
    {
        var e = Assert.Throws<CudaException>(() => DriverStatus.Check(CUresult.CUDA_ERROR_OUT_OF_MEMORY, "DriverApi.cuMemAlloc_v2(&p, n)"));
        Assert.StartsWith("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): ", e.Message, StringComparison.Ordinal);
        Assert.Equal((NativeLibraryNames.Driver, "cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY"), (e.Library, e.Api, e.Status, e.StatusName));
        DriverStatus.Check(CUresult.CUDA_SUCCESS);
    }

    [Fact]
    public void DriverCheck_PassesTheCallTextThroughTheCompiler()
    {
        static CUresult Fails() => CUresult.CUDA_ERROR_INVALID_HANDLE;
        var e = Assert.Throws<CudaException>(() => DriverStatus.Check(Fails()));
        Assert.Equal("Fails", e.Api);
    }

    [Theory]
    [InlineData(CUresult.CUDA_ERROR_INVALID_PTX, "CUDA_ERROR_INVALID_PTX")]
    [InlineData(CUresult.CUDA_ERROR_NO_DEVICE, "CUDA_ERROR_NO_DEVICE")]
    [InlineData(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS")]
    public void DriverTable_GivesTheHeaderName(CUresult status, string name)
    {
        var (tableName, description) = DriverStatus.Describe(status, askDriver: false);
        Assert.Equal(name, tableName);
        Assert.Equal("no description: the driver's cuGetErrorString was not available", description);
    }

    [Fact]
    public void DriverStatus_UnknownCode_KeepsTheNumber()
    {
        var (name, description) = DriverStatus.Describe((CUresult)12345, askDriver: false);
        Assert.Equal("CUresult 12345", name);
        Assert.Contains("does not know", description, StringComparison.Ordinal);
    }

    [Fact]
    public void CUresultValues_MatchCudaH()
    {
        // cuda.h (CUDA 12.6), enum cudaError_enum.
        Assert.Equal(
            [0, 1, 2, 3, 4, 100, 200, 218, 222, 400, 500, 600, 700, 701, 719, 900, 901, 999],
            new[]
            {
                CUresult.CUDA_SUCCESS, CUresult.CUDA_ERROR_INVALID_VALUE, CUresult.CUDA_ERROR_OUT_OF_MEMORY, CUresult.CUDA_ERROR_NOT_INITIALIZED,
                CUresult.CUDA_ERROR_DEINITIALIZED, CUresult.CUDA_ERROR_NO_DEVICE, CUresult.CUDA_ERROR_INVALID_IMAGE, CUresult.CUDA_ERROR_INVALID_PTX,
                CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION, CUresult.CUDA_ERROR_INVALID_HANDLE, CUresult.CUDA_ERROR_NOT_FOUND,
                CUresult.CUDA_ERROR_NOT_READY, CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, CUresult.CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES,
                CUresult.CUDA_ERROR_LAUNCH_FAILED, CUresult.CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, CUresult.CUDA_ERROR_STREAM_CAPTURE_INVALIDATED,
                CUresult.CUDA_ERROR_UNKNOWN,
            }.Select(s => (int)s));
        Assert.Equal(97, Enum.GetValues<CUresult>().Length);
        Assert.Equal((75, 76, 16, 13), ((int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
            (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
            (int)CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE));
        Assert.Equal((5, 6, 3, 4), ((int)CUjit_option.CU_JIT_ERROR_LOG_BUFFER, (int)CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
            (int)CUjit_option.CU_JIT_INFO_LOG_BUFFER, (int)CUjit_option.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES));
        Assert.Equal((0, 1, 2), ((int)CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_GLOBAL, (int)CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL,
            (int)CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED));
    }

    [Fact]
    public void ReleasePath_NeverThrows_CountsTheFailure_AndTreatsDriverShutdownAsDone()
    {
        var before = NativeReleaseFailures.Count;
        Assert.False(DriverStatus.Release(CUresult.CUDA_ERROR_INVALID_VALUE, "DriverApi.cuMemFree_v2((ulong)value)"));
        Assert.True(NativeReleaseFailures.Count > before);
        Assert.Contains("cuMemFree_v2 failed: CUDA_ERROR_INVALID_VALUE (1)", NativeReleaseFailures.Last, StringComparison.Ordinal);

        var afterFailure = NativeReleaseFailures.Count;
        Assert.True(DriverStatus.Release(CUresult.CUDA_SUCCESS, "x"));
        Assert.True(DriverStatus.Release(CUresult.CUDA_ERROR_DEINITIALIZED, "x"));
        Assert.False(NvrtcStatus.Release(nvrtcResult.NVRTC_ERROR_INVALID_PROGRAM, "NvrtcApi.nvrtcDestroyProgram(&program)"));
        Assert.Equal("nvrtcDestroyProgram failed: NVRTC_ERROR_INVALID_PROGRAM (4)", NativeReleaseFailures.Last);
        Assert.True(NativeReleaseFailures.Count > afterFailure);
    }

    [Fact]
    public void NvrtcCheck_NamesTheFunction_TheStatus_AndWhatItMeans()
    {
        var e = Assert.Throws<CudaException>(() => NvrtcStatus.Check(nvrtcResult.NVRTC_ERROR_INVALID_OPTION, "NvrtcApi.nvrtcCompileProgram(p, 1, o)"));
        Assert.Equal("nvrtcCompileProgram failed: NVRTC_ERROR_INVALID_OPTION (5): a compiler option was not recognized by this NVRTC version", e.Message);
        Assert.Equal(NativeLibraryNames.Nvrtc, e.Library);
    }

    [Fact]
    public void NvrtcStatus_Names_ComeFromTheTable_OrTheNumber()
    {
        // NVRTC 11.8 does not know code 12 (it answers "NVRTC_ERROR unknown"); the table does.
        Assert.Equal("NVRTC_ERROR_TIME_FILE_WRITE_FAILED", NvrtcStatus.NameOf(nvrtcResult.NVRTC_ERROR_TIME_FILE_WRITE_FAILED, askLibrary: true));
        Assert.Equal("NVRTC_ERROR_COMPILATION", NvrtcStatus.NameOf(nvrtcResult.NVRTC_ERROR_COMPILATION, askLibrary: false));
        Assert.Equal("nvrtcResult 99", NvrtcStatus.NameOf((nvrtcResult)99, askLibrary: true));
        Assert.Equal("see nvrtc.h", NvrtcStatus.Meaning((nvrtcResult)99));
    }
}
