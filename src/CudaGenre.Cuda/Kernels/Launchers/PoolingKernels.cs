using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Kernels.Launchers;

/// <summary>Launchers of <c>kernels/pooling.cu</c>.</summary>
public static class PoolingKernels
{
    /// <summary>The kernel file.</summary>
    public const string File = "pooling.cu";

    /// <summary>PyTorch's <c>MaxPool2d(kernel, stride, pad)</c> (floor mode, NaN wins); one thread per output element.</summary>
    public static PreparedLaunch MaxPool2d(KernelLayout layout, KernelStorage storage, ulong x, ulong y,
        int nBatch, int channels, int height, int width, int kernel, int stride, int pad)
    {
        long outH = ((height + (2 * pad) - kernel) / stride) + 1, outW = ((width + (2 * pad) - kernel) / stride) + 1;
        var arguments = new KernelArguments().Add(x).Add(y).Add(nBatch).Add(channels).Add(height).Add(width).Add(kernel).Add(stride).Add(pad);
        return new PreparedLaunch(File, KernelNames.EntryPoint("maxpool2d", layout, storage),
            LaunchRule.ThreadPer((long)nBatch * channels * outH * outW), LaunchRule.Block, arguments);
    }

    /// <summary><c>y[n·C + c] = Σ x / spatial</c>; NHWC: one thread per (n, c), NCHW: one warp per (n, c).</summary>
    public static PreparedLaunch GlobalAvgPool(KernelLayout layout, KernelStorage storage, ulong x, ulong y, int nBatch, int channels, int spatial)
    {
        var planes = (long)nBatch * channels;
        var arguments = new KernelArguments().Add(x).Add(y).Add(nBatch).Add(channels).Add(spatial);
        return new PreparedLaunch(File, KernelNames.EntryPoint("global_avgpool", layout, storage),
            layout == KernelLayout.Nhwc ? LaunchRule.ThreadPer(planes) : LaunchRule.WarpPer(planes), LaunchRule.Block, arguments);
    }
}
