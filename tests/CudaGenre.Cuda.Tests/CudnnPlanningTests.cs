using CudaGenre.Cuda.Dnn;

namespace CudaGenre.Cuda.Tests;

public class CudnnPlanningTests
{
    [Theory]
    // ResNet stem: 224, 7×7, stride 2, pad 3 → 112 (hand-computed: ⌊(224 + 6 − 6 − 1)/2⌋ + 1 = 112).
    [InlineData(224, 224, 7, 7, 3, 3, 2, 2, 1, 1, 112, 112)]
    // 3×3 same padding keeps the size.
    [InlineData(56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 56, 56)]
    // Xception entry: 299, 3×3, stride 2, no pad → ⌊(299 − 2 − 1)/2⌋ + 1 = 149.
    [InlineData(299, 299, 3, 3, 0, 0, 2, 2, 1, 1, 149, 149)]
    // Dilation 2 on 3×3 behaves like 5×5: 32 + 2 − 4 − 1 = 29 → 30.
    [InlineData(32, 20, 3, 3, 1, 1, 1, 1, 2, 2, 30, 18)]
    // GTZAN image 288×432, 1×1 stride 2 → 144×216.
    [InlineData(288, 432, 1, 1, 0, 0, 2, 2, 1, 1, 144, 216)]
    public void OutputDims_FollowThePyTorchFormula(int h, int w, int r, int s, int padH, int padW, int strideH, int strideW,
        int dilH, int dilW, int outH, int outW)
    {
        var geometry = new Convolution2dGeometry(padH, padW, strideH, strideW, dilH, dilW);
        Assert.Equal(new TensorDims(2, 16, outH, outW), geometry.OutputDims(new TensorDims(2, 3, h, w), 16, 3, r, s));
    }

    [Fact]
    public void Depthwise_UsesOneInputChannelPerGroup()
    {
        var geometry = new Convolution2dGeometry(1, 1, Groups: 32);
        Assert.Equal(new TensorDims(1, 32, 19, 19), geometry.OutputDims(new TensorDims(1, 32, 19, 19), 32, 1, 3, 3));
        var e = Assert.Throws<ArgumentException>(() => geometry.OutputDims(new TensorDims(1, 32, 19, 19), 32, 3, 3, 3));
        Assert.Contains("3 input channels per group", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OutputDims_WindowLargerThanInput_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new Convolution2dGeometry(0, 0).OutputDims(new TensorDims(1, 1, 2, 2), 1, 1, 3, 3));
        Assert.Contains("does not fit", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Convolution2dGeometry(-1, 0).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Convolution2dGeometry(0, 0, StrideH: 0).Validate());
    }

    [Fact]
    public void PackedStrides_NchwAndNhwc()
    {
        var dims = new TensorDims(2, 3, 4, 5);
        Assert.Equal((60, 20, 5, 1), dims.PackedStrides(cudnnTensorFormat_t.CUDNN_TENSOR_NCHW));
        Assert.Equal((60, 1, 15, 3), dims.PackedStrides(cudnnTensorFormat_t.CUDNN_TENSOR_NHWC));
        Assert.Equal(120, dims.ElementCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => dims.PackedStrides(cudnnTensorFormat_t.CUDNN_TENSOR_NCHW_VECT_C));
    }

    [Fact]
    public void Acceptable_NeverWidensTheMathType()
    {
        var results = new[]
        {
            Perf(cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, cudnnMathType_t.CUDNN_TENSOR_OP_MATH),
            Perf(cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, cudnnMathType_t.CUDNN_DEFAULT_MATH),
            Perf(cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, cudnnMathType_t.CUDNN_FMA_MATH),
            Perf(cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_FFT, cudnnMathType_t.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION),
        };
        Assert.Equal([cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM],
            Algos(ConvolutionPlan.Acceptable(results, cudnnMathType_t.CUDNN_FMA_MATH, false, null)));
        Assert.Equal([cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM],
            Algos(ConvolutionPlan.Acceptable(results, cudnnMathType_t.CUDNN_DEFAULT_MATH, false, null)));
        Assert.Equal(3, ConvolutionPlan.Acceptable(results, cudnnMathType_t.CUDNN_TENSOR_OP_MATH, false, null).Count());
        Assert.Equal(4, ConvolutionPlan.Acceptable(results, cudnnMathType_t.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION, false, null).Count());
    }

    [Fact]
    public void Acceptable_HonoursStatusDeterminismAndTheRequiredAlgorithm()
    {
        var results = new[]
        {
            Perf(cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_GEMM, cudnnMathType_t.CUDNN_FMA_MATH, cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED),
            Perf(cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_DIRECT, cudnnMathType_t.CUDNN_FMA_MATH, deterministic: false),
            Perf(cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, cudnnMathType_t.CUDNN_FMA_MATH),
            Perf(cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, cudnnMathType_t.CUDNN_FMA_MATH),
        };
        Assert.Equal([cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_DIRECT, cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
            cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM],
            Algos(ConvolutionPlan.Acceptable(results, cudnnMathType_t.CUDNN_FMA_MATH, false, null)));
        Assert.Equal(cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
            ConvolutionPlan.Acceptable(results, cudnnMathType_t.CUDNN_FMA_MATH, true, null).First().algo);
        var identity = FusedConvolution.RequiredAlgorithm(cudnnActivationMode_t.CUDNN_ACTIVATION_IDENTITY);
        Assert.Equal([cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM],
            Algos(ConvolutionPlan.Acceptable(results, cudnnMathType_t.CUDNN_FMA_MATH, false, identity)));
    }

    [Fact]
    public void FusedConvolution_Rules()
    {
        Assert.Null(FusedConvolution.RequiredAlgorithm(cudnnActivationMode_t.CUDNN_ACTIVATION_RELU));
        FusedConvolution.RequireSupported(cudnnActivationMode_t.CUDNN_ACTIVATION_RELU, cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD);
        FusedConvolution.RequireSupported(cudnnActivationMode_t.CUDNN_ACTIVATION_IDENTITY, cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM);
        var e = Assert.Throws<ArgumentException>(() => FusedConvolution.RequireSupported(cudnnActivationMode_t.CUDNN_ACTIVATION_IDENTITY,
            cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM));
        Assert.Contains("requires CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => FusedConvolution.RequireSupported(cudnnActivationMode_t.CUDNN_ACTIVATION_SIGMOID,
            cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM));
    }

    [Fact]
    public void DataTypeSizes()
    {
        Assert.Equal(4, CudaDataTypes.SizeOf(cudaDataType_t.CUDA_R_32F));
        Assert.Equal(2, CudaDataTypes.SizeOf(cudaDataType_t.CUDA_R_16F));
        Assert.Equal(2, CudaDataTypes.SizeOf(cudaDataType_t.CUDA_R_16BF));
        Assert.Equal(1, CudaDataTypes.SizeOf(cudaDataType_t.CUDA_R_8F_E4M3));
        Assert.Throws<ArgumentOutOfRangeException>(() => CudaDataTypes.SizeOf(cudaDataType_t.CUDA_C_32F));
    }

    private static cudnnConvolutionFwdAlgo_t[] Algos(IEnumerable<cudnnConvolutionFwdAlgoPerf_t> perfs) => perfs.Select(p => p.algo).ToArray();

    private static cudnnConvolutionFwdAlgoPerf_t Perf(cudnnConvolutionFwdAlgo_t algo, cudnnMathType_t math,
        cudnnStatus_t status = cudnnStatus_t.CUDNN_STATUS_SUCCESS, bool deterministic = true) =>
        new()
        {
            algo = algo,
            status = status,
            mathType = math,
            determinism = deterministic ? cudnnDeterminism_t.CUDNN_DETERMINISTIC : cudnnDeterminism_t.CUDNN_NON_DETERMINISTIC,
        };
}
