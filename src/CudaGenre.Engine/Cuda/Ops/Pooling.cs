using CudaGenre.Cuda.Kernels.Launchers;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda.Ops;

/// <summary>Max pooling and global average pooling with <c>pooling.cu</c> (NHWC, storage type in and out).</summary>
internal sealed class Pooling : ICudaOp
{
    public static readonly Pooling Instance = new();

    public IEnumerable<string> KernelFiles => [PoolingKernels.File];

    public bool Supports(FusedStep step, out string reason)
    {
        reason = "";
        if (step is MaxPoolStep { Pool: var p } && (p.Kernel.Height != p.Kernel.Width || p.Stride.Height != p.Stride.Width || p.Padding.Height != p.Padding.Width))
        {
            reason = $"'{step.Module}': the CUDA backend's max pool needs square windows, equal strides and equal padding.";
            return false;
        }
        return step is MaxPoolStep or GlobalAvgPoolStep;
    }

    public void Lower(LoweringContext context, FusedStep step)
    {
        var x = CudaOps.Dims(context.Values.Shapes[step.Input]);
        var (input, output) = (context.Values.At(step.Input), context.Values.At(step.Output));
        if (step is MaxPoolStep { Pool: var p })
        {
            context.AddLaunch($"{step.Module} maxpool2d", PoolingKernels.MaxPool2d(context.Precision.Storage, input, output,
                x.N, x.C, x.H, x.W, p.Kernel.Height, p.Stride.Height, p.Padding.Height));
        }
        else
        {
            context.AddLaunch(step.Module, PoolingKernels.GlobalAvgPool(context.Precision.Storage, input, output, x.N, x.C, x.H * x.W));
        }
    }
}
