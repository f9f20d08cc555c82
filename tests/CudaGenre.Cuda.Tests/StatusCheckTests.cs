using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Dnn;

namespace CudaGenre.Cuda.Tests;

[Collection(nameof(NativeReleaseFailures))]
public class StatusCheckTests
{
    [Fact]
    public void Success_DoesNotThrow()
    {
        CublasStatus.Check(cublasStatus_t.CUBLAS_STATUS_SUCCESS);
        CublasLtStatus.Check(cublasStatus_t.CUBLAS_STATUS_SUCCESS);
        CudnnStatus.Check(cudnnStatus_t.CUDNN_STATUS_SUCCESS);
    }

    [Fact]
    public void Cublas_Failure_NamesTheCall_TheStatus_AndGivesAText()
    {
        var e = Assert.Throws<CudaException>(() => CublasStatus.Check(StandIn.cublasGemmEx(cublasStatus_t.CUBLAS_STATUS_NOT_SUPPORTED)));
        Assert.Equal((NativeLibraryNames.Cublas, "cublasGemmEx", 15, "CUBLAS_STATUS_NOT_SUPPORTED"), (e.Library, e.Api, e.Status, e.StatusName));
        Assert.StartsWith("cublasGemmEx failed: CUBLAS_STATUS_NOT_SUPPORTED (15): ", e.Message);
        Assert.True(e.Message.Length > "cublasGemmEx failed: CUBLAS_STATUS_NOT_SUPPORTED (15): ".Length, e.Message);
    }

    [Fact]
    public void Cublas_WithoutTheLibrary_UsesTheHeaderTable()
    {
        Assert.Equal(("CUBLAS_STATUS_EXECUTION_FAILED", "no description: cuBLAS's cublasGetStatusString was not available"),
            CublasStatus.Describe(cublasStatus_t.CUBLAS_STATUS_EXECUTION_FAILED, askLibrary: false));
        Assert.Equal("cublasStatus_t 42", CublasStatus.Describe((cublasStatus_t)42, askLibrary: false).Name);
    }

    [Fact]
    public void CublasLt_Failure_IsReportedAsCublasLt()
    {
        var e = Assert.Throws<CudaException>(() => CublasLtStatus.Check(StandIn.cublasLtMatmul(cublasStatus_t.CUBLAS_STATUS_INVALID_VALUE)));
        Assert.Equal((NativeLibraryNames.CublasLt, "cublasLtMatmul", 7, "CUBLAS_STATUS_INVALID_VALUE"), (e.Library, e.Api, e.Status, e.StatusName));
        Assert.Equal(("CUBLAS_STATUS_INVALID_VALUE", "no description: cuBLASLt's cublasLtGetStatusString was not available"),
            CublasLtStatus.Describe(cublasStatus_t.CUBLAS_STATUS_INVALID_VALUE, askLibrary: false));
    }

    [Fact]
    public void Cudnn_Failure_NamesTheCall_TheStatus_AndItsText()
    {
        var e = Assert.Throws<CudaException>(() => CudnnStatus.Check(StandIn.cudnnSetTensor4dDescriptor(cudnnStatus_t.CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH)));
        Assert.Equal((NativeLibraryNames.Cudnn, "cudnnSetTensor4dDescriptor", 2008, "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH"),
            (e.Library, e.Api, e.Status, e.StatusName));
        Assert.StartsWith("cudnnSetTensor4dDescriptor failed: CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH (2008): ", e.Message);
    }

    [Fact]
    public void Cudnn_WithoutTheLibrary_GivesTheCategory()
    {
        Assert.Equal(("CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH", "bad parameter (no description: cuDNN's cudnnGetErrorString was not available)"),
            CudnnStatus.Describe(cudnnStatus_t.CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH, askLibrary: false));
        Assert.Equal("cudnnStatus_t 9999", CudnnStatus.Describe((cudnnStatus_t)9999, askLibrary: false).Name);
    }

    [Theory]
    [InlineData(0, "success")]
    [InlineData(1008, "uncategorized error")]
    [InlineData(2012, "bad parameter")]
    [InlineData(3014, "not supported")]
    [InlineData(4004, "internal error")]
    [InlineData(5002, "execution failed")]
    [InlineData(7000, "unknown category")]
    public void Cudnn_Category_FollowsTheThousands(int status, string category) =>
        Assert.Equal(category, CudnnStatus.Category((cudnnStatus_t)status));

    [Fact]
    public void ReleasePath_NeverThrows_AndRecordsTheFailure()
    {
        Assert.True(CublasStatus.Release(cublasStatus_t.CUBLAS_STATUS_SUCCESS));
        Assert.True(CudnnStatus.Release(cudnnStatus_t.CUDNN_STATUS_SUCCESS));

        var before = NativeReleaseFailures.Count;
        Assert.False(CublasStatus.Release(StandIn.cublasDestroy_v2(cublasStatus_t.CUBLAS_STATUS_NOT_INITIALIZED)));
        Assert.False(CublasLtStatus.Release(StandIn.cublasLtDestroy(cublasStatus_t.CUBLAS_STATUS_INTERNAL_ERROR)));
        Assert.False(CudnnStatus.Release(StandIn.cudnnDestroyTensorDescriptor(cudnnStatus_t.CUDNN_STATUS_BAD_PARAM)));
        Assert.True(NativeReleaseFailures.Count >= before + 3);
    }

    [Fact]
    public void ReleasePath_RecordsTheCallAndStatus()
    {
        // Other tests may record too; the message of this call is checked right after it.
        Assert.False(CudnnStatus.Release(StandIn.cudnnDestroyFilterDescriptor(cudnnStatus_t.CUDNN_STATUS_EXECUTION_FAILED)));
        Assert.Equal("cudnnDestroyFilterDescriptor failed: CUDNN_STATUS_EXECUTION_FAILED (5000)", NativeReleaseFailures.Last);
    }

    /// <summary>Stand-ins named like native calls, so the call text the check sees looks like a real one.</summary>
    private static class StandIn
    {
        public static cublasStatus_t cublasGemmEx(cublasStatus_t result) => result;

        public static cublasStatus_t cublasDestroy_v2(cublasStatus_t result) => result;

        public static cublasStatus_t cublasLtMatmul(cublasStatus_t result) => result;

        public static cublasStatus_t cublasLtDestroy(cublasStatus_t result) => result;

        public static cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnStatus_t result) => result;

        public static cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnStatus_t result) => result;

        public static cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnStatus_t result) => result;
    }
}
