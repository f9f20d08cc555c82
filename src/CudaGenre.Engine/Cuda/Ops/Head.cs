using CudaGenre.Cuda;
using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Kernels.Launchers;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda.Ops;

/// <summary>
/// The classifier head: every linear layer, in FP32 in every precision, with cuBLASLt (bias and ReLU fused as its
/// epilogue). Its input features are widened to FP32 out of the arena first (<c>convert.cu</c>); its outputs live in
/// the FP32 side buffer, so only another linear layer may read them, and the model must end with one.
/// </summary>
internal sealed class Head : ICudaOp
{
    public static readonly Head Instance = new();

    public IEnumerable<string> KernelFiles => [ConvertKernels.File];

    public bool Supports(FusedStep step, out string reason)
    {
        reason = "";
        return step is FusedLinear;
    }

    public void AddWeights(FusedStep step, DeviceWeights.Packer weights)
    {
        var linear = (FusedLinear)step;
        weights.FloatWeight(step, linear.Weight); // [out, in], as cuBLASLt's row-major linear reads it
        weights.Bias(step, linear.Bias);
    }

    public void Lower(LoweringContext context, FusedStep step)
    {
        var linear = (FusedLinear)step;
        var values = context.Values;
        if (values.NeedsHeadCopy(linear.Input))
        {
            context.AddLaunch($"{linear.Module} features → FP32", ConvertKernels.Widen(context.Precision.Storage, values.At(linear.Input),
                values.HeadInputAt(linear.Input), values.Shapes[linear.Input].ElementCount));
        }
        var (input, output) = (values.HeadInputAt(linear.Input), values.HeadAt(linear.Output));
        var epilogue = linear.Relu ? cublasLtEpilogue_t.CUBLASLT_EPILOGUE_RELU_BIAS : cublasLtEpilogue_t.CUBLASLT_EPILOGUE_BIAS;
        var spec = LtMatmulSpec.RowMajorLinear(context.BatchSize, linear.Linear.InFeatures, linear.Linear.OutFeatures, cudaDataType_t.CUDA_R_32F,
            context.Precision.HeadComputeType, epilogue);
        var plan = context.Own(LtMatmulPlan.Create(context.Lt, spec, context.Weights.BiasOf(linear)));
        var (weight, workspace, stream) = (context.Weights.WeightOf(linear), context.Workspace, context.Stream);
        context.Add($"{linear.Module} cublasLtMatmul {epilogue}", () => plan.Run(weight, input, output, workspace.Pointer, workspace.Bytes, stream.Handle));
        context.NeedWorkspace(plan.WorkspaceBytes);
    }
}
