namespace CudaGenre.Engine;

/// <summary>
/// Places every intermediate tensor of one forward pass in a single arena, reusing space once a tensor
/// is dead. A tensor is live from the step that writes it to the last step that reads it, inclusive, so
/// a step's output never shares memory with its own inputs (fused residual reads stay safe). Placement is
/// greedy, largest tensors first, each at the lowest offset that does not overlap a tensor live at the
/// same time — the usual approach of inference runtimes, within a few percent of optimal on CNNs.
/// </summary>
public sealed class ArenaPlan
{
    /// <summary>Offsets are multiples of this many elements (64 bytes for float: one cache line, full vectors).</summary>
    public const int Alignment = 16;

    private ArenaPlan(long[] offsets, long length)
    {
        Offsets = offsets;
        Length = length;
    }

    /// <summary>Element offset of each tensor, in the order given to <see cref="Create"/>.</summary>
    public IReadOnlyList<long> Offsets { get; }

    /// <summary>Arena length in elements.</summary>
    public long Length { get; }

    /// <summary>
    /// Plans the arena of one forward pass of <paramref name="graph"/>: step 0 turns the NCHW input
    /// (<see cref="Graph.ValueTable.NchwInput"/>) into the backend's layout (<see cref="Graph.ValueTable.Input"/>),
    /// step i + 1 is graph step i, and the graph's output stays live to the end (it is read back after the last step).
    /// </summary>
    /// <param name="graph">The graph.</param>
    /// <param name="shapes">Every value's shape at the plan's batch size.</param>
    /// <param name="runInsideNext">Steps that the backend computes inside the next step's op (the CPU's depthwise
    /// convolutions fused into the following 1×1 convolution): their inputs stay live through that op, and their
    /// outputs get no room.</param>
    /// <param name="readsNchwInput">The input's only reader when it reads the NCHW input where it is (the CPU's direct
    /// first-layer convolution): step 0 then does nothing, the NCHW input stays live through that step, and the
    /// backend-layout input gets no room.</param>
    /// <returns>The plan and each value's element offset, indexed by <see cref="Graph.ValueId"/>.</returns>
    internal static (ArenaPlan Plan, long[] Offsets) ForGraph(Graph.FusedGraph graph, IReadOnlyDictionary<string, Core.Tensors.TensorShape> shapes,
        IReadOnlySet<Graph.FusedStep>? runInsideNext = null, Graph.FusedStep? readsNchwInput = null)
    {
        var values = graph.Values;
        var first = new int[values.Count];
        var last = new int[values.Count];
        var unwritten = new bool[values.Count];
        for (var i = 0; i < graph.Steps.Count; i++)
        {
            var step = graph.Steps[i];
            // A step computed inside the next one's op is read during that op, and its own output is never stored.
            var inside = runInsideNext?.Contains(step) == true;
            foreach (var read in step.Inputs)
            {
                last[values[read].Index] = Math.Max(last[values[read].Index], inside ? i + 2 : i + 1);
            }
            var output = values[step.Output].Index;
            first[output] = last[output] = i + 1;
            unwritten[output] = inside;
        }
        last[values.Output.Index] = graph.Steps.Count + 1;
        if (readsNchwInput is not null)
        {
            var input = Graph.ValueTable.Input.Index;
            if (graph.Steps.Count(s => s.Inputs.Contains(Core.Models.ModelGraph.InputName)) != 1 || !readsNchwInput.Inputs.Contains(Core.Models.ModelGraph.InputName))
            {
                throw new ArgumentException($"'{readsNchwInput.Module}' is not the input's only reader.", nameof(readsNchwInput));
            }
            last[Graph.ValueTable.NchwInput.Index] = last[input];
            unwritten[input] = true;
        }
        var plan = Create([.. Enumerable.Range(0, values.Count).Select(i => (unwritten[i] ? 0 : values.ElementCount(new(i), shapes), first[i], last[i]))]);
        return (plan, [.. plan.Offsets]);
    }

    /// <summary>Plans the arena.</summary>
    /// <param name="tensors">For each tensor: its element count and the first and last step (inclusive) that use it.</param>
    public static ArenaPlan Create(IReadOnlyList<(long Length, int FirstStep, int LastStep)> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        for (var i = 0; i < tensors.Count; i++)
        {
            var (length, first, last) = tensors[i];
            if (length < 0 || last < first)
            {
                throw new ArgumentException($"tensor {i} has length {length} and steps {first}..{last}: length must be ≥ 0 and last ≥ first.", nameof(tensors));
            }
        }

        var order = Enumerable.Range(0, tensors.Count)
            .OrderByDescending(i => tensors[i].Length).ThenBy(i => tensors[i].FirstStep).ThenBy(i => i).ToArray();
        var offsets = new long[tensors.Count];
        var placed = new List<int>(tensors.Count);
        long arena = 0;
        foreach (var i in order)
        {
            var size = RoundUp(tensors[i].Length);
            var overlapping = placed
                .Where(j => tensors[j].FirstStep <= tensors[i].LastStep && tensors[i].FirstStep <= tensors[j].LastStep)
                .OrderBy(j => offsets[j]);
            long candidate = 0;
            foreach (var j in overlapping)
            {
                if (candidate + size <= offsets[j])
                {
                    break; // fits in the gap below tensor j
                }
                candidate = Math.Max(candidate, Core.SizeMath.Add(offsets[j], RoundUp(tensors[j].Length)));
            }
            offsets[i] = candidate;
            placed.Add(i);
            arena = Math.Max(arena, Core.SizeMath.Add(candidate, size));
        }
        return new ArenaPlan(offsets, arena);
    }

    private static long RoundUp(long length) => checked((length + Alignment - 1) / Alignment * Alignment);
}
