using CudaGenre.Cuda.Dnn;
using CudaGenre.Cuda.Kernels.Launchers;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda.Ops;

/// <summary>
/// Residual adds and ReLUs (<see cref="AddStep"/>, <see cref="ReluStep"/>) with <c>bias_act.cu</c>, which other ops
/// also use for the bias, residual and ReLU that cuDNN does not fuse for them (<see cref="Prepare"/>).
/// </summary>
internal sealed class BiasAct : ICudaOp
{
    public static readonly BiasAct Instance = new();

    public IEnumerable<string> KernelFiles => [BiasActKernels.File];

    public bool Supports(FusedStep step, out string reason)
    {
        reason = "";
        return step is AddStep or ReluStep;
    }

    public void Lower(LoweringContext context, FusedStep step)
    {
        var dims = CudaOps.Dims(context.Values.Shapes[step.Input]);
        var values = context.Values;
        var run = step switch
        {
            AddStep add => Prepare(context, dims, values.At(add.Inputs[0]), shift: 0, residual: values.At(add.Inputs[1]), add.Relu, values.At(add.Output)),
            _ => Prepare(context, dims, values.At(step.Input), shift: 0, residual: 0, relu: true, values.At(step.Output)),
        };
        context.Add(step.Module, run);
    }

    /// <summary>y = relu?(x + shift[c] + residual) over NHWC <paramref name="dims"/>, in the storage type (shift FP32; 0 for none).</summary>
    public static Action Prepare(LoweringContext context, TensorDims dims, ulong input, ulong shift, ulong residual, bool relu, ulong output) =>
        context.Launch(BiasActKernels.Launch(context.Precision.Storage, input, scale: 0, shift, residual, output, dims.N, dims.C, dims.H * dims.W, relu));
}
