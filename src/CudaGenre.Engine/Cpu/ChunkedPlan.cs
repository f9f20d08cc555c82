namespace CudaGenre.Engine.Cpu;

/// <summary>
/// A CPU plan for a large batch that runs it a few items at a time on a smaller plan. Layer by layer over a whole
/// batch, a model whose activations dwarf its weights (the CNN: 4 MB after its first convolution per image, 0.4 MB
/// of weights) streams every activation through memory: batch 16 of the CNN took 4.3 ms per image against 3.1 ms at
/// batch 1 (one thread). Run item by item, the activations stay in cache and the small weights are read again from
/// cache. Models with large weights (ResNets, Xception) are better batched: their weights then come from memory once
/// per batch. Every item's result is independent of the batch it runs in, so the logits are bit-identical either way.
/// </summary>
internal sealed class ChunkedPlan(CpuPlan chunk, int batchSize) : IExecutionPlan
{
    /// <summary>
    /// The chunk size for <paramref name="graph"/>: 1 when its weights take fewer floats than its largest activation of
    /// one item (activation traffic dominates), else 0 (run the batch whole).
    /// </summary>
    public static int ChunkFor(Graph.FusedGraph graph)
    {
        var perItem = graph.InferShapes(1).Values.Max(shape => shape.ElementCount);
        long weights = 0;
        foreach (var step in graph.Steps)
        {
            weights += step switch
            {
                Graph.FusedConv conv => conv.Weight.Length,
                Graph.FusedLinear linear => linear.Weight.Length,
                _ => 0,
            };
        }
        return weights < perItem ? 1 : 0;
    }

    /// <inheritdoc/>
    public int BatchSize { get; } = batchSize;

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<float> input, Span<float> logits)
    {
        var n = ExecutionPlans.Items(input.Length, chunk.InputPerItem, BatchSize);
        if (logits.Length < n * chunk.LogitsPerItem)
        {
            throw new ArgumentException($"The logits span holds {logits.Length} floats; {n} items need {n * chunk.LogitsPerItem}.", nameof(logits));
        }
        for (var i = 0; i < n; i += chunk.BatchSize)
        {
            var items = Math.Min(chunk.BatchSize, n - i);
            chunk.Run(input.Slice(i * chunk.InputPerItem, items * chunk.InputPerItem), logits.Slice(i * chunk.LogitsPerItem, items * chunk.LogitsPerItem));
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Describe() =>
        [$"batch of up to {BatchSize} run {chunk.BatchSize} item(s) at a time (activations stay in cache; weights are small)", .. chunk.Describe()];

    /// <inheritdoc/>
    public void Dispose() => chunk.Dispose();
}
