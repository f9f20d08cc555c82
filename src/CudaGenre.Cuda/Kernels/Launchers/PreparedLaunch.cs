using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Kernels.Launchers;

/// <summary>Memory layout of an N × C × H × W tensor, as in the kernels' entry-point names.</summary>
public enum KernelLayout
{
    /// <summary>Channels last: "nhwc".</summary>
    Nhwc,

    /// <summary>Channels first: "nchw".</summary>
    Nchw,
}

/// <summary>The parts of an entry-point name, <c>&lt;op&gt;_&lt;layout&gt;_&lt;precision&gt;</c> (kernels/README.md).</summary>
public static class KernelNames
{
    /// <summary>"nhwc" or "nchw".</summary>
    public static string Suffix(this KernelLayout layout) => layout switch
    {
        KernelLayout.Nhwc => "nhwc",
        KernelLayout.Nchw => "nchw",
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "unknown layout"),
    };

    /// <summary>"depthwise3x3_nhwc_bf16".</summary>
    public static string EntryPoint(string operation, KernelLayout layout, KernelStorage storage) => $"{operation}_{layout.Suffix()}_{storage.Suffix()}";

    /// <summary>"softmax_f16": an entry point without a layout part.</summary>
    public static string EntryPoint(string operation, KernelStorage storage) => $"{operation}_{storage.Suffix()}";
}

/// <summary>
/// One launch of an entry point of <c>kernels/</c>, as its launcher prepared it: the file and entry point, the 1-D
/// grid and block by the rule of kernels/README.md, and the arguments in the order and C widths of the entry point's
/// parameters. Prepared once; <see cref="Enqueue"/> allocates nothing, so a plan replays it and a CUDA graph captures it.
/// </summary>
/// <param name="File">The kernel file, e.g. "depthwise_conv3x3.cu".</param>
/// <param name="EntryPoint">The <c>extern "C"</c> name, e.g. "depthwise3x3_nhwc_f32".</param>
/// <param name="Grid">Blocks (1-D).</param>
/// <param name="Block">Threads per block (1-D).</param>
/// <param name="Arguments">The values, in parameter order.</param>
public sealed record PreparedLaunch(string File, string EntryPoint, Dim3 Grid, Dim3 Block, KernelArguments Arguments)
{
    /// <summary>Queues it on <paramref name="stream"/>; <paramref name="kernel"/> must be <see cref="EntryPoint"/> of a module of <see cref="File"/>.</summary>
    public void Enqueue(CudaKernel kernel, CudaStream stream) => kernel.Launch(Grid, Block, stream, Arguments);
}

/// <summary>The launch rules every launcher shares (kernels/README.md, "Launch").</summary>
internal static class LaunchRule
{
    /// <summary>The block size of every entry point: 256 (a multiple of 32, as the one-warp-per-row kernels need).</summary>
    public const uint Block = 256;

    /// <summary>One thread per item.</summary>
    public static Dim3 ThreadPer(long items) => Dim3.BlocksFor(items, Block);

    /// <summary>One warp per item.</summary>
    public static Dim3 WarpPer(long items) => Dim3.BlocksFor(items, Block / 32);

    /// <summary>A flag as the kernels take it: an <c>int</c>, 1 or 0 (a C# bool would be one byte).</summary>
    public static int Flag(bool value) => value ? 1 : 0;
}
