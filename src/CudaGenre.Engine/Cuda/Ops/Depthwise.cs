using CudaGenre.Core.Models;
using CudaGenre.Cuda;
using CudaGenre.Cuda.Dnn;
using CudaGenre.Cuda.Kernels.Launchers;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda.Ops;

/// <summary>
/// Depthwise 3×3 convolutions (Xception), with our <c>depthwise_conv3x3.cu</c> kernels or cuDNN's grouped
/// convolution, whichever is measured fastest on this device and shape. One followed by the 1×1 convolution that
/// alone reads it is lowered as a pair by <see cref="Separable"/>.
/// </summary>
internal sealed class Depthwise : ICudaOp
{
    /// <summary>The depthwise candidate that is cuDNN's grouped convolution (the others are named by their entry points).</summary>
    internal const string CudnnCandidate = "cuDNN grouped convolution";

    public static readonly Depthwise Instance = new();

    public IEnumerable<string> KernelFiles => [DepthwiseConv3x3Kernels.File, SeparableConv3x3Kernels.File, .. BiasAct.Instance.KernelFiles];

    public bool Supports(FusedStep step, out string reason)
    {
        reason = "";
        if (step is not FusedConv { Conv.IsDepthwise: true } conv)
            return false;
        var c = conv.Conv;
        if (c.Kernel != Size2d.Square(3) || c.Padding != Size2d.Square(1) || c.Stride.Height != c.Stride.Width || conv.Residual is not null)
        {
            reason = $"'{conv.Module}': the CUDA backend's depthwise kernel takes 3×3 filters, padding 1, equal strides and no residual.";
            return false;
        }
        return true;
    }

    /// <summary>Filters [C, 3, 3] as PyTorch holds them: our kernels read them so, and in KRSC ([C, 3, 3, 1]) they are cuDNN's too.</summary>
    public void AddWeights(FusedStep step, DeviceWeights.Packer weights)
    {
        var conv = (FusedConv)step;
        weights.Filter(step, conv.Weight);
        weights.Bias(step, conv.Bias);
    }

    public void Lower(LoweringContext context, FusedStep step)
    {
        var conv = (FusedConv)step;
        Add(context, conv, context.Values.At(conv.Input), context.Values.At(conv.Output));
    }

    /// <summary>
    /// The fastest way to run a depthwise step, measured here on this device and shape among: our plain kernel
    /// (one thread per output), our register-strip kernel (4 outputs along W per thread, stride 1 or 2), its vector
    /// variant (4 channels per load as well, where C is a multiple of 4), our shared-memory tile kernel (each input
    /// read once per 4×8×32 tile), and cuDNN's grouped convolution (groups = channels). cuDNN cannot apply the ReLU on
    /// the input, so its candidate includes a ReLU pass into the plan's scratch buffer and our bias_act kernel after
    /// it. The times and the choice are kept by the <see cref="Autotuner"/> and saved for later processes. Without
    /// measuring, the last of our candidates runs (the tile kernel for strides 1 and 2: the fewest global loads).
    /// </summary>
    public static void Add(LoweringContext context, FusedConv conv, ulong input, ulong output)
    {
        var (x, y) = (CudaOps.Dims(context.Values.Shapes[conv.Input]), CudaOps.Dims(context.Values.Shapes[conv.Output]));
        var weight = context.Weights.WeightOf(conv);
        var bias = context.Weights.BiasOf(conv);
        var stride = conv.Conv.Stride.Height;
        var precision = context.Precision;
        var tuner = context.Tuner;
        var candidates = new List<(string Name, Action Run)>();
        void Ours(DepthwiseVariant variant)
        {
            var launch = DepthwiseConv3x3Kernels.Launch(variant, precision.Storage, input, weight, bias, output,
                x.N, x.C, x.H, x.W, stride, conv.ReluInput, conv.Relu);
            candidates.Add((launch.EntryPoint, context.Launch(launch)));
        }
        Ours(DepthwiseVariant.Plain);
        if (stride <= 2)
        {
            Ours(DepthwiseVariant.Strip);
            // Every arena tensor starts at a multiple of 16 elements, so 4 channels are one aligned vector when C is a multiple of 4.
            if (x.C % 4 == 0)
                Ours(DepthwiseVariant.Vector);
            Ours(DepthwiseVariant.Tile);
        }
        void Choose(string name, Action run, IReadOnlyList<(string, double)> times, string note, string? detail = null)
        {
            tuner.Depthwise.Add(new DepthwiseChoice(conv.Module, $"{x}", stride, times, name, note));
            context.Add($"{conv.Module} {name}{detail}", run);
        }
        var forced = context.Options.Depthwise;
        if (forced is not null && candidates.FindIndex(c => c.Name == forced) is >= 0 and var chosen)
        {
            Choose(forced, candidates[chosen].Run, [], "forced");
            return;
        }
        var search = context.Search;
        if (search is null)
        {
            context.Add($"{conv.Module} {candidates[^1].Name}", candidates[^1].Run);
            return;
        }

        var type = precision.CudnnDataType;
        var xDesc = context.Own(TensorDescriptor.Nhwc(type, x.N, x.C, x.H, x.W));
        // [C, 1, 3, 3] in KRSC is [C, 3, 3, 1]: the same bytes as the depthwise weights we hold.
        var wDesc = context.Own(FilterDescriptor.Create4d(type, cudnnTensorFormat_t.CUDNN_TENSOR_NHWC, x.C, 1, 3, 3));
        var convDesc = context.Own(ConvolutionDescriptor.Create2d(new Convolution2dGeometry(1, 1, stride, stride, Groups: x.C), precision.CudnnMathType, cudnnDataType_t.CUDNN_DATA_FLOAT));
        var yDesc = context.Own(TensorDescriptor.Nhwc(type, y.N, y.C, y.H, y.W));
        var key = $"depthwise {xDesc} stride {stride}, ReLU in {conv.ReluInput}, ReLU out {conv.Relu}, {precision.CudnnMathType}";
        // A forced cuDNN candidate ignores what an earlier run measured, and is not saved for later runs.
        var forceCudnn = forced == CudnnCandidate;
        if (!forceCudnn && tuner.Saved.TryGet<OurKernel>(key, out var ours) && candidates.FindIndex(c => c.Name == ours.EntryPoint) is >= 0 and var index)
        {
            // An earlier run measured one of our kernels fastest: no need to ask cuDNN at all.
            Choose(ours.EntryPoint, candidates[index].Run, [], "measured in an earlier run");
            return;
        }
        var cudnn = context.Cudnn;
        var known = !forceCudnn && tuner.Saved.TryGet<CudnnAlgorithm>(key, out var saved)
            ? tuner.TryReuse(() => ConvolutionPlan.CreateWithAlgorithm(cudnn, xDesc, wDesc, convDesc, yDesc, saved.Algorithm, saved.Math))
            : null;
        ConvolutionPlan? plan = null;
        string cudnnNote;
        try
        {
            plan = known ?? ConvolutionPlan.CreateByMeasurement(cudnn, xDesc, input, wDesc, weight, convDesc, yDesc, output, search.Pointer, (ulong)search.SizeInBytes,
                new ConvolutionPlanOptions { MaxWorkspaceBytes = (ulong)search.SizeInBytes });
            cudnnNote = $"cuDNN {plan.Algorithm}";
        }
        catch (CudaException e)
        {
            cudnnNote = $"cuDNN has no grouped convolution for it: {e.Message}";
        }

        var source = input;
        Action? prologue = null;
        if (conv.ReluInput)
        {
            source = context.Scratch!.Pointer;
            prologue = BiasAct.Prepare(context, x, input, shift: 0, residual: 0, relu: true, source);
        }
        var epilogue = BiasAct.Prepare(context, y, output, bias, residual: 0, conv.Relu, output);
        var workspace = context.Workspace;
        Action CudnnWith(Func<ulong> space, Func<ulong> bytes) => () =>
        {
            prologue?.Invoke();
            plan!.Forward(source, weight, output, space(), bytes());
            epilogue();
        };
        void ChooseCudnn(IReadOnlyList<(string, double)> times, string note)
        {
            Choose(CudnnCandidate, CudnnWith(() => workspace.Pointer, () => workspace.Bytes), times, note, $" {plan!.Algorithm}");
            context.NeedWorkspace(plan.WorkspaceBytes);
        }
        if (known is not null)
        {
            ChooseCudnn([], $"{cudnnNote}, measured in an earlier run");
            return;
        }
        if (forceCudnn && plan is not null)
        {
            ChooseCudnn([], $"{cudnnNote}, forced");
            return;
        }

        var times = candidates.Select(c => (c.Name, Ms: tuner.Time(c.Name, c.Run))).ToList();
        if (plan is not null)
            times.Add((CudnnCandidate, tuner.Time(CudnnCandidate, CudnnWith(() => search.Pointer, () => (ulong)search.SizeInBytes))));
        var best = times.MinBy(t => t.Ms).Name;
        if (best != CudnnCandidate)
        {
            tuner.Saved.Set(key, new OurKernel(best));
            Choose(best, candidates.Single(c => c.Name == best).Run, times, cudnnNote);
            return;
        }
        tuner.Saved.Set(key, new CudnnAlgorithm(plan!.Algorithm, plan.MathType));
        ChooseCudnn(times, cudnnNote);
    }
}
