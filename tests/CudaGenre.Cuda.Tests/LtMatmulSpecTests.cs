using CudaGenre.Cuda.Blas;

namespace CudaGenre.Cuda.Tests;

public class LtMatmulSpecTests
{
    [Fact]
    public void RowMajorLinear_UnderBlasSemantics_IsXTimesWTransposedPlusBias()
    {
        const int Rows = 5, In = 7, Out = 4;
        var random = new Random(1234);
        var x = BlasReference.RandomArray(random, Rows * In);   // row-major [rows][in]
        var w = BlasReference.RandomArray(random, Out * In);    // row-major [out][in], PyTorch Linear
        var bias = BlasReference.RandomArray(random, Out);

        var spec = LtMatmulSpec.RowMajorLinear(Rows, In, Out, cudaDataType_t.CUDA_R_32F, cublasComputeType_t.CUBLAS_COMPUTE_32F,
            cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_BIAS);
        spec.Validate();
        var y = new float[Rows * Out];
        BlasReference.Gemm(spec.TransA, spec.TransB, spec.M, spec.N, spec.K, w, spec.EffectiveLda, x, spec.EffectiveLdb,
            y, spec.EffectiveLdd, bias, relu: true);

        for (var r = 0; r < Rows; r++)
        {
            for (var o = 0; o < Out; o++)
            {
                double expected = bias[o];
                for (var i = 0; i < In; i++)
                    expected += (double)x[r * In + i] * w[o * In + i];
                Assert.Equal(Math.Max(expected, 0), y[r * Out + o], 5);
            }
        }
        Assert.Contains(y, v => v > 0);
        Assert.Contains(y, v => v == 0);
    }

    [Fact]
    public void Shapes_FollowTheTransposes()
    {
        var spec = new LtMatmulSpec(3, 5, 7, cudaDataType_t.CUDA_R_16F, cudaDataType_t.CUDA_R_16F, cudaDataType_t.CUDA_R_16F,
            cublasComputeType_t.CUBLAS_COMPUTE_32F, TransA: cublasOperation_t.CUBLAS_OP_T, TransB: cublasOperation_t.CUBLAS_OP_T);
        Assert.Equal((7L, 3L), spec.AShape);
        Assert.Equal((5L, 7L), spec.BShape);
        Assert.Equal((7L, 5L, 3L), (spec.EffectiveLda, spec.EffectiveLdb, spec.EffectiveLdd));
    }

    [Theory]
    [InlineData(0, 2, 2, 0, 0, 0, "dimensions must be positive")]
    [InlineData(4, 2, 3, 3, 0, 0, "lda=3 is smaller than A's 4 stored rows")]
    [InlineData(4, 2, 3, 0, 2, 0, "ldb=2 is smaller than B's 3 stored rows")]
    [InlineData(4, 2, 3, 0, 0, 3, "ldd=3 is smaller than D's 4 rows")]
    public void Validate_NamesTheProblem(int m, int n, int k, long lda, long ldb, long ldd, string message)
    {
        var spec = new LtMatmulSpec(m, n, k, cudaDataType_t.CUDA_R_32F, cudaDataType_t.CUDA_R_32F, cudaDataType_t.CUDA_R_32F,
            cublasComputeType_t.CUBLAS_COMPUTE_32F, Lda: lda, Ldb: ldb, Ldd: ldd);
        var e = Assert.Throws<ArgumentException>(spec.Validate);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RejectsNonFloatScalarsAndTrainingEpilogues()
    {
        var f64 = new LtMatmulSpec(2, 2, 2, cudaDataType_t.CUDA_R_64F, cudaDataType_t.CUDA_R_64F, cudaDataType_t.CUDA_R_64F,
            cublasComputeType_t.CUBLAS_COMPUTE_64F);
        Assert.Contains("CUBLAS_COMPUTE_64F", Assert.Throws<ArgumentException>(f64.Validate).Message, StringComparison.Ordinal);
        var aux = LtMatmulSpec.RowMajorLinear(2, 2, 2, cudaDataType_t.CUDA_R_32F, cublasComputeType_t.CUBLAS_COMPUTE_32F,
            cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_AUX_BIAS);
        Assert.Contains("auxiliary", Assert.Throws<ArgumentException>(aux.Validate).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_BIAS, true)]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_BIAS, true)]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU, false)]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_DEFAULT, false)]
    public void HasBias(cublasLtEpilogue_t epilogue, bool expected) =>
        Assert.Equal(expected, LtMatmulSpec.RowMajorLinear(1, 1, 1, cudaDataType_t.CUDA_R_32F, cublasComputeType_t.CUBLAS_COMPUTE_32F, epilogue).HasBias);

    [Fact]
    public void Plan_BiasEpilogueWithoutBias_FailsBeforeAnyNativeCall()
    {
        var spec = LtMatmulSpec.RowMajorLinear(8, 16, 4, cudaDataType_t.CUDA_R_32F, cublasComputeType_t.CUBLAS_COMPUTE_32F,
            cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_BIAS);
        var e = Assert.Throws<ArgumentException>(() => LtMatmulPlan.Create(new CublasLtHandle(), spec, bias: 0));
        Assert.Contains("no bias pointer", e.Message, StringComparison.Ordinal);
        var plain = spec with { Epilogue = cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU };
        Assert.Throws<ArgumentException>(() => LtMatmulPlan.Create(new CublasLtHandle(), plain, bias: 0x1000));
    }

    [Fact]
    public void Choose_TakesTheFirstSuccessfulResultWithinTheWorkspace()
    {
        var results = new[]
        {
            Result(cublasStatus_t.CUBLAS_STATUS_NOT_SUPPORTED, 0, 0.5f),
            Result(cublasStatus_t.CUBLAS_STATUS_SUCCESS, 64UL << 20, 0.6f),
            Result(cublasStatus_t.CUBLAS_STATUS_SUCCESS, 1UL << 20, 0.7f),
            Result(cublasStatus_t.CUBLAS_STATUS_SUCCESS, 0, 0.8f),
        };
        Assert.Equal(0.7f, LtMatmulPlan.Choose(results, 32UL << 20)!.Value.wavesCount);
        Assert.Equal(0.8f, LtMatmulPlan.Choose(results, 0)!.Value.wavesCount);
        Assert.Null(LtMatmulPlan.Choose(results.Take(1), 1UL << 30));
    }

    [Fact]
    public void GemmEx_RejectsComputeTypesWhoseScalarsAreNotFloat()
    {
        using var handle = new CublasHandle();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => handle.GemmEx(cublasOperation_t.CUBLAS_OP_N, cublasOperation_t.CUBLAS_OP_N,
            2, 2, 2, 1f, 0x1000, cudaDataType_t.CUDA_R_16F, 2, 0x2000, cudaDataType_t.CUDA_R_16F, 2, 0f,
            0x3000, cudaDataType_t.CUDA_R_16F, 2, cublasComputeType_t.CUBLAS_COMPUTE_16F));
        Assert.Contains("CUBLAS_COMPUTE_32F", e.Message, StringComparison.Ordinal);
    }

    private static cublasLtMatmulHeuristicResult_t Result(cublasStatus_t state, ulong workspace, float waves) =>
        new() { state = state, workspaceSize = (nuint)workspace, wavesCount = waves };
}
