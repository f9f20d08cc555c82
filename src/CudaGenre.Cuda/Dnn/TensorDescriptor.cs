using Microsoft.Win32.SafeHandles;

namespace CudaGenre.Cuda.Dnn;

/// <summary>
/// A 4-d cuDNN tensor descriptor (<c>cudnnTensorDescriptor_t</c>): data type, sizes (always given as N, C, H, W)
/// and memory layout (NCHW, NHWC, or explicit strides in elements).
/// </summary>
public sealed class TensorDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>For the interop marshaller; use the factories.</summary>
    public TensorDescriptor() : base(ownsHandle: true)
    {
    }

    /// <summary>Element type.</summary>
    public cudnnDataType_t DataType { get; private set; }

    /// <summary>Sizes in N, C, H, W order.</summary>
    public TensorDims Dims { get; private set; }

    /// <summary>The packed format, or null when created with explicit strides.</summary>
    public cudnnTensorFormat_t? Format { get; private set; }

    /// <summary>Element strides (n, c, h, w).</summary>
    public (int N, int C, int H, int W) Strides { get; private set; }

    /// <summary>A packed NCHW tensor (w fastest).</summary>
    public static TensorDescriptor Nchw(cudnnDataType_t dataType, int n, int c, int h, int w) =>
        Create4d(cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, dataType, new TensorDims(n, c, h, w));

    /// <summary>A packed NHWC tensor (c fastest); sizes are still given as n, c, h, w.</summary>
    public static TensorDescriptor Nhwc(cudnnDataType_t dataType, int n, int c, int h, int w) =>
        Create4d(cudnnTensorFormat_t.CUDNN_TENSOR_NHWC, dataType, new TensorDims(n, c, h, w));

    /// <summary>A packed tensor in <paramref name="format"/> (<c>cudnnSetTensor4dDescriptor</c>).</summary>
    public static TensorDescriptor Create4d(cudnnTensorFormat_t format, cudnnDataType_t dataType, TensorDims dims)
    {
        dims.Validate(nameof(dims));
        var strides = dims.PackedStrides(format);
        var descriptor = New();
        descriptor.Configure(d => CudnnStatus.Check(CudnnApi.cudnnSetTensor4dDescriptor(d, format, dataType, dims.N, dims.C, dims.H, dims.W)));
        descriptor.DataType = dataType;
        descriptor.Dims = dims;
        descriptor.Format = format;
        descriptor.Strides = strides;
        return descriptor;
    }

    /// <summary>A tensor with explicit element strides (<c>cudnnSetTensor4dDescriptorEx</c>), e.g. a channel slice of a larger tensor.</summary>
    public static TensorDescriptor Create4dStrided(cudnnDataType_t dataType, TensorDims dims, (int N, int C, int H, int W) strides)
    {
        dims.Validate(nameof(dims));
        var descriptor = New();
        descriptor.Configure(d => CudnnStatus.Check(CudnnApi.cudnnSetTensor4dDescriptorEx(d, dataType, dims.N, dims.C, dims.H, dims.W,
            strides.N, strides.C, strides.H, strides.W)));
        descriptor.DataType = dataType;
        descriptor.Dims = dims;
        descriptor.Format = null;
        descriptor.Strides = strides;
        return descriptor;
    }

    /// <summary>Bytes the tensor spans in memory, as cuDNN computes it (<c>cudnnGetTensorSizeInBytes</c>).</summary>
    public ulong SizeInBytes
    {
        get
        {
            CudnnStatus.Check(CudnnApi.cudnnGetTensorSizeInBytes(this, out var size));
            return size;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Dims} {Format?.ToString() ?? $"strides {Strides}"} {DataType}";

    private static TensorDescriptor New()
    {
        CudnnStatus.Check(CudnnApi.cudnnCreateTensorDescriptor(out var raw));
        var descriptor = new TensorDescriptor();
        descriptor.SetHandle(raw);
        return descriptor;
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => CudnnStatus.Release(CudnnApi.cudnnDestroyTensorDescriptor(handle));
}
