using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Kernels.Launchers;

/// <summary>Launchers of <c>kernels/pooling.cu</c>.</summary>
public static class PoolingKernels
{
    /// <summary>The kernel file.</summary>
    public const string File = "pooling.cu";

    /// <summary>PyTorch's <c>MaxPool2d(kernel, stride, pad)</c> (floor mode, NaN wins), NHWC; one thread per output element.</summary>
    public static PreparedLaunch MaxPool2d(KernelStorage storage, ulong x, ulong y,
        int nBatch, int channels, int height, int width, int kernel, int stride, int pad)
    {
        long outH = ((height + (2 * pad) - kernel) / stride) + 1, outW = ((width + (2 * pad) - kernel) / stride) + 1;
        var arguments = new KernelArguments().Add(x).Add(y).Add(nBatch).Add(channels).Add(height).Add(width).Add(kernel).Add(stride).Add(pad);
        return new PreparedLaunch(File, KernelNames.Nhwc("maxpool2d", storage),
            LaunchRule.ThreadPer((long)nBatch * channels * outH * outW), LaunchRule.Block, arguments);
    }

    /// <summary><c>y[n·C + c] = Σ x / spatial</c> over an NHWC input; one thread per (n, c).</summary>
    public static PreparedLaunch GlobalAvgPool(KernelStorage storage, ulong x, ulong y, int nBatch, int channels, int spatial)
    {
        var arguments = new KernelArguments().Add(x).Add(y).Add(nBatch).Add(channels).Add(spatial);
        return new PreparedLaunch(File, KernelNames.Nhwc("global_avgpool", storage),
            LaunchRule.ThreadPer((long)nBatch * channels), LaunchRule.Block, arguments);
    }
}
