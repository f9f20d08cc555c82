using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Kernels.Launchers;

/// <summary>Launcher of <c>kernels/softmax.cu</c>.</summary>
public static class SoftmaxKernels
{
    /// <summary>The kernel file.</summary>
    public const string File = "softmax.cu";

    /// <summary>Row-wise softmax of <paramref name="x"/> (logits in <paramref name="storage"/>) into FP32 <paramref name="y"/>; one warp per row.</summary>
    public static PreparedLaunch Launch(KernelStorage storage, ulong x, ulong y, int rows, int classes)
    {
        var arguments = new KernelArguments().Add(x).Add(y).Add(rows).Add(classes);
        return new PreparedLaunch(File, KernelNames.EntryPoint("softmax", storage), LaunchRule.WarpPer(rows), LaunchRule.Block, arguments);
    }
}
