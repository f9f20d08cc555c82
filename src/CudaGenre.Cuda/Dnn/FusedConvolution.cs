namespace CudaGenre.Cuda.Dnn;

/// <summary>The rules of cudnnConvolutionBiasActivationForward, in one place, so they fail before the call with a clear message.</summary>
public static class FusedConvolution
{
    /// <summary>The algorithm the fused call requires for <paramref name="activation"/>, or null when any algorithm may be used.</summary>
    public static cudnnConvolutionFwdAlgo_t? RequiredAlgorithm(cudnnActivationMode_t activation) =>
        activation == cudnnActivationMode_t.CUDNN_ACTIVATION_IDENTITY ? cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM : null;

    /// <summary>Throws <see cref="ArgumentException"/> unless the fused call supports this activation with this algorithm.</summary>
    public static void RequireSupported(cudnnActivationMode_t activation, cudnnConvolutionFwdAlgo_t algorithm)
    {
        if (activation is not (cudnnActivationMode_t.CUDNN_ACTIVATION_RELU or cudnnActivationMode_t.CUDNN_ACTIVATION_IDENTITY))
            throw new ArgumentException($"cudnnConvolutionBiasActivationForward supports only CUDNN_ACTIVATION_RELU and CUDNN_ACTIVATION_IDENTITY, not {activation}");
        if (RequiredAlgorithm(activation) is { } required && algorithm != required)
            throw new ArgumentException($"cudnnConvolutionBiasActivationForward with {activation} requires {required}, not {algorithm}");
    }
}
