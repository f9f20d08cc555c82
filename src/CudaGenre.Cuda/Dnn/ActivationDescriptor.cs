using Microsoft.Win32.SafeHandles;

namespace CudaGenre.Cuda.Dnn;

/// <summary>An activation descriptor (<c>cudnnActivationDescriptor_t</c>) for cudnnActivationForward and fused convolutions.</summary>
public sealed class ActivationDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>For the interop marshaller; use <see cref="Create"/>.</summary>
    public ActivationDescriptor() : base(ownsHandle: true)
    {
    }

    /// <summary>The function.</summary>
    public cudnnActivationMode_t Mode { get; private set; }

    /// <summary>Creates an activation descriptor (<c>cudnnSetActivationDescriptor</c>).</summary>
    /// <param name="mode">The function. In cudnnConvolutionBiasActivationForward only RELU and IDENTITY are allowed, IDENTITY only with IMPLICIT_PRECOMP_GEMM.</param>
    /// <param name="coefficient">Ceiling for CLIPPED_RELU, alpha for ELU; ignored otherwise.</param>
    /// <param name="nan">Default propagates NaN, as PyTorch does, so a NaN is never hidden.</param>
    public static ActivationDescriptor Create(cudnnActivationMode_t mode, double coefficient = 0,
        cudnnNanPropagation_t nan = cudnnNanPropagation_t.CUDNN_PROPAGATE_NAN)
    {
        CudnnStatus.Check(CudnnApi.cudnnCreateActivationDescriptor(out var raw));
        var descriptor = new ActivationDescriptor();
        descriptor.SetHandle(raw);
        descriptor.Configure(d => CudnnStatus.Check(CudnnApi.cudnnSetActivationDescriptor(d, mode, nan, coefficient)));
        descriptor.Mode = mode;
        return descriptor;
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => CudnnStatus.Release(CudnnApi.cudnnDestroyActivationDescriptor(handle));
}
