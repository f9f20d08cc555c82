using CudaGenre.Core.Tensors;

namespace CudaGenre.Engine.Graph;

/// <summary>
/// The arithmetic of a <see cref="FusedStep"/>, for profiles that report GFLOP/s: a multiply-add counts as two
/// floating-point operations, as in the usual 2·M·N·K of a GEMM. Epilogues (bias, residual, ReLU), pooling and
/// layout changes count as zero: they are memory-bound, and their time is reported but not their rate.
/// </summary>
internal static class StepCost
{
    /// <summary>
    /// Floating-point operations of <paramref name="step"/> at the batch size of <paramref name="shapes"/>:
    /// a convolution 2·(N·OH·OW)·Cout·(kh·kw·Cin/groups) (a depthwise one 2·(N·OH·OW)·C·kh·kw), a linear layer
    /// 2·N·in·out, anything else 0.
    /// </summary>
    public static long Flops(FusedStep step, IReadOnlyDictionary<string, TensorShape> shapes) => step switch
    {
        FusedConv conv => 2L * Pixels(shapes[conv.Output]) * conv.Conv.OutChannels
            * conv.Conv.Kernel.Height * conv.Conv.Kernel.Width * (conv.Conv.InChannels / conv.Conv.Groups),
        FusedLinear linear => 2L * shapes[linear.Output][0] * linear.Linear.InFeatures * linear.Linear.OutFeatures,
        _ => 0,
    };

    /// <summary>N·H·W of an NCHW value.</summary>
    private static long Pixels(TensorShape shape) => (long)shape[0] * shape[2] * shape[3];
}
