using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Kernels.Launchers;

/// <summary>Launcher of <c>kernels/bias_act.cu</c>.</summary>
public static class BiasActKernels
{
    /// <summary>The kernel file.</summary>
    public const string File = "bias_act.cu";

    /// <summary>
    /// <c>y = relu?(fmaf(x, scale[c], shift[c]) + residual)</c>; <paramref name="scale"/>, <paramref name="shift"/> and
    /// <paramref name="residual"/> may each be 0 (none), <paramref name="y"/> may be <paramref name="x"/> or the residual.
    /// NHWC, one thread per element.
    /// </summary>
    public static PreparedLaunch Launch(KernelStorage storage, ulong x, ulong scale, ulong shift, ulong residual, ulong y,
        int nBatch, int channels, int spatial, bool relu)
    {
        var arguments = new KernelArguments().Add(x).Add(scale).Add(shift).Add(residual).Add(y)
            .Add(nBatch).Add(channels).Add(spatial).Add(LaunchRule.Flag(relu));
        return new PreparedLaunch(File, KernelNames.Nhwc("bias_act", storage),
            LaunchRule.ThreadPer((long)nBatch * channels * spatial), LaunchRule.Block, arguments);
    }
}
