using Microsoft.Win32.SafeHandles;

namespace CudaGenre.Cuda.Dnn;

/// <summary>
/// A 2-d convolution descriptor (<c>cudnnConvolutionDescriptor_t</c>): geometry, groups, mode, compute type and math type.
/// The math type decides numerics: <see cref="cudnnMathType_t.CUDNN_FMA_MATH"/> is the exact FP32 mode, whereas
/// <see cref="cudnnMathType_t.CUDNN_DEFAULT_MATH"/> already permits TF32 tensor cores for FP32 data on Ampere and later.
/// </summary>
public sealed class ConvolutionDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>For the interop marshaller; use <see cref="Create2d"/>.</summary>
    public ConvolutionDescriptor() : base(ownsHandle: true)
    {
    }

    /// <summary>Padding, stride, dilation, groups.</summary>
    public Convolution2dGeometry Geometry { get; private set; }

    /// <summary>The math type currently set (a plan may narrow it to what its chosen algorithm was found with).</summary>
    public cudnnMathType_t MathType { get; private set; }

    /// <summary>The accumulation type.</summary>
    public cudnnDataType_t ComputeType { get; private set; }

    /// <summary>Creates and configures a descriptor (<c>cudnnSetConvolution2dDescriptor</c>, <c>cudnnSetConvolutionGroupCount</c>, <c>cudnnSetConvolutionMathType</c>).</summary>
    /// <param name="geometry">Padding, stride, dilation, groups.</param>
    /// <param name="mathType">FMA for exact FP32; TENSOR_OP for FP16/BF16 data or TF32; see the class remarks.</param>
    /// <param name="computeType">Accumulation type: FLOAT for FLOAT, HALF and BFLOAT16 data (FP16 data with FLOAT compute is the recommended "pseudo-half" mode).</param>
    /// <param name="mode">CROSS_CORRELATION, which is what PyTorch computes.</param>
    public static ConvolutionDescriptor Create2d(Convolution2dGeometry geometry, cudnnMathType_t mathType,
        cudnnDataType_t computeType = cudnnDataType_t.CUDNN_DATA_FLOAT,
        cudnnConvolutionMode_t mode = cudnnConvolutionMode_t.CUDNN_CROSS_CORRELATION)
    {
        geometry.Validate();
        CudnnStatus.Check(CudnnApi.cudnnCreateConvolutionDescriptor(out var raw));
        var descriptor = new ConvolutionDescriptor();
        descriptor.SetHandle(raw);
        descriptor.Configure(d =>
        {
            CudnnStatus.Check(CudnnApi.cudnnSetConvolution2dDescriptor(d, geometry.PadH, geometry.PadW, geometry.StrideH, geometry.StrideW,
                geometry.DilationH, geometry.DilationW, mode, computeType));
            if (geometry.Groups != 1)
                CudnnStatus.Check(CudnnApi.cudnnSetConvolutionGroupCount(d, geometry.Groups));
            d.SetMathType(mathType);
        });
        descriptor.Geometry = geometry;
        descriptor.ComputeType = computeType;
        return descriptor;
    }

    /// <summary>Sets the math type (<c>cudnnSetConvolutionMathType</c>).</summary>
    public void SetMathType(cudnnMathType_t mathType)
    {
        CudnnStatus.Check(CudnnApi.cudnnSetConvolutionMathType(this, mathType));
        MathType = mathType;
    }

    /// <summary>The output size cuDNN computes for this convolution of <paramref name="x"/> by <paramref name="w"/> (<c>cudnnGetConvolution2dForwardOutputDim</c>).</summary>
    public TensorDims GetForwardOutputDims(TensorDescriptor x, FilterDescriptor w)
    {
        CudnnStatus.Check(CudnnApi.cudnnGetConvolution2dForwardOutputDim(this, x, w, out var n, out var c, out var h, out var wd));
        return new TensorDims(n, c, h, wd);
    }

    /// <inheritdoc/>
    public override string ToString() => $"conv2d {Geometry} {MathType} compute {ComputeType}";

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => CudnnStatus.Release(CudnnApi.cudnnDestroyConvolutionDescriptor(handle));
}
