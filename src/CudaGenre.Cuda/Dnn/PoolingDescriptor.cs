using Microsoft.Win32.SafeHandles;

namespace CudaGenre.Cuda.Dnn;

/// <summary>A 2-d pooling descriptor (<c>cudnnPoolingDescriptor_t</c>). Output sizes use floor, like PyTorch with ceil_mode=False.</summary>
public sealed class PoolingDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>For the interop marshaller; use <see cref="Create2d"/>.</summary>
    public PoolingDescriptor() : base(ownsHandle: true)
    {
    }

    /// <summary>Max or average.</summary>
    public cudnnPoolingMode_t Mode { get; private set; }

    /// <summary>Creates a pooling descriptor (<c>cudnnSetPooling2dDescriptor</c>).</summary>
    /// <param name="mode">MAX, or AVERAGE including (PyTorch's default) or excluding padding.</param>
    /// <param name="windowH">Window height.</param>
    /// <param name="windowW">Window width.</param>
    /// <param name="padH">Padding rows on each side.</param>
    /// <param name="padW">Padding columns on each side.</param>
    /// <param name="strideH">Vertical stride.</param>
    /// <param name="strideW">Horizontal stride.</param>
    /// <param name="nan">Default propagates NaN through max pooling.</param>
    public static PoolingDescriptor Create2d(cudnnPoolingMode_t mode, int windowH, int windowW, int padH, int padW, int strideH, int strideW,
        cudnnNanPropagation_t nan = cudnnNanPropagation_t.CUDNN_PROPAGATE_NAN)
    {
        if (windowH <= 0 || windowW <= 0 || strideH <= 0 || strideW <= 0 || padH < 0 || padW < 0)
            throw new ArgumentOutOfRangeException(nameof(windowH), $"pooling window {windowH}×{windowW}, stride {strideH}×{strideW} must be positive and padding {padH}×{padW} not negative");
        CudnnStatus.Check(CudnnApi.cudnnCreatePoolingDescriptor(out var raw));
        var descriptor = new PoolingDescriptor();
        descriptor.SetHandle(raw);
        descriptor.Configure(d => CudnnStatus.Check(CudnnApi.cudnnSetPooling2dDescriptor(d, mode, nan, windowH, windowW, padH, padW, strideH, strideW)));
        descriptor.Mode = mode;
        return descriptor;
    }

    /// <summary>The output size for input <paramref name="x"/> (<c>cudnnGetPooling2dForwardOutputDim</c>).</summary>
    public TensorDims GetForwardOutputDims(TensorDescriptor x)
    {
        CudnnStatus.Check(CudnnApi.cudnnGetPooling2dForwardOutputDim(this, x, out var n, out var c, out var h, out var w));
        return new TensorDims(n, c, h, w);
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => CudnnStatus.Release(CudnnApi.cudnnDestroyPoolingDescriptor(handle));
}
