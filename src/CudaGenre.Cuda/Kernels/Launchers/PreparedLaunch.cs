using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Kernels.Launchers;

/// <summary>
/// The entry-point names, <c>&lt;op&gt;_nhwc_&lt;precision&gt;</c> for a kernel over activations (NHWC, the engine's
/// only layout) and <c>&lt;op&gt;_&lt;precision&gt;</c> for one without a layout (kernels/README.md).
/// </summary>
public static class KernelNames
{
    /// <summary>"depthwise3x3_nhwc_bf16".</summary>
    public static string Nhwc(string operation, KernelStorage storage) => $"{operation}_nhwc_{storage.Suffix()}";

    /// <summary>"widen_f16": an entry point without a layout part.</summary>
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
    /// <summary>The block size of every entry point: 256 (the tiled kernels need exactly that).</summary>
    public const uint Block = 256;

    /// <summary>One thread per item.</summary>
    public static Dim3 ThreadPer(long items) => Dim3.BlocksFor(items, Block);

    /// <summary>A flag as the kernels take it: an <c>int</c>, 1 or 0 (a C# bool would be one byte).</summary>
    public static int Flag(bool value) => value ? 1 : 0;
}
