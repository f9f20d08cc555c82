using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Dnn;

namespace CudaGenre.Cuda.Tests;

public class StatusCheckTests
{
    [Theory]
    [InlineData("Cudnn.cudnnConvolutionForward(h, alpha, x)", "cudnnConvolutionForward")]
    [InlineData("  cublasCreate_v2(out var raw) ", "cublasCreate_v2")]
    [InlineData("Cublas.cublasSgemm_v2(this, Op(a), b.Length)", "cublasSgemm_v2")]
    [InlineData("CudaGenre.Cuda.Blas.CublasLt.cublasLtMatmul(this)", "cublasLtMatmul")]
    [InlineData("status", "status")]
    [InlineData("", "(unknown call)")]
    public void FunctionName_IsTheIdentifierBeforeTheArguments(string expression, string expected) =>
        Assert.Equal(expected, NativeCallText.FunctionName(expression));

    [Fact]
    public void Success_DoesNotThrow()
    {
        Cublas.Check(cublasStatus_t.CUBLAS_STATUS_SUCCESS);
        CublasLt.Check(cublasStatus_t.CUBLAS_STATUS_SUCCESS);
        Cudnn.Check(cudnnStatus_t.CUDNN_STATUS_SUCCESS);
    }

    [Fact]
    public void Cublas_Failure_NamesTheCall_TheStatus_AndGivesAText()
    {
        var e = Assert.Throws<CudaException>(() => Cublas.Check(cublasGemmEx_stand_in(cublasStatus_t.CUBLAS_STATUS_NOT_SUPPORTED)));
        Assert.Equal((NativeLibraryNames.Cublas, "cublasGemmEx_stand_in", 15, "CUBLAS_STATUS_NOT_SUPPORTED"), (e.Library, e.Api, e.Status, e.StatusName));
        Assert.StartsWith("cublasGemmEx_stand_in failed: CUBLAS_STATUS_NOT_SUPPORTED (15): ", e.Message);
        Assert.True(e.Message.Length > "cublasGemmEx_stand_in failed: CUBLAS_STATUS_NOT_SUPPORTED (15): ".Length);
    }

    [Fact]
    public void Cublas_WithoutTheLibrary_FallsBackToHeaderNames()
    {
        if (LibraryPresence.Cublas)
            Assert.Skip("libcublas is loadable here, so the library's own names and texts are used");
        var e = Cublas.Failure(cublasStatus_t.CUBLAS_STATUS_EXECUTION_FAILED, "cublasSgemm_v2");
        Assert.Equal("cublasSgemm_v2 failed: CUBLAS_STATUS_EXECUTION_FAILED (13): no description: cublas could not be asked for one", e.Message);
        Assert.Equal("unknown cublasStatus_t 42", Cublas.StatusName((cublasStatus_t)42));
    }

    [Fact]
    public void CublasLt_Failure_IsReportedAsCublasLt()
    {
        var e = Assert.Throws<CudaException>(() => CublasLt.Check(cublasLtMatmul_stand_in(cublasStatus_t.CUBLAS_STATUS_INVALID_VALUE)));
        Assert.Equal((NativeLibraryNames.CublasLt, "cublasLtMatmul_stand_in", 7, "CUBLAS_STATUS_INVALID_VALUE"), (e.Library, e.Api, e.Status, e.StatusName));
        if (!LibraryPresence.CublasLt)
            Assert.EndsWith("CUBLAS_STATUS_INVALID_VALUE (7): no description: cublasLt could not be asked for one", e.Message);
    }

    [Fact]
    public void Cudnn_Failure_NamesTheCall_TheStatus_AndItsCategory()
    {
        var e = Assert.Throws<CudaException>(() => Cudnn.Check(cudnnSetTensor4dDescriptor_stand_in(cudnnStatus_t.CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH)));
        Assert.Equal((NativeLibraryNames.Cudnn, "cudnnSetTensor4dDescriptor_stand_in", 2008, "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH"),
            (e.Library, e.Api, e.Status, e.StatusName));
        Assert.StartsWith("cudnnSetTensor4dDescriptor_stand_in failed: CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH (2008): ", e.Message);
        if (!LibraryPresence.Cudnn)
            Assert.EndsWith("bad parameter (no description: cudnn could not be asked for one)", e.Message);
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
        Assert.Equal(category, Cudnn.Category((cudnnStatus_t)status));

    [Fact]
    public void Cudnn_UnknownStatus_IsNamedByNumber()
    {
        if (LibraryPresence.Cudnn)
            Assert.Skip("libcudnn is loadable here and names unknown values itself");
        Assert.Equal("unknown cudnnStatus_t 9999", Cudnn.StatusName((cudnnStatus_t)9999));
    }

    [Fact]
    public void ReleasePath_NeverThrows_AndReportsTheOutcome()
    {
        Assert.True(Cublas.Released(cublasStatus_t.CUBLAS_STATUS_SUCCESS));
        Assert.False(Cublas.Released(cublasStatus_t.CUBLAS_STATUS_NOT_INITIALIZED));
        Assert.False(CublasLt.Released(cublasStatus_t.CUBLAS_STATUS_INTERNAL_ERROR));
        Assert.True(Cudnn.Released(cudnnStatus_t.CUDNN_STATUS_SUCCESS));
        Assert.False(Cudnn.Released(cudnnStatus_t.CUDNN_STATUS_BAD_PARAM));
    }

    // Stand-ins shaped like native calls, so the call text the check sees looks like a real one.
    private static cublasStatus_t cublasGemmEx_stand_in(cublasStatus_t result) => result;

    private static cublasStatus_t cublasLtMatmul_stand_in(cublasStatus_t result) => result;

    private static cudnnStatus_t cudnnSetTensor4dDescriptor_stand_in(cudnnStatus_t result) => result;
}
