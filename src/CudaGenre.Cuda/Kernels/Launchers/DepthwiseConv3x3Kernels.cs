using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Kernels.Launchers;

/// <summary>The four depthwise 3×3 kernels of depthwise_conv3x3.cu; all give the same bits.</summary>
public enum DepthwiseVariant
{
    /// <summary><c>depthwise3x3_nhwc_*</c>: one thread per output, any stride.</summary>
    Plain,

    /// <summary><c>depthwise3x3w4_nhwc_*</c>: 4 outputs along W per thread; stride 1 or 2.</summary>
    Strip,

    /// <summary><c>depthwise3x3v4_nhwc_*</c>: the strip × 4 channels per vector load; stride 1 or 2, C a multiple of 4.</summary>
    Vector,

    /// <summary><c>depthwise3x3tile_nhwc_*</c>: 4×8×32 output tiles from a shared-memory halo, block 256; stride 1 or 2.</summary>
    Tile,
}

/// <summary>Launcher of <c>kernels/depthwise_conv3x3.cu</c>.</summary>
public static class DepthwiseConv3x3Kernels
{
    /// <summary>The kernel file.</summary>
    public const string File = "depthwise_conv3x3.cu";

    /// <summary>The entry-point name's operation part, e.g. "depthwise3x3w4".</summary>
    public static string Operation(DepthwiseVariant variant) => variant switch
    {
        DepthwiseVariant.Plain => "depthwise3x3",
        DepthwiseVariant.Strip => "depthwise3x3w4",
        DepthwiseVariant.Vector => "depthwise3x3v4",
        DepthwiseVariant.Tile => "depthwise3x3tile",
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "unknown depthwise variant"),
    };

    /// <summary>
    /// <c>y = relu?(depthwise3x3(relu?(x), w) + bias)</c>, zero padding 1, NHWC; arguments as the entry point takes them.
    /// Only <see cref="DepthwiseVariant.Plain"/> takes strides above 2.
    /// </summary>
    /// <exception cref="ArgumentException">The variant cannot run this stride or channel count.</exception>
    public static PreparedLaunch Launch(DepthwiseVariant variant, KernelStorage storage,
        ulong x, ulong w, ulong bias, ulong y, int nBatch, int channels, int height, int width, int stride, bool reluInput, bool reluOutput)
    {
        if (variant != DepthwiseVariant.Plain && stride is < 1 or > 2)
            throw new ArgumentException($"{Operation(variant)} is for stride 1 or 2 (got stride {stride}).", nameof(variant));
        if (variant == DepthwiseVariant.Vector && channels % 4 != 0)
            throw new ArgumentException($"{Operation(variant)} needs C a multiple of 4 (got {channels}).", nameof(channels));
        long outH = ((height - 1) / stride) + 1, outW = ((width - 1) / stride) + 1;
        var grid = variant switch
        {
            DepthwiseVariant.Plain => LaunchRule.ThreadPer((long)nBatch * channels * outH * outW),
            DepthwiseVariant.Strip => LaunchRule.ThreadPer(nBatch * outH * ((outW + 3) / 4) * channels),
            DepthwiseVariant.Vector => LaunchRule.ThreadPer(nBatch * outH * ((outW + 3) / 4) * (channels / 4)),
            // One block per tile of 4 rows × 8 columns × 32 channels.
            _ => new Dim3(checked((uint)(nBatch * ((outH + 3) / 4) * ((outW + 7) / 8) * ((channels + 31) / 32)))),
        };
        var arguments = new KernelArguments().Add(x).Add(w).Add(bias).Add(y).Add(nBatch).Add(channels).Add(height).Add(width)
            .Add(stride).Add(LaunchRule.Flag(reluInput)).Add(LaunchRule.Flag(reluOutput));
        return new PreparedLaunch(File, KernelNames.Nhwc(Operation(variant), storage), grid, LaunchRule.Block, arguments);
    }
}
