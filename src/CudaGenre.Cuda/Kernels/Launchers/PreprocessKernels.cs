using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Kernels.Launchers;

/// <summary>Launcher of <c>kernels/preprocess.cu</c>.</summary>
public static class PreprocessKernels
{
    /// <summary>The kernel file.</summary>
    public const string File = "preprocess.cu";

    // The parameters that change from one run of images to the next (Retarget).
    private const int SourceIndex = 0;
    private const int OutputIndex = 18;
    private const int BatchIndex = 19;

    /// <summary>
    /// 8-bit RGB/RGBA images → resized by the tap tables (ResizeFilter) → <c>v·scale[c] + offset[c]</c> into
    /// <paramref name="y"/>, NHWC in the entry point's type; one thread per output pixel.
    /// </summary>
    public static PreparedLaunch Launch(KernelStorage storage, ulong src, long rowPitch, long imageStride, int pixelBytes,
        ulong hFirst, ulong hCount, ulong hWeights, int hMaxTaps, ulong vFirst, ulong vCount, ulong vWeights, int vMaxTaps,
        float scaleR, float scaleG, float scaleB, float offsetR, float offsetG, float offsetB, ulong y, int nBatch, int outHeight, int outWidth)
    {
        var arguments = new KernelArguments().Add(src).Add(rowPitch).Add(imageStride).Add(pixelBytes)
            .Add(hFirst).Add(hCount).Add(hWeights).Add(hMaxTaps)
            .Add(vFirst).Add(vCount).Add(vWeights).Add(vMaxTaps)
            .Add(scaleR).Add(scaleG).Add(scaleB).Add(offsetR).Add(offsetG).Add(offsetB)
            .Add(y).Add(nBatch).Add(outHeight).Add(outWidth);
        return new PreparedLaunch(File, KernelNames.Nhwc("preprocess", storage), Grid(nBatch, outHeight, outWidth), LaunchRule.Block, arguments);
    }

    /// <summary>
    /// Points <paramref name="launch"/> (same tables, same image size) at another run of <paramref name="nBatch"/>
    /// images, in place, and returns the grid for them: the engine's per-call launch, with no allocation.
    /// </summary>
    public static Dim3 Retarget(PreparedLaunch launch, ulong src, ulong y, int nBatch, int outHeight, int outWidth)
    {
        ArgumentNullException.ThrowIfNull(launch);
        launch.Arguments.Set(SourceIndex, src);
        launch.Arguments.Set(OutputIndex, y);
        launch.Arguments.Set(BatchIndex, nBatch);
        return Grid(nBatch, outHeight, outWidth);
    }

    private static Dim3 Grid(int nBatch, int outHeight, int outWidth) => LaunchRule.ThreadPer((long)nBatch * outHeight * outWidth);
}
