using CudaGenre.Cuda.Dnn;
using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Gpu;

/// <summary>cuDNN on a real device against <see cref="CpuReference"/>, in exact FP32 (FMA math). Skip where there is no GPU.</summary>
[Collection(nameof(GpuUsers))]
public class CudnnGpuTests
{
    private const cudnnDataType_t Float = cudnnDataType_t.CUDNN_DATA_FLOAT;
    private const cudnnMathType_t Fma = cudnnMathType_t.CUDNN_FMA_MATH;

    [Fact]
    public void LibraryVersion_IsNine()
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cudnn);
        using var cudnn = CudnnHandle.Create();
        Assert.Equal(9, CudnnHandle.LibraryVersion / 10000);
        Assert.True(CudnnHandle.CudartVersion >= 11000, $"cudnnGetCudartVersion = {CudnnHandle.CudartVersion}");
    }

    public static TheoryData<string, int, int, int, int, int, int, int, int, int, int> Convolutions => new()
    {
        // name, N, C, H, W, K, R, pad, stride, dilation, groups
        { "3×3 stride 2", 2, 5, 17, 13, 8, 3, 1, 2, 1, 1 },
        { "7×7 stem", 1, 3, 32, 28, 16, 7, 3, 2, 1, 1 },
        { "1×1", 2, 16, 9, 11, 24, 1, 0, 1, 1, 1 },
        { "dilated", 2, 3, 20, 20, 4, 3, 2, 1, 2, 1 },
        { "depthwise", 2, 12, 15, 15, 12, 3, 1, 1, 1, 12 },
        { "grouped", 1, 8, 10, 10, 12, 3, 1, 1, 1, 4 },
    };

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void ConvolutionForward_Nchw_MatchesDirectConvolution(string name, int n, int c, int h, int w, int k, int r, int pad, int stride, int dilation, int groups)
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cudnn);
        var input = new TensorDims(n, c, h, w);
        var geometry = new Convolution2dGeometry(pad, pad, stride, stride, dilation, dilation, groups);
        var x = CpuReference.Random(20, input.ElementCount);
        var filter = CpuReference.Random(21, (long)k * (c / groups) * r * r);
        var expected = CpuReference.Conv2dNchw(x, input, filter, k, r, r, geometry, out var output);

        using var setup = ConvolutionSetup.Create(gpu, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, input, new TensorDims(k, c / groups, r, r), geometry, output);
        var plan = setup.Heuristic();
        Assert.Equal(Fma, plan.MathType);

        using var dx = gpu.Upload(x);
        using var dw = gpu.Upload(filter);
        using var dy = gpu.Context.Allocate<float>(output.ElementCount);
        using var workspace = gpu.Workspace(plan.WorkspaceBytes);
        plan.Forward(dx.Pointer, dw.Pointer, dy.Pointer, workspace.Pointer, (ulong)workspace.SizeInBytes);
        CpuReference.AssertClose(expected, dy.ToArray(gpu.Stream), 1e-5, $"cudnnConvolutionForward NCHW {name} ({plan.Algorithm})");
    }

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void ConvolutionForward_Nhwc_MatchesDirectConvolution(string name, int n, int c, int h, int w, int k, int r, int pad, int stride, int dilation, int groups)
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cudnn);
        var input = new TensorDims(n, c, h, w);
        var geometry = new Convolution2dGeometry(pad, pad, stride, stride, dilation, dilation, groups);
        var x = CpuReference.Random(22, input.ElementCount);
        var filterDims = new TensorDims(k, c / groups, r, r);
        var filter = CpuReference.Random(23, filterDims.ElementCount);
        var expected = CpuReference.Conv2dNchw(x, input, filter, k, r, r, geometry, out var output);

        using var setup = ConvolutionSetup.Create(gpu, cudnnTensorFormat_t.CUDNN_TENSOR_NHWC, input, filterDims, geometry, output);
        var plan = setup.Heuristic();

        using var dx = gpu.Upload(CpuReference.ToNhwc(x, input));
        using var dw = gpu.Upload(CpuReference.ToNhwc(filter, filterDims));
        using var dy = gpu.Context.Allocate<float>(output.ElementCount);
        using var workspace = gpu.Workspace(plan.WorkspaceBytes);
        plan.Forward(dx.Pointer, dw.Pointer, dy.Pointer, workspace.Pointer, (ulong)workspace.SizeInBytes);
        var actual = CpuReference.ToNchw(dy.ToArray(gpu.Stream), output);
        CpuReference.AssertClose(expected, actual, 1e-5, $"cudnnConvolutionForward NHWC {name} ({plan.Algorithm})");
    }

    [Fact]
    public void ConvolutionPlan_ByMeasurement_GivesTheSameResult()
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cudnn);
        var input = new TensorDims(2, 8, 14, 14);
        var geometry = new Convolution2dGeometry(1, 1);
        var x = CpuReference.Random(24, input.ElementCount);
        var filter = CpuReference.Random(25, 16 * 8 * 3 * 3);
        var expected = CpuReference.Conv2dNchw(x, input, filter, 16, 3, 3, geometry, out var output);

        using var setup = ConvolutionSetup.Create(gpu, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, input, new TensorDims(16, 8, 3, 3), geometry, output);
        using var dx = gpu.Upload(x);
        using var dw = gpu.Upload(filter);
        using var dy = gpu.Context.Allocate<float>(output.ElementCount);
        using var search = gpu.Workspace(64UL << 20);
        var plan = ConvolutionPlan.CreateByMeasurement(setup.Cudnn, setup.X, dx.Pointer, setup.W, dw.Pointer, setup.Convolution, setup.Y, dy.Pointer,
            search.Pointer, (ulong)search.SizeInBytes, new ConvolutionPlanOptions { MaxWorkspaceBytes = 64UL << 20 });
        Assert.True(plan.Milliseconds >= 0, $"measured time {plan.Milliseconds}");
        dy.EnqueueFill32(BitConverter.SingleToUInt32Bits(float.NaN), gpu.Stream);
        plan.Forward(dx.Pointer, dw.Pointer, dy.Pointer, search.Pointer, (ulong)search.SizeInBytes);
        CpuReference.AssertClose(expected, dy.ToArray(gpu.Stream), 1e-5, $"cudnnConvolutionForward measured plan ({plan.Algorithm})");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FusedConvolutionBiasRelu_MatchesConvThenBiasThenRelu(bool withResidual)
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cudnn);
        var input = new TensorDims(2, 6, 12, 12);
        var geometry = new Convolution2dGeometry(1, 1);
        var x = CpuReference.Random(30, input.ElementCount);
        var filter = CpuReference.Random(31, 10 * 6 * 3 * 3);
        var bias = CpuReference.Random(32, 10);
        var conv = CpuReference.Conv2dNchw(x, input, filter, 10, 3, 3, geometry, out var output);
        var z = withResidual ? CpuReference.Random(33, output.ElementCount) : null;
        var expected = CpuReference.AddBiasRelu(conv, output, bias, z);

        using var setup = ConvolutionSetup.Create(gpu, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, input, new TensorDims(10, 6, 3, 3), geometry, output);
        using var biasDesc = TensorDescriptor.Nchw(Float, 1, 10, 1, 1);
        using var relu = ActivationDescriptor.Create(cudnnActivationMode_t.CUDNN_ACTIVATION_RELU);
        var plan = setup.Heuristic(new ConvolutionPlanOptions { FusedActivation = cudnnActivationMode_t.CUDNN_ACTIVATION_RELU });

        using var dx = gpu.Upload(x);
        using var dw = gpu.Upload(filter);
        using var db = gpu.Upload(bias);
        using var dz = gpu.Upload(z ?? new float[1]);
        using var dy = gpu.Context.Allocate<float>(output.ElementCount);
        using var workspace = gpu.Workspace(plan.WorkspaceBytes);
        plan.ForwardBiasActivation(dx.Pointer, dw.Pointer, biasDesc, db.Pointer, relu, dy.Pointer, workspace.Pointer,
            (ulong)workspace.SizeInBytes, z: withResidual ? dz.Pointer : 0, alpha2: withResidual ? 1f : 0f);
        CpuReference.AssertClose(expected, dy.ToArray(gpu.Stream), 1e-5, $"cudnnConvolutionBiasActivationForward residual={withResidual}");
    }

    [Fact]
    public void FusedConvolutionBiasIdentity_UsesImplicitPrecompGemm()
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cudnn);
        var input = new TensorDims(1, 4, 9, 9);
        var geometry = new Convolution2dGeometry(1, 1);
        var x = CpuReference.Random(34, input.ElementCount);
        var filter = CpuReference.Random(35, 5 * 4 * 3 * 3);
        var bias = CpuReference.Random(36, 5);
        var expected = CpuReference.Conv2dNchw(x, input, filter, 5, 3, 3, geometry, out var output);
        for (var i = 0; i < expected.Length; i++)
            expected[i] += bias[i / (output.H * output.W) % output.C];

        using var setup = ConvolutionSetup.Create(gpu, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, input, new TensorDims(5, 4, 3, 3), geometry, output);
        using var biasDesc = TensorDescriptor.Nchw(Float, 1, 5, 1, 1);
        using var identity = ActivationDescriptor.Create(cudnnActivationMode_t.CUDNN_ACTIVATION_IDENTITY);
        var plan = setup.Heuristic(new ConvolutionPlanOptions { FusedActivation = cudnnActivationMode_t.CUDNN_ACTIVATION_IDENTITY });
        Assert.Equal(cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, plan.Algorithm);

        using var dx = gpu.Upload(x);
        using var dw = gpu.Upload(filter);
        using var db = gpu.Upload(bias);
        using var dy = gpu.Context.Allocate<float>(output.ElementCount);
        using var workspace = gpu.Workspace(plan.WorkspaceBytes);
        plan.ForwardBiasActivation(dx.Pointer, dw.Pointer, biasDesc, db.Pointer, identity, dy.Pointer, workspace.Pointer, (ulong)workspace.SizeInBytes);
        var actual = dy.ToArray(gpu.Stream);
        CpuReference.AssertClose(expected, actual, 1e-5, "cudnnConvolutionBiasActivationForward identity, IMPLICIT_PRECOMP_GEMM");
        Assert.Contains(actual, v => v < 0);
    }

    [Fact]
    public void MaxPool_3x3Stride2Pad1_MatchesCpu()
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cudnn);
        var input = new TensorDims(2, 4, 11, 9);
        var x = CpuReference.Random(40, input.ElementCount);
        var expected = CpuReference.MaxPoolNchw(x, input, 3, 1, 2, out var output);

        using var cudnn = CudnnHandle.Create();
        cudnn.SetStream(gpu.Stream.Handle);
        using var xDesc = TensorDescriptor.Create4d(cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, Float, input);
        using var pool = PoolingDescriptor.Create2d(cudnnPoolingMode_t.CUDNN_POOLING_MAX, 3, 3, 1, 1, 2, 2);
        Assert.Equal(output, pool.GetForwardOutputDims(xDesc));
        using var yDesc = TensorDescriptor.Create4d(cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, Float, output);
        using var dx = gpu.Upload(x);
        using var dy = gpu.Context.Allocate<float>(output.ElementCount);
        cudnn.PoolingForward(pool, xDesc, dx.Pointer, yDesc, dy.Pointer);
        CpuReference.AssertIdentical(expected, dy.ToArray(gpu.Stream), "cudnnPoolingForward max 3×3 s2 p1");
    }

    [Fact]
    public void Softmax_OverClasses_MatchesCpu()
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cudnn);
        const int Rows = 6, Classes = 10;
        var x = CpuReference.Random(41, Rows * Classes).Select(v => v * 8).ToArray();
        var expected = CpuReference.Softmax(x, Rows, Classes);

        using var cudnn = CudnnHandle.Create();
        cudnn.SetStream(gpu.Stream.Handle);
        using var desc = TensorDescriptor.Nchw(Float, Rows, Classes, 1, 1);
        using var dx = gpu.Upload(x);
        using var dy = gpu.Context.Allocate<float>(Rows * Classes);
        cudnn.SoftmaxForward(cudnnSoftmaxAlgorithm_t.CUDNN_SOFTMAX_ACCURATE, cudnnSoftmaxMode_t.CUDNN_SOFTMAX_MODE_CHANNEL, desc, dx.Pointer, desc, dy.Pointer);
        CpuReference.AssertClose(expected, dy.ToArray(gpu.Stream), 1e-6, "cudnnSoftmaxForward");
    }

    [Fact]
    public void AddTensorBias_ThenReluInPlace_MatchesCpu()
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cudnn);
        var dims = new TensorDims(2, 3, 4, 5);
        var y = CpuReference.Random(42, dims.ElementCount);
        var bias = CpuReference.Random(43, 3);
        var expected = CpuReference.AddBiasRelu(y, dims, bias);

        using var cudnn = CudnnHandle.Create();
        cudnn.SetStream(gpu.Stream.Handle);
        using var yDesc = TensorDescriptor.Create4d(cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, Float, dims);
        using var biasDesc = TensorDescriptor.Nchw(Float, 1, 3, 1, 1);
        using var relu = ActivationDescriptor.Create(cudnnActivationMode_t.CUDNN_ACTIVATION_RELU);
        using var dy = gpu.Upload(y);
        using var db = gpu.Upload(bias);
        cudnn.AddTensor(biasDesc, db.Pointer, yDesc, dy.Pointer);
        cudnn.ActivationForward(relu, yDesc, dy.Pointer, yDesc, dy.Pointer);
        CpuReference.AssertClose(expected, dy.ToArray(gpu.Stream), 1e-6, "cudnnAddTensor bias, then cudnnActivationForward ReLU in place");
    }

    [Fact]
    public void ConvolutionPlan_WrongOutputShape_NamesBothShapes()
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cudnn);
        using var cudnn = CudnnHandle.Create();
        using var xDesc = TensorDescriptor.Nchw(Float, 1, 3, 16, 16);
        using var wDesc = FilterDescriptor.Create4d(Float, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, 8, 3, 3, 3);
        using var conv = ConvolutionDescriptor.Create2d(new Convolution2dGeometry(0, 0), Fma);
        using var yDesc = TensorDescriptor.Nchw(Float, 1, 8, 16, 16);
        var e = Assert.Throws<ArgumentException>(() => ConvolutionPlan.CreateByHeuristic(cudnn, xDesc, wDesc, conv, yDesc));
        Assert.Contains("produces 1×8×14×14, but the output descriptor is 1×8×16×16", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectedDescriptor_ThrowsNamingTheCudnnFunction()
    {
        using var gpu = GpuTestSession.Open(NativeLibraryNames.Cudnn);
        // NCHW_VECT_C needs a vectorized int8 type; cuDNN rejects it for float.
        var e = Assert.Throws<CudaException>(() => FilterDescriptor.Create4d(Float, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW_VECT_C, 8, 4, 3, 3));
        Assert.Equal((NativeLibraryNames.Cudnn, "cudnnSetFilter4dDescriptor"), (e.Library, e.Api));
        Assert.StartsWith("CUDNN_STATUS_", e.StatusName, StringComparison.Ordinal);
    }

    /// <summary>A cuDNN handle on the session's stream and the four descriptors of one FP32 convolution (FMA math) in one format.</summary>
    private sealed record ConvolutionSetup(CudnnHandle Cudnn, TensorDescriptor X, FilterDescriptor W, ConvolutionDescriptor Convolution, TensorDescriptor Y) : IDisposable
    {
        public static ConvolutionSetup Create(GpuTestSession gpu, cudnnTensorFormat_t format, TensorDims input, TensorDims filter, Convolution2dGeometry geometry, TensorDims output)
        {
            var cudnn = CudnnHandle.Create();
            cudnn.SetStream(gpu.Stream.Handle);
            return new(cudnn, TensorDescriptor.Create4d(format, Float, input), FilterDescriptor.Create4d(Float, format, filter.N, filter.C, filter.H, filter.W),
                ConvolutionDescriptor.Create2d(geometry, Fma), TensorDescriptor.Create4d(format, Float, output));
        }

        public ConvolutionPlan Heuristic(ConvolutionPlanOptions? options = null) => ConvolutionPlan.CreateByHeuristic(Cudnn, X, W, Convolution, Y, options);

        public void Dispose()
        {
            Y.Dispose();
            Convolution.Dispose();
            W.Dispose();
            X.Dispose();
            Cudnn.Dispose();
        }
    }
}
