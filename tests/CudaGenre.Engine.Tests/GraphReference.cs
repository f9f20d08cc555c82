using CudaGenre.Core.Models;

namespace CudaGenre.Engine.Tests;

/// <summary>
/// An independent, unoptimized interpreter of a <see cref="ModelGraph"/>: NCHW, every node as written
/// (BatchNorm, ReLU and Add unfused), sums in double — the engine's reference where TorchSharp is not needed.
/// Also makes seeded random weights with a sane scale and randomized BatchNorm statistics, so folding is exercised.
/// </summary>
internal static class GraphReference
{
    public static Dictionary<string, float[]> RandomWeights(ModelGraph graph, ulong seed) => Core.Models.RandomWeights.Create(graph, seed);

    public static float[] Run(ModelGraph graph, Dictionary<string, float[]> w, float[] input, int batch)
    {
        var shapes = graph.InferShapes(batch);
        var values = new Dictionary<string, float[]>(StringComparer.Ordinal) { [ModelGraph.InputName] = input };
        foreach (var node in graph.Nodes)
        {
            var x = values[node.Input];
            var s = shapes[node.Input];
            values[node.Output] = node switch
            {
                Conv2dNode c => TensorReference.Conv2dNchw(x, batch, c.InChannels, s[2], s[3], w[$"{c.Module}.weight"], c.OutChannels,
                    c.Kernel.Height, c.Kernel.Width, c.Stride.Height, c.Padding.Height, c.Groups, c.HasBias ? w[$"{c.Module}.bias"] : null, out _, out _),
                BatchNorm2dNode bn => BatchNorm(x, s, w, bn),
                ReluNode => [.. x.Select(v => Math.Max(v, 0f))],
                MaxPool2dNode p => TensorReference.MaxPoolNchw(x, batch, s[1], s[2], s[3], p.Kernel.Height, p.Stride.Height, p.Padding.Height, out _, out _),
                GlobalAvgPoolNode => GlobalAverage(x, s),
                FlattenNode or DropoutNode => x,
                LinearNode l => Linear(x, batch, w[$"{l.Module}.weight"], w[$"{l.Module}.bias"], l.InFeatures, l.OutFeatures),
                AddNode a => [.. x.Zip(values[a.Right], (p, q) => p + q)],
                _ => throw new NotSupportedException(node.Kind.ToString()),
            };
        }
        return values[graph.Output];
    }

    private static float[] BatchNorm(float[] x, Core.Tensors.TensorShape s, Dictionary<string, float[]> w, BatchNorm2dNode bn)
    {
        var plane = s[2] * s[3];
        var y = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var c = i / plane % s[1];
            y[i] = (float)((x[i] - (double)w[$"{bn.Module}.running_mean"][c]) / Math.Sqrt(w[$"{bn.Module}.running_var"][c] + bn.Epsilon)
                * w[$"{bn.Module}.weight"][c] + w[$"{bn.Module}.bias"][c]);
        }
        return y;
    }

    private static float[] GlobalAverage(float[] x, Core.Tensors.TensorShape s)
    {
        var plane = s[2] * s[3];
        return [.. Enumerable.Range(0, s[0] * s[1]).Select(p => (float)x.AsSpan(p * plane, plane).ToArray().Average(v => (double)v))];
    }

    private static float[] Linear(float[] x, int batch, float[] weight, float[] bias, int inputs, int outputs)
    {
        var y = new float[batch * outputs];
        for (var n = 0; n < batch; n++)
        {
            for (var o = 0; o < outputs; o++)
            {
                double sum = bias[o];
                for (var i = 0; i < inputs; i++)
                {
                    sum += (double)x[n * inputs + i] * weight[o * inputs + i];
                }
                y[n * outputs + o] = (float)sum;
            }
        }
        return y;
    }
}
