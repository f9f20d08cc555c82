using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Dnn;

namespace CudaGenre.Cuda.Tests;

/// <summary>Spot checks of enum values against the headers they were read from.</summary>
public class EnumValueTests
{
    // library_types.h (CUDA 12.6.3)
    [Theory]
    [InlineData(cudaDataType_t.CUDA_R_32F, 0)]
    [InlineData(cudaDataType_t.CUDA_R_16F, 2)]
    [InlineData(cudaDataType_t.CUDA_R_16BF, 14)]
    [InlineData(cudaDataType_t.CUDA_R_8I, 3)]
    [InlineData(cudaDataType_t.CUDA_R_32I, 10)]
    [InlineData(cudaDataType_t.CUDA_R_8F_E5M2, 29)]
    public void CudaDataType(cudaDataType_t value, int header) => Assert.Equal(header, (int)value);

    // cublas_api.h (cuBLAS 12.6.4)
    [Theory]
    [InlineData(cublasComputeType_t.CUBLAS_COMPUTE_32F, 68)]
    [InlineData(cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32, 77)]
    [InlineData(cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_16BF, 75)]
    [InlineData(cublasComputeType_t.CUBLAS_COMPUTE_16F, 64)]
    [InlineData(cublasComputeType_t.CUBLAS_COMPUTE_64F, 70)]
    public void CublasComputeType(cublasComputeType_t value, int header) => Assert.Equal(header, (int)value);

    [Theory]
    [InlineData(cublasStatus_t.CUBLAS_STATUS_NOT_INITIALIZED, 1)]
    [InlineData(cublasStatus_t.CUBLAS_STATUS_ALLOC_FAILED, 3)]
    [InlineData(cublasStatus_t.CUBLAS_STATUS_INVALID_VALUE, 7)]
    [InlineData(cublasStatus_t.CUBLAS_STATUS_EXECUTION_FAILED, 13)]
    [InlineData(cublasStatus_t.CUBLAS_STATUS_NOT_SUPPORTED, 15)]
    [InlineData(cublasStatus_t.CUBLAS_STATUS_LICENSE_ERROR, 16)]
    public void CublasStatus(cublasStatus_t value, int header) => Assert.Equal(header, (int)value);

    [Fact]
    public void CublasSmallEnums()
    {
        Assert.Equal(1, (int)cublasOperation_t.CUBLAS_OP_T);
        Assert.Equal(3, (int)cublasMath_t.CUBLAS_TF32_TENSOR_OP_MATH);
        Assert.Equal(16, (int)cublasMath_t.CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);
        Assert.Equal(-1, (int)cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT);
        Assert.Equal(99, (int)cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT_TENSOR_OP);
    }

    // cublasLt.h (cuBLAS 12.6.4)
    [Theory]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_DEFAULT, 1u)]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU, 2u)]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_BIAS, 4u)]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_BIAS, 6u)]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_AUX_BIAS, 134u)]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_GELU_BIAS, 36u)]
    [InlineData(cublasLtEpilogue_t.CUBLASLT_EPILOGUE_DGELU_BGRAD, 208u)]
    public void LtEpilogue(cublasLtEpilogue_t value, uint header) => Assert.Equal(header, (uint)value);

    [Fact]
    public void LtAttributes()
    {
        Assert.Equal(3, (int)cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_TRANSA);
        Assert.Equal(4, (int)cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_TRANSB);
        Assert.Equal(7, (int)cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_EPILOGUE);
        Assert.Equal(8, (int)cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_BIAS_POINTER);
        Assert.Equal(26, (int)cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE);
        Assert.Equal(1, (int)cublasLtMatmulPreferenceAttributes_t.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES);
        Assert.Equal(1, (int)cublasLtMatrixLayoutAttribute_t.CUBLASLT_MATRIX_LAYOUT_ORDER);
        Assert.Equal(5, (int)cublasLtMatrixLayoutAttribute_t.CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT);
        Assert.Equal(1, (int)cublasLtOrder_t.CUBLASLT_ORDER_ROW);
    }

    // cudnn_graph.h (cuDNN 9.6.0); 3014 from the 9.18 release.
    [Theory]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_SUCCESS, 0)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_NOT_INITIALIZED, 1001)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED, 1008)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_BAD_PARAM, 2000)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_INVALID_VALUE, 2001)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH, 2008)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE, 2012)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED, 3000)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH, 3007)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API, 3013)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE, 3014)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED, 4003)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED, 4006)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_EXECUTION_FAILED, 5000)]
    [InlineData(cudnnStatus_t.CUDNN_STATUS_EXECUTION_FAILED_CURAND, 5004)]
    public void CudnnStatus(cudnnStatus_t value, int header) => Assert.Equal(header, (int)value);

    [Fact]
    public void CudnnStatus_EveryValueHasOneName()
    {
        // Deprecated aliases were left out so that a value maps back to a single header name.
        var values = Enum.GetValues<cudnnStatus_t>().Select(v => (int)v).ToList();
        Assert.Equal(values.Count, values.Distinct().Count());
        Assert.Equal(Enum.GetNames<cudnnStatus_t>().Length, values.Count);
    }

    // cudnn_graph.h / cudnn_ops.h (cuDNN 9.6.0)
    [Fact]
    public void CudnnSmallEnums()
    {
        Assert.Equal(9, (int)cudnnDataType_t.CUDNN_DATA_BFLOAT16);
        Assert.Equal(2, (int)cudnnDataType_t.CUDNN_DATA_HALF);
        Assert.Equal(1, (int)cudnnTensorFormat_t.CUDNN_TENSOR_NHWC);
        Assert.Equal(3, (int)cudnnMathType_t.CUDNN_FMA_MATH);
        Assert.Equal(1, (int)cudnnMathType_t.CUDNN_TENSOR_OP_MATH);
        Assert.Equal(5, (int)cudnnActivationMode_t.CUDNN_ACTIVATION_IDENTITY);
        Assert.Equal(1, (int)cudnnActivationMode_t.CUDNN_ACTIVATION_RELU);
        Assert.Equal(1, (int)cudnnConvolutionMode_t.CUDNN_CROSS_CORRELATION);
        Assert.Equal(1, (int)cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM);
        Assert.Equal(7, (int)cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED);
        Assert.Equal(8, (int)cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
        Assert.Equal(1, (int)cudnnPoolingMode_t.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING);
        Assert.Equal(3, (int)cudnnPoolingMode_t.CUDNN_POOLING_MAX_DETERMINISTIC);
        Assert.Equal(1, (int)cudnnNanPropagation_t.CUDNN_PROPAGATE_NAN);
        Assert.Equal(1, (int)cudnnSoftmaxAlgorithm_t.CUDNN_SOFTMAX_ACCURATE);
        Assert.Equal(1, (int)cudnnSoftmaxMode_t.CUDNN_SOFTMAX_MODE_CHANNEL);
        Assert.Equal(1, (int)cudnnDeterminism_t.CUDNN_DETERMINISTIC);
    }
}
