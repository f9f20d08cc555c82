using CudaGenre.Core.Tensors;

namespace CudaGenre.Core.Models;

/// <summary>
/// Seeded random weights for any architecture, without a trainer: for benchmarks (speed does not depend on the
/// values) and for comparing backends with each other. Convolution and linear weights are scaled to keep unit
/// variance through a layer (uniform, ±√(3 / fan-in)); BatchNorm gets random statistics (γ and σ² in
/// [0.5, 1.5), β and μ in ±0.2), so folding BatchNorm is exercised; biases are in ±0.2.
/// </summary>
public static class RandomWeights
{
    /// <summary>Every float tensor of <paramref name="graph"/>'s state_dict, by name (the I64 batch counters are left out).</summary>
    public static Dictionary<string, float[]> Create(ModelGraph graph, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var random = new SeededRandom(seed);
        var weights = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var entry in graph.StateDict.Where(e => e.Role != StateRole.NumBatchesTracked))
        {
            var shape = entry.Shape.Dims;
            var values = new float[entry.Shape.ElementCount];
            var fanIn = shape.Count > 1 ? values.Length / shape[0] : 1;
            for (var i = 0; i < values.Length; i++)
            {
                var u = random.NextDouble();
                values[i] = (float)(entry.Role switch
                {
                    StateRole.Weight when shape.Count == 1 => 0.5 + u,        // BN γ
                    StateRole.Weight => (2 * u - 1) * Math.Sqrt(3.0 / fanIn), // unit variance out
                    StateRole.RunningVar => 0.5 + u,
                    _ => 0.2 * (2 * u - 1),                                   // biases, BN β and μ
                });
            }
            weights[entry.Name] = values;
        }
        return weights;
    }

    /// <summary>Writes a model file of <paramref name="spec"/> with seeded random weights; returns the weights.</summary>
    public static Dictionary<string, float[]> WriteModel(string path, ModelSpec spec, ulong seed)
    {
        var weights = Create(ModelGraph.Build(spec), seed);
        WriteModel(path, spec, weights);
        return weights;
    }

    /// <summary>Writes a model file of <paramref name="spec"/> with the given <paramref name="weights"/> (one per state-dict entry; the BatchNorm step counters are written as 100).</summary>
    public static void WriteModel(string path, ModelSpec spec, IReadOnlyDictionary<string, float[]> weights)
    {
        var writer = new SafetensorsWriter();
        foreach (var entry in ModelGraph.Build(spec).StateDict)
        {
            if (entry.Role == StateRole.NumBatchesTracked)
                writer.Add(entry.Name, TensorShape.Scalar, [100L]);
            else
                writer.Add(entry.Name, entry.Shape, weights[entry.Name]);
        }
        ModelFile.Write(path, spec, writer);
    }
}
