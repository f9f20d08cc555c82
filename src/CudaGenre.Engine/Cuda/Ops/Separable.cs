using CudaGenre.Core.Models;
using CudaGenre.Cuda.Kernels.Launchers;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda.Ops;

/// <summary>
/// Xception's separable convolution (ReLU → depthwise 3×3 → 1×1 convolution), lowered as a pair: as its two steps
/// (<see cref="Depthwise"/>'s choice, then <see cref="Convolution"/>'s), or as one <c>separable_conv3x3.cu</c> kernel
/// whose depthwise values never leave the chip, whichever is faster here. Not an op of its own in the graph: the
/// plan lowers each pair it finds (<see cref="Pairs"/>) here instead of step by step.
/// </summary>
internal static class Separable
{
    private const string TwoStepsName = "depthwise, then 1×1 convolution";

    /// <summary>
    /// The 1×1 convolution right after depthwise step <paramref name="index"/> that alone reads the depthwise output
    /// (Xception's separable convolution: ReLU → depthwise → pointwise), or null.
    /// </summary>
    internal static FusedConv? PointwiseAfter(FusedGraph graph, int index)
    {
        var depthwise = (FusedConv)graph.Steps[index];
        if (index + 1 >= graph.Steps.Count || graph.Steps[index + 1] is not FusedConv next)
            return null;
        var c = next.Conv;
        var pointwise = c.Kernel == Size2d.Square(1) && c.Stride == Size2d.Square(1) && c.Padding == Size2d.Square(0) && c.Groups == 1 && !next.ReluInput;
        var onlyReader = graph.Output != depthwise.Output && graph.Steps.Count(s => s.Inputs.Contains(depthwise.Output)) == 1;
        return pointwise && onlyReader && next.Input == depthwise.Output && next.Residual != depthwise.Output ? next : null;
    }

    /// <summary>Every separable pair of <paramref name="graph"/>: its depthwise step → its pointwise step (<see cref="PointwiseAfter"/>).</summary>
    internal static Dictionary<FusedStep, FusedConv> Pairs(FusedGraph graph)
    {
        var pairs = new Dictionary<FusedStep, FusedConv>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < graph.Steps.Count; i++)
        {
            if (graph.Steps[i] is FusedConv { Conv.IsDepthwise: true } depthwise && PointwiseAfter(graph, i) is { } pointwise)
                pairs[depthwise] = pointwise;
        }
        return pairs;
    }

    /// <summary>
    /// Times the two paths on the plan's stream (<see cref="CudaOptions.Separable"/> may force either), keeps the
    /// times and the choice in the <see cref="Autotuner"/> and saves the choice for later processes. Without
    /// measuring, the two steps run: cuDNN's tensor-core 1×1 convolutions usually win in 16-bit. The fused kernel
    /// cannot write over its input, so where the arena put the output over the input only the two steps run.
    /// </summary>
    public static void Add(LoweringContext context, FusedConv depthwise, FusedConv pointwise)
    {
        var values = context.Values;
        var (input, between, output) = (values.At(depthwise.Input), values.At(depthwise.Output), values.At(pointwise.Output));
        var residual = pointwise.Residual is null ? 0 : values.At(pointwise.Residual);
        var (x, y) = (CudaOps.Dims(values.Shapes[depthwise.Input]), CudaOps.Dims(values.Shapes[pointwise.Output]));
        // The fused kernel reads x while it writes y; the arena may have put y over x (x dies at the depthwise step).
        var apart = values.Apart(depthwise.Input, pointwise.Output);
        var stride = depthwise.Conv.Stride.Height;
        var weights = context.Weights;
        var launch = SeparableConv3x3Kernels.Launch(context.Precision.Storage, input, weights.WeightOf(depthwise), weights.BiasOf(depthwise),
            weights.WeightOf(pointwise), weights.BiasOf(pointwise), residual, output, x.N, x.C, x.H, x.W, y.C, stride,
            depthwise.ReluInput, depthwise.Relu, pointwise.Relu);
        var entry = launch.EntryPoint;
        var fused = context.Launch(launch);
        var fusedName = $"{depthwise.Module} + {pointwise.Module} {entry}{(residual != 0 ? " +residual" : "")}{(pointwise.Relu ? " +ReLU" : "")}";
        var module = $"{depthwise.Module} + {pointwise.Module}";
        var shape = $"{x.N}×{x.C}×{x.H}×{x.W} → {y.C}";
        var tuner = context.Tuner;
        void Record(IReadOnlyList<(string, double)> times, string chosen, string note) =>
            tuner.Separable.Add(new DepthwiseChoice(module, shape, stride, times, chosen, note));

        var mode = context.Options.Separable;
        if (!apart && mode == SeparablePath.Fused)
            context.Log($"'{module}': the output shares memory with the input, so the fused separable kernel cannot run; two steps run.");
        if (apart && mode == SeparablePath.Fused)
        {
            context.Add(fusedName, fused);
            Record([], entry, "forced");
            return;
        }

        var key = $"separable {shape} stride {stride}, ReLU in {depthwise.ReluInput} mid {depthwise.Relu} out {pointwise.Relu}, residual {residual != 0}, {context.Precision.CudnnDataType}, {context.Precision.CudnnMathType}";
        var measure = apart && mode == SeparablePath.Fastest && context.Search is not null;
        TunedChoice? saved = measure && tuner.Saved.TryGet<TunedChoice>(key, out var found) ? found : null;
        if (saved == new OurKernel(entry))
        {
            context.Add(fusedName, fused);
            Record([], entry, "measured in an earlier run");
            return;
        }

        var (start, needBefore) = (context.Steps.Count, context.WorkspaceNeed);
        Depthwise.Add(context, depthwise, input, between);
        Convolution.Add(context, pointwise, between, residual, output);
        if (!measure || saved is not null)
        {
            Record([], TwoStepsName, saved is not null ? "measured in an earlier run" : !apart ? "output over input in the arena" : mode == SeparablePath.Split ? "forced" : "not measured");
            return;
        }
        var split = context.Steps.GetRange(start, context.Steps.Count - start).Select(s => s.Enqueue).ToArray();
        var times = new List<(string Name, double Ms)>
        {
            (TwoStepsName, tuner.Time(TwoStepsName, () =>
            {
                foreach (var run in split)
                    run();
            })),
            (entry, tuner.Time(entry, fused)),
        };
        var best = times.MinBy(t => t.Ms).Name;
        Record(times, best, "depthwise values kept on chip vs stored and read back");
        tuner.Saved.Set(key, best == TwoStepsName ? new TwoSteps() : new OurKernel(entry));
        if (best == TwoStepsName)
            return;
        // The fused kernel won: the two steps go, and so does the workspace they needed.
        context.Steps.RemoveRange(start, context.Steps.Count - start);
        context.ResetWorkspaceNeed(needBefore);
        context.Add(fusedName, fused);
    }
}
