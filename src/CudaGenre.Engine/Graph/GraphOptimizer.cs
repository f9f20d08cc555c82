using CudaGenre.Core.Models;

namespace CudaGenre.Engine.Graph;

/// <summary>
/// Turns a <see cref="ModelGraph"/> plus its weights into a <see cref="FusedGraph"/> by load-time
/// rewrites, each of which leaves the eval-mode function unchanged:
/// <list type="number">
/// <item>BatchNorm after a convolution → folded into its weights and bias (computed in double).</item>
/// <item>Dropout → removed (identity in eval mode); Flatten after global pooling → removed (same bytes).</item>
/// <item>Add of a convolution's output (read by nothing else) and an earlier value → the convolution's residual
/// epilogue; the convolution moves to the add's place so the other operand is ready.</item>
/// <item>ReLU → the epilogue of the convolution or linear layer before it when that output has no other reader;
/// otherwise the prologue of the depthwise convolutions that read it.</item>
/// </list>
/// </summary>
public static class GraphOptimizer
{
    /// <summary>Optimizes <paramref name="graph"/>.</summary>
    /// <param name="graph">The architecture.</param>
    /// <param name="weights">Returns a state_dict tensor as float32 by name (the file has already been checked against the graph).</param>
    public static FusedGraph Optimize(ModelGraph graph, Func<string, float[]> weights)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(weights);
        var steps = new List<FusedStep>();
        var alias = new Dictionary<string, string>(StringComparer.Ordinal); // removed value → the value it equals
        string Resolve(string name) => alias.TryGetValue(name, out var target) ? target : name;

        foreach (var node in graph.Nodes)
        {
            var inputs = node.Inputs.Select(Resolve).ToArray();
            switch (node)
            {
                case Conv2dNode conv:
                    steps.Add(new FusedConv(conv.Module, inputs, conv.Output, conv, weights($"{conv.Module}.weight"),
                        conv.HasBias ? weights($"{conv.Module}.bias") : new float[conv.OutChannels], ReluInput: false, Relu: false));
                    break;
                case BatchNorm2dNode bn:
                    var index = steps.FindLastIndex(s => s.Output == inputs[0]);
                    if (index < 0 || steps[index] is not FusedConv before || before.Relu || before.Residual is not null || Readers(graph, inputs[0]) > 1)
                    {
                        throw new NotSupportedException($"BatchNorm2d '{bn.Module}' does not directly follow a convolution whose output only it reads; the engine folds every BatchNorm into a convolution.");
                    }
                    steps[index] = FoldBatchNorm(before, bn, weights);
                    break;
                case LinearNode linear:
                    steps.Add(new FusedLinear(linear.Module, inputs, linear.Output, linear,
                        weights($"{linear.Module}.weight"), weights($"{linear.Module}.bias"), Relu: false));
                    break;
                case MaxPool2dNode pool:
                    steps.Add(new MaxPoolStep(pool.Module, inputs, pool.Output, pool));
                    break;
                case GlobalAvgPoolNode gap:
                    steps.Add(new GlobalAvgPoolStep(gap.Module, inputs, gap.Output));
                    break;
                case FlattenNode flatten when steps.Count > 0 && steps[^1] is GlobalAvgPoolStep last && last.Output == inputs[0] && Readers(graph, node.Input) == 1:
                    steps[^1] = last with { Output = flatten.Output };
                    break;
                case FlattenNode flatten:
                    steps.Add(new FlattenStep(flatten.Module, inputs, flatten.Output));
                    break;
                case DropoutNode dropout:
                    alias[dropout.Output] = inputs[0];
                    break;
                case AddNode add:
                    steps.Add(new AddStep(add.Module, inputs, add.Output, Relu: false));
                    break;
                case ReluNode relu:
                    steps.Add(new ReluStep(relu.Module, inputs, relu.Output));
                    break;
                default:
                    throw new NotSupportedException($"The engine has no implementation of {node.Kind} ('{node.Module}').");
            }
        }

        FuseResidualAdds(steps);
        FuseRelus(steps);
        return new FusedGraph(graph, steps, Resolve(graph.Output));
    }

    private static int Readers(ModelGraph graph, string value) => graph.Nodes.Count(n => n.Inputs.Contains(value));

    private static int Readers(List<FusedStep> steps, string value) => steps.Count(s => s.Inputs.Contains(value));

    /// <summary>BN(conv(x)) = conv'(x): W' = W·γ/√(σ²+ε) per output channel, b' = (b − μ)·γ/√(σ²+ε) + β.</summary>
    private static FusedConv FoldBatchNorm(FusedConv conv, BatchNorm2dNode bn, Func<string, float[]> weights)
    {
        var gamma = weights($"{bn.Module}.weight");
        var beta = weights($"{bn.Module}.bias");
        var mean = weights($"{bn.Module}.running_mean");
        var variance = weights($"{bn.Module}.running_var");
        var weight = (float[])conv.Weight.Clone();
        var bias = new float[conv.Bias.Length];
        var perOutput = weight.Length / bias.Length;
        for (var o = 0; o < bias.Length; o++)
        {
            var scale = gamma[o] / Math.Sqrt(variance[o] + bn.Epsilon);
            for (var i = o * perOutput; i < (o + 1) * perOutput; i++)
            {
                weight[i] = (float)(conv.Weight[i] * scale);
            }
            bias[o] = (float)(((conv.Bias[o] - mean[o]) * scale) + beta[o]);
        }
        return conv with { Output = bn.Output, Weight = weight, Bias = bias };
    }

    private static void FuseResidualAdds(List<FusedStep> steps)
    {
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i] is not AddStep add)
            {
                continue;
            }
            // The convolution operand produced last wins; the other operand is then already computed.
            var candidate = steps.Take(i)
                .Select((step, index) => (step, index))
                .Where(p => p.step is FusedConv { Residual: null, Relu: false } && add.Inputs.Contains(p.step.Output) && Readers(steps, p.step.Output) == 1)
                .Select(p => ((FusedConv)p.step, p.index))
                .LastOrDefault();
            if (candidate.Item1 is not { } conv)
            {
                continue;
            }
            var other = add.Inputs[0] == conv.Output ? add.Inputs[1] : add.Inputs[0];
            if (other == conv.Output)
            {
                continue; // x + x: not a residual
            }
            steps[i] = conv with { Inputs = [conv.Input, other], Output = add.Output };
            steps.RemoveAt(candidate.index); // the convolution now runs where the add was
            i--;
        }
    }

    private static void FuseRelus(List<FusedStep> steps)
    {
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i] is not ReluStep relu)
            {
                continue;
            }
            var producer = steps.FindLastIndex(i, s => s.Output == relu.Input);
            if (producer >= 0 && Readers(steps, relu.Input) == 1 && steps[producer] switch
            {
                FusedConv { Relu: false } conv => Replace(steps, producer, conv with { Output = relu.Output, Relu = true }),
                FusedLinear { Relu: false } linear => Replace(steps, producer, linear with { Output = relu.Output, Relu = true }),
                AddStep { Relu: false } add => Replace(steps, producer, add with { Output = relu.Output, Relu = true }),
                _ => false,
            })
            {
                steps.RemoveAt(i--);
                continue;
            }

            var readers = steps.Select((s, index) => (s, index)).Where(p => p.s.Inputs.Contains(relu.Output)).ToList();
            if (readers.Count > 0 && readers.All(p => p.s is FusedConv { ReluInput: false } c && c.Conv.IsDepthwise && c.Input == relu.Output && c.Residual != relu.Output))
            {
                foreach (var (step, index) in readers)
                {
                    var conv = (FusedConv)step;
                    steps[index] = conv with { Inputs = [relu.Input, .. conv.Inputs.Skip(1)], ReluInput = true };
                }
                steps.RemoveAt(i--);
            }
        }
    }

    private static bool Replace(List<FusedStep> steps, int index, FusedStep step)
    {
        steps[index] = step;
        return true;
    }
}
