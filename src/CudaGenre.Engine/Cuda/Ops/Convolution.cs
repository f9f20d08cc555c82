using CudaGenre.Cuda;
using CudaGenre.Cuda.Dnn;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda.Ops;

/// <summary>
/// Dense (groups = 1) convolutions with cuDNN, NHWC, filters KRSC in the storage type. FP32: one cuDNN call for
/// conv + bias (+ residual) (+ ReLU) where cuDNN allows it (IDENTITY only with IMPLICIT_PRECOMP_GEMM). 16-bit
/// storage, or where cuDNN refuses: the convolution alone, then our <c>bias_act</c> kernel (its bias is FP32 in
/// every precision, where cuDNN's fused bias would be in the storage type). The algorithm is cuDNN's heuristic's,
/// or, when measuring, the fastest cuDNN times (kept in <see cref="AlgorithmChoices"/>).
/// </summary>
internal sealed class Convolution : ICudaOp
{
    public static readonly Convolution Instance = new();

    public IEnumerable<string> KernelFiles => BiasAct.Instance.KernelFiles;

    public bool Supports(FusedStep step, out string reason)
    {
        reason = "";
        if (step is not FusedConv conv)
            return false;
        if (conv.Conv.Groups != 1 || conv.ReluInput)
        {
            reason = $"'{conv.Module}': the CUDA backend runs grouped convolutions only as depthwise 3×3, and a ReLU on the input only before one.";
            return false;
        }
        return true;
    }

    public void AddWeights(FusedStep step, DeviceWeights.Packer weights)
    {
        var conv = (FusedConv)step;
        weights.Filter(step, ToKrsc(conv));
        weights.Bias(step, conv.Bias);
    }

    public void Lower(LoweringContext context, FusedStep step)
    {
        var conv = (FusedConv)step;
        var values = context.Values;
        Add(context, conv, values.At(conv.Input), conv.Residual is null ? 0 : values.At(conv.Residual), values.At(conv.Output));
    }

    /// <summary>Appends the steps of <paramref name="conv"/> reading <paramref name="input"/> (and <paramref name="residual"/>, 0 for none) into <paramref name="output"/>.</summary>
    public static void Add(LoweringContext context, FusedConv conv, ulong input, ulong residual, ulong output)
    {
        var c = conv.Conv;
        var (x, y) = (CudaOps.Dims(context.Values.Shapes[conv.Input]), CudaOps.Dims(context.Values.Shapes[conv.Output]));
        var precision = context.Precision;
        var type = precision.CudnnDataType;
        var xDesc = context.Own(TensorDescriptor.Nhwc(type, x.N, x.C, x.H, x.W));
        var wDesc = context.Own(FilterDescriptor.Create4d(type, cudnnTensorFormat_t.CUDNN_TENSOR_NHWC, c.OutChannels, c.InChannels, c.Kernel.Height, c.Kernel.Width));
        var convDesc = context.Own(ConvolutionDescriptor.Create2d(new Convolution2dGeometry(c.Padding.Height, c.Padding.Width, c.Stride.Height, c.Stride.Width),
            precision.CudnnMathType, cudnnDataType_t.CUDNN_DATA_FLOAT));
        var yDesc = context.Own(TensorDescriptor.Nhwc(type, y.N, y.C, y.H, y.W));
        var weight = context.Weights.WeightOf(conv);
        var bias = context.Weights.BiasOf(conv);
        var activationMode = conv.Relu ? cudnnActivationMode_t.CUDNN_ACTIVATION_RELU : cudnnActivationMode_t.CUDNN_ACTIVATION_IDENTITY;
        var (cudnn, search, workspace, tuner) = (context.Cudnn, context.Search, context.Workspace, context.Tuner);

        ConvolutionPlan Choose(ConvolutionPlanOptions options)
        {
            if (search is null)
                return ConvolutionPlan.CreateByHeuristic(cudnn, xDesc, wDesc, convDesc, yDesc, options);
            var key = $"conv {xDesc} * {wDesc} ({convDesc.Geometry}) → {yDesc}, {precision.CudnnMathType}, fused {options.FusedActivation?.ToString() ?? "none"}";
            options = options with { MaxWorkspaceBytes = Math.Min(options.MaxWorkspaceBytes, (ulong)search.SizeInBytes) };
            if (tuner.Saved.TryGet<CudnnAlgorithm>(key, out var saved)
                && tuner.TryReuse(() => ConvolutionPlan.CreateWithAlgorithm(cudnn, xDesc, wDesc, convDesc, yDesc, saved.Algorithm, saved.Math, options)) is { } known)
                return known;
            var measured = ConvolutionPlan.CreateByMeasurement(cudnn, xDesc, input, wDesc, weight, convDesc, yDesc, output, search.Pointer, (ulong)search.SizeInBytes, options);
            tuner.Saved.Set(key, new CudnnAlgorithm(measured.Algorithm, measured.MathType));
            return measured;
        }

        if (precision.StorageBytes == 4)
        {
            try
            {
                var fused = Choose(new ConvolutionPlanOptions { FusedActivation = activationMode });
                var biasDesc = context.Own(TensorDescriptor.Nchw(type, 1, c.OutChannels, 1, 1));
                var activation = context.Own(ActivationDescriptor.Create(activationMode));
                // Run the fused call once now (on the zeroed arena): if cuDNN refuses this combination it says so
                // here, where the split path can take over, and not in every Run.
                using (var trial = search is null ? context.Context.Allocate<byte>((long)Math.Max(fused.WorkspaceBytes, 256)) : null)
                {
                    var (space, bytes) = trial is null ? (search!.Pointer, (ulong)search.SizeInBytes) : (trial.Pointer, (ulong)trial.SizeInBytes);
                    fused.ForwardBiasActivation(input, weight, biasDesc, bias, activation, output, space, bytes, z: residual, alpha2: residual != 0 ? 1f : 0f);
                    context.Stream.Synchronize();
                }
                context.Add($"{conv.Module} cudnnConvolutionBiasActivationForward {fused.Algorithm}{(residual != 0 ? " +residual" : "")}{(conv.Relu ? " +ReLU" : "")}",
                    () => fused.ForwardBiasActivation(input, weight, biasDesc, bias, activation, output, workspace.Pointer, workspace.Bytes,
                        z: residual, alpha2: residual != 0 ? 1f : 0f));
                context.NeedWorkspace(fused.WorkspaceBytes);
                return;
            }
            catch (CudaException e)
            {
                context.Log($"'{conv.Module}': no fused cuDNN convolution+bias+activation ({e.Message}); using convolution then bias_act.");
            }
        }
        var plan = Choose(new ConvolutionPlanOptions());
        context.Add($"{conv.Module} cudnnConvolutionForward {plan.Algorithm}", () => plan.Forward(input, weight, output, workspace.Pointer, workspace.Bytes));
        context.Add($"{conv.Module} bias_act", BiasAct.Prepare(context, y, output, bias, residual, conv.Relu, output));
        context.NeedWorkspace(plan.WorkspaceBytes);
    }

    /// <summary>PyTorch's [out, in, kh, kw] → [out, kh, kw, in], the filter layout of cuDNN's NHWC convolutions.</summary>
    internal static float[] ToKrsc(FusedConv conv)
    {
        int k = conv.Conv.OutChannels, c = conv.Conv.InChannels, r = conv.Conv.Kernel.Height, s = conv.Conv.Kernel.Width;
        var krsc = new float[conv.Weight.Length];
        for (var o = 0; o < k; o++)
        {
            for (var i = 0; i < c; i++)
            {
                for (var y = 0; y < r; y++)
                {
                    for (var x = 0; x < s; x++)
                    {
                        krsc[((o * r + y) * s + x) * c + i] = conv.Weight[((o * c + i) * r + y) * s + x];
                    }
                }
            }
        }
        return krsc;
    }
}
