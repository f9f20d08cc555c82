using CudaGenre.Cuda.Dnn;
using CudaGenre.Cuda.Kernels.Launchers;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda.Ops;

/// <summary>
/// Layout changes: the FP32 NCHW batch into the NHWC arena in the storage type (<c>convert.cu</c>, every plan's first
/// step), and <see cref="FlattenStep"/>, which flattens in PyTorch's C, H, W order: NHWC → NCHW with cuDNN's
/// transform (a copy when H = W = 1).
/// </summary>
internal sealed class Layout : ICudaOp
{
    public static readonly Layout Instance = new();

    public IEnumerable<string> KernelFiles => [ConvertKernels.File];

    public bool Supports(FusedStep step, out string reason)
    {
        reason = "";
        return step is FlattenStep;
    }

    /// <summary>The plan's first step: the FP32 NCHW input batch into the arena.</summary>
    public static void LowerInput(LoweringContext context)
    {
        var input = CudaOps.Dims(context.Values.Shapes[Core.Models.ModelGraph.InputName]);
        context.AddLaunch("input NCHW FP32 → NHWC", ConvertKernels.Input(context.Precision.Storage, context.Values.Input,
            context.Values.At(Core.Models.ModelGraph.InputName), input.N, input.C, input.H * input.W));
    }

    public void Lower(LoweringContext context, FusedStep step)
    {
        var dims = CudaOps.Dims(context.Values.Shapes[step.Input]);
        var type = context.Precision.CudnnDataType;
        var from = context.Own(TensorDescriptor.Nhwc(type, dims.N, dims.C, dims.H, dims.W));
        var to = context.Own(TensorDescriptor.Nchw(type, dims.N, dims.C, dims.H, dims.W));
        var (x, y, cudnn) = (context.Values.At(step.Input), context.Values.At(step.Output), context.Cudnn);
        context.Add(step.Module, () => cudnn.TransformTensor(from, x, to, y));
    }
}
