using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Kernels.Launchers;

/// <summary>Launchers of <c>kernels/convert.cu</c>.</summary>
public static class ConvertKernels
{
    /// <summary>The kernel file.</summary>
    public const string File = "convert.cu";

    /// <summary>The FP32 NCHW batch <paramref name="x"/> → <paramref name="y"/>, NHWC in the activations' type; one thread per element.</summary>
    public static PreparedLaunch Input(KernelStorage storage, ulong x, ulong y, int nBatch, int channels, int spatial)
    {
        var arguments = new KernelArguments().Add(x).Add(y).Add(nBatch).Add(channels).Add(spatial);
        return new PreparedLaunch(File, KernelNames.Nhwc("input", storage),
            LaunchRule.ThreadPer((long)nBatch * channels * spatial), LaunchRule.Block, arguments);
    }

    /// <summary><paramref name="count"/> elements of <paramref name="storage"/> → FP32; one thread per element.</summary>
    public static PreparedLaunch Widen(KernelStorage storage, ulong x, ulong y, long count)
    {
        var arguments = new KernelArguments().Add(x).Add(y).Add(count);
        return new PreparedLaunch(File, KernelNames.EntryPoint("widen", storage), LaunchRule.ThreadPer(count), LaunchRule.Block, arguments);
    }
}
