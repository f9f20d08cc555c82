using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Gpu;

/// <summary>cuBLAS and cuBLASLt on a real device against <see cref="BlasReference"/>. Skip where there is no GPU.</summary>
[Collection(nameof(GpuUsers))]
public class CublasGpuTests
{
    private const int M = 37, N = 29, K = 53;

    [Fact]
    public void LibraryVersions_AreReported()
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cublas, NativeLibraryNames.CublasLt);
        using var blas = CublasHandle.Create();
        var (major, minor, _) = CublasHandle.LibraryVersion;
        Assert.InRange(major, 11, 99);
        Assert.Equal(major * 10000 + minor * 100, blas.Version / 100 * 100);
        Assert.InRange(CublasLtHandle.LibraryVersion, 110000, 999999);
    }

    [Fact]
    public void Sgemm_TransposedA_PaddedLeadingDimensions_MatchesBlasDefinition()
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cublas);
        const int Lda = K + 3, Ldb = K, Ldc = M + 1;
        var a = CpuReference.Random(1, Lda * M);   // stored K×M (op T), padded rows
        var b = CpuReference.Random(2, Ldb * N);
        var c = CpuReference.Random(3, Ldc * N);
        var expected = (float[])c.Clone();
        BlasReference.Gemm(cublasOperation_t.CUBLAS_OP_T, cublasOperation_t.CUBLAS_OP_N, M, N, K, a, Lda, b, Ldb, expected, Ldc,
            alpha: 0.75f, beta: -0.5f);

        using var da = gpu.Upload(a);
        using var db = gpu.Upload(b);
        using var dc = gpu.Upload(c);
        using var blas = CublasHandle.Create();
        blas.SetStream(gpu.Stream.Handle);
        Assert.Equal(cublasMath_t.CUBLAS_DEFAULT_MATH, blas.MathMode);
        blas.Sgemm(cublasOperation_t.CUBLAS_OP_T, cublasOperation_t.CUBLAS_OP_N, M, N, K, 0.75f, da.Pointer, Lda, db.Pointer, Ldb,
            -0.5f, dc.Pointer, Ldc);
        CpuReference.AssertClose(expected, dc.ToArray(gpu.Stream), 1e-5, "cublasSgemm_v2 FP32");
    }

    [Theory]
    [InlineData(cublasComputeType_t.CUBLAS_COMPUTE_32F, 1e-5)]
    [InlineData(cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32, 1e-2)]
    public void GemmEx_Fp32Inputs(cublasComputeType_t compute, double tolerance)
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cublas);
        var a = CpuReference.Random(4, M * K);
        var b = CpuReference.Random(5, N * K);   // stored N×K, op T
        var expected = new float[M * N];
        BlasReference.Gemm(cublasOperation_t.CUBLAS_OP_N, cublasOperation_t.CUBLAS_OP_T, M, N, K, a, M, b, N, expected, M);

        using var da = gpu.Upload(a);
        using var db = gpu.Upload(b);
        using var dc = gpu.Context.Allocate<float>(M * N);
        using var blas = CublasHandle.Create();
        blas.SetStream(gpu.Stream.Handle);
        blas.GemmEx(cublasOperation_t.CUBLAS_OP_N, cublasOperation_t.CUBLAS_OP_T, M, N, K, 1f, da.Pointer, cudaDataType_t.CUDA_R_32F, M,
            db.Pointer, cudaDataType_t.CUDA_R_32F, N, 0f, dc.Pointer, cudaDataType_t.CUDA_R_32F, M, compute);
        CpuReference.AssertClose(expected, dc.ToArray(gpu.Stream), tolerance, $"cublasGemmEx {compute}");
    }

    [Fact]
    public void GemmEx_HalfInputs_Fp32Accumulate()
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cublas);
        var a = CpuReference.Random(6, M * K).Select(v => (Half)v).ToArray();
        var b = CpuReference.Random(7, K * N).Select(v => (Half)v).ToArray();
        var expected = new float[M * N];
        BlasReference.Gemm(cublasOperation_t.CUBLAS_OP_N, cublasOperation_t.CUBLAS_OP_N, M, N, K,
            a.Select(v => (float)v).ToArray(), M, b.Select(v => (float)v).ToArray(), K, expected, M);

        using var da = gpu.Upload(a);
        using var db = gpu.Upload(b);
        using var dc = gpu.Context.Allocate<Half>(M * N);
        using var blas = CublasHandle.Create();
        blas.SetStream(gpu.Stream.Handle);
        blas.GemmEx(cublasOperation_t.CUBLAS_OP_N, cublasOperation_t.CUBLAS_OP_N, M, N, K, 1f, da.Pointer, cudaDataType_t.CUDA_R_16F, M,
            db.Pointer, cudaDataType_t.CUDA_R_16F, K, 0f, dc.Pointer, cudaDataType_t.CUDA_R_16F, M, cublasComputeType_t.CUBLAS_COMPUTE_32F);
        CpuReference.AssertClose(expected, dc.ToArray(gpu.Stream).Select(v => (float)v).ToArray(), 5e-3, "cublasGemmEx FP16 in, FP32 accumulate");
    }

    [Fact]
    public void GemmStridedBatchedEx_EachMatrixIsItsOwnProduct()
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cublas);
        const int Batch = 3;
        var a = CpuReference.Random(8, Batch * M * K);
        var b = CpuReference.Random(9, Batch * K * N);
        var expected = new float[Batch * M * N];
        for (var i = 0; i < Batch; i++)
        {
            var c = new float[M * N];
            BlasReference.Gemm(cublasOperation_t.CUBLAS_OP_N, cublasOperation_t.CUBLAS_OP_N, M, N, K,
                a[(i * M * K)..((i + 1) * M * K)], M, b[(i * K * N)..((i + 1) * K * N)], K, c, M);
            c.CopyTo(expected, i * M * N);
        }

        using var da = gpu.Upload(a);
        using var db = gpu.Upload(b);
        using var dc = gpu.Context.Allocate<float>(Batch * M * N);
        using var blas = CublasHandle.Create();
        blas.SetStream(gpu.Stream.Handle);
        blas.GemmStridedBatchedEx(cublasOperation_t.CUBLAS_OP_N, cublasOperation_t.CUBLAS_OP_N, M, N, K, 1f,
            da.Pointer, cudaDataType_t.CUDA_R_32F, M, M * K, db.Pointer, cudaDataType_t.CUDA_R_32F, K, K * N, 0f,
            dc.Pointer, cudaDataType_t.CUDA_R_32F, M, M * N, Batch, cublasComputeType_t.CUBLAS_COMPUTE_32F);
        CpuReference.AssertClose(expected, dc.ToArray(gpu.Stream), 1e-5, "cublasGemmStridedBatchedEx");
    }

    [Theory]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_BIAS, cublasComputeType_t.CUBLAS_COMPUTE_32F, 1e-5)]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_BIAS, cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32, 1e-2)]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_DEFAULT, cublasComputeType_t.CUBLAS_COMPUTE_32F, 1e-5)]
    public void LtPlan_RowMajorLinear_MatchesXWtPlusBias(cublasLtEpilogue_t epilogue, cublasComputeType_t compute, double tolerance)
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.CublasLt);
        const int Rows = 33, In = 70, Out = 19;
        var x = CpuReference.Random(10, Rows * In);
        var w = CpuReference.Random(11, Out * In);
        var bias = CpuReference.Random(12, Out);
        var spec = LtMatmulSpec.RowMajorLinear(Rows, In, Out, cudaDataType_t.CUDA_R_32F, compute, epilogue);
        var expected = new float[Rows * Out];
        BlasReference.Gemm(spec.TransA, spec.TransB, spec.M, spec.N, spec.K, w, spec.EffectiveLda, x, spec.EffectiveLdb, expected,
            spec.EffectiveLdd, spec.HasBias ? bias : null, relu: epilogue == cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_BIAS);

        using var dx = gpu.Upload(x);
        using var dw = gpu.Upload(w);
        using var db = gpu.Upload(bias);
        using var dy = gpu.Context.Allocate<float>(Rows * Out);
        using var lt = CublasLtHandle.Create();
        using var plan = LtMatmulPlan.Create(lt, spec, spec.HasBias ? db.Pointer : 0, maxWorkspaceBytes: 32UL << 20);
        Assert.InRange(plan.WorkspaceBytes, 0UL, 32UL << 20);
        using var workspace = gpu.Workspace(plan.WorkspaceBytes);
        // Run twice: a plan is reused, and the second run must overwrite, not accumulate.
        for (var i = 0; i < 2; i++)
            plan.Run(dw.Pointer, dx.Pointer, dy.Pointer, workspace.Pointer, (ulong)workspace.SizeInBytes, gpu.Stream.Handle);
        CpuReference.AssertClose(expected, dy.ToArray(gpu.Stream), tolerance, $"cublasLtMatmul {epilogue} {compute}");
    }

    [Fact]
    public void LtPlan_TooSmallWorkspace_IsRefusedBeforeTheCall()
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.CublasLt);
        using var lt = CublasLtHandle.Create();
        using var plan = LtMatmulPlan.Create(lt, LtMatmulSpec.RowMajorLinear(256, 512, 256, cudaDataType_t.CUDA_R_32F,
            cublasComputeType_t.CUBLAS_COMPUTE_32F));
        if (plan.WorkspaceBytes == 0)
            Assert.Skip("the chosen algorithm needs no workspace, so none can be too small");
        var e = Assert.Throws<ArgumentException>(() => plan.Run(0x1000, 0x2000, 0x3000, 0, plan.WorkspaceBytes - 1, gpu.Stream.Handle));
        Assert.Contains("bytes of workspace", e.Message, StringComparison.Ordinal);
    }
}
