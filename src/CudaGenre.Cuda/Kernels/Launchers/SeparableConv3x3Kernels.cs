using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Kernels.Launchers;

/// <summary>Launcher of <c>kernels/separable_conv3x3.cu</c>.</summary>
public static class SeparableConv3x3Kernels
{
    /// <summary>The kernel file.</summary>
    public const string File = "separable_conv3x3.cu";

    /// <summary>
    /// Xception's separable convolution in one pass, NHWC: (ReLU) → depthwise 3×3 (+ <paramref name="dwBias"/>) (ReLU) →
    /// 1×1 by <paramref name="pw"/> (+ <paramref name="pwBias"/>) (+ <paramref name="residual"/>, which may be
    /// <paramref name="y"/>) (ReLU). Block 256 (the tile roles assume it), one block per tile of 64 pixels × 64 channels.
    /// </summary>
    public static PreparedLaunch Launch(KernelStorage storage, ulong x, ulong dw, ulong dwBias, ulong pw, ulong pwBias, ulong residual, ulong y,
        int nBatch, int channels, int height, int width, int outChannels, int stride, bool reluInput, bool reluMid, bool reluOutput)
    {
        long outH = ((height - 1) / stride) + 1, outW = ((width - 1) / stride) + 1;
        var tiles = ((nBatch * outH * outW) + 63) / 64 * ((outChannels + 63) / 64);
        var arguments = new KernelArguments().Add(x).Add(dw).Add(dwBias).Add(pw).Add(pwBias).Add(residual).Add(y)
            .Add(nBatch).Add(channels).Add(height).Add(width).Add(outChannels).Add(stride)
            .Add(LaunchRule.Flag(reluInput)).Add(LaunchRule.Flag(reluMid)).Add(LaunchRule.Flag(reluOutput));
        return new PreparedLaunch(File, KernelNames.Nhwc("separable3x3", storage), checked((uint)tiles), LaunchRule.Block, arguments);
    }
}
