using Microsoft.Win32.SafeHandles;

namespace CudaGenre.Cuda.Dnn;

/// <summary>
/// A 4-d convolution filter descriptor (<c>cudnnFilterDescriptor_t</c>): K output channels, C input channels per group,
/// R×S window. NCHW format stores it K, C, R, S (PyTorch's weight layout); NHWC stores it K, R, S, C.
/// </summary>
public sealed class FilterDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>For the interop marshaller; use <see cref="Create4d"/>.</summary>
    public FilterDescriptor() : base(ownsHandle: true)
    {
    }

    /// <summary>Element type.</summary>
    public cudnnDataType_t DataType { get; private set; }

    /// <summary>Memory format.</summary>
    public cudnnTensorFormat_t Format { get; private set; }

    /// <summary>Output channels.</summary>
    public int K { get; private set; }

    /// <summary>Input channels per group (for a depthwise convolution, 1).</summary>
    public int C { get; private set; }

    /// <summary>Window height.</summary>
    public int R { get; private set; }

    /// <summary>Window width.</summary>
    public int S { get; private set; }

    /// <summary>Creates a filter descriptor (<c>cudnnSetFilter4dDescriptor</c>).</summary>
    /// <param name="dataType">Element type.</param>
    /// <param name="format">NCHW (KCRS) or NHWC (KRSC).</param>
    /// <param name="k">Output channels.</param>
    /// <param name="c">Input channels per group.</param>
    /// <param name="r">Window height.</param>
    /// <param name="s">Window width.</param>
    public static FilterDescriptor Create4d(cudnnDataType_t dataType, cudnnTensorFormat_t format, int k, int c, int r, int s)
    {
        new TensorDims(k, c, r, s).Validate("filter");
        CudnnStatus.Check(CudnnApi.cudnnCreateFilterDescriptor(out var raw));
        var descriptor = new FilterDescriptor();
        descriptor.SetHandle(raw);
        descriptor.Configure(d => CudnnStatus.Check(CudnnApi.cudnnSetFilter4dDescriptor(d, dataType, format, k, c, r, s)));
        descriptor.DataType = dataType;
        descriptor.Format = format;
        (descriptor.K, descriptor.C, descriptor.R, descriptor.S) = (k, c, r, s);
        return descriptor;
    }

    /// <summary>Elements in the filter: K·C·R·S.</summary>
    public long ElementCount => (long)K * C * R * S;

    /// <inheritdoc/>
    public override string ToString() => $"{K}×{C}×{R}×{S} {Format} {DataType}";

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => CudnnStatus.Release(CudnnApi.cudnnDestroyFilterDescriptor(handle));
}
