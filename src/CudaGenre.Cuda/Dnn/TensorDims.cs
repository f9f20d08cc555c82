namespace CudaGenre.Cuda.Dnn;

/// <summary>The logical size of a 4-d tensor, always given in N, C, H, W order whatever its memory format.</summary>
/// <param name="N">Batch size.</param>
/// <param name="C">Channels.</param>
/// <param name="H">Height.</param>
/// <param name="W">Width.</param>
public readonly record struct TensorDims(int N, int C, int H, int W)
{
    /// <summary>N·C·H·W.</summary>
    public long ElementCount => (long)N * C * H * W;

    /// <summary>
    /// Element strides (n, c, h, w) of a packed tensor in <paramref name="format"/>:
    /// NCHW gives (C·H·W, H·W, W, 1), NHWC gives (H·W·C, 1, W·C, C).
    /// </summary>
    public (int N, int C, int H, int W) PackedStrides(cudnnTensorFormat_t format) => format switch
    {
        cudnnTensorFormat_t.CUDNN_TENSOR_NCHW => (checked(C * H * W), H * W, W, 1),
        cudnnTensorFormat_t.CUDNN_TENSOR_NHWC => (checked(H * W * C), 1, W * C, C),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "packed strides are defined for NCHW and NHWC only"),
    };

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless all four sizes are positive.</summary>
    public void Validate(string what)
    {
        if (N <= 0 || C <= 0 || H <= 0 || W <= 0)
            throw new ArgumentOutOfRangeException(what, this, $"{what}: every dimension must be positive");
    }

    /// <inheritdoc/>
    public override string ToString() => $"{N}×{C}×{H}×{W}";
}
