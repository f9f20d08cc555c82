using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;

namespace CudaGenre.Engine.Graph;

/// <summary>A value of a <see cref="FusedGraph"/> by number: an index into per-value arrays (offsets, shapes).</summary>
/// <param name="Index">0 for <see cref="ValueTable.NchwInput"/>, 1 for <see cref="ValueTable.Input"/>, then step outputs in step order.</param>
public readonly record struct ValueId(int Index);

/// <summary>
/// The values of a <see cref="FusedGraph"/>, numbered once: the input batch as it arrives (NCHW, before a backend
/// changes its layout: a slot of its own, with no name in the graph), the input in the backend's layout, and each
/// step's output. Backends keep per-value facts in arrays indexed by <see cref="ValueId"/>; names stay for messages.
/// </summary>
public sealed class ValueTable
{
    private readonly string[] _names;
    private readonly Dictionary<string, ValueId> _ids = new(StringComparer.Ordinal);

    /// <summary>The batch as it arrives, NCHW FP32, before step 0 turns it into the backend's layout.</summary>
    public static ValueId NchwInput { get; } = new(0);

    /// <summary>The input in the backend's layout (the graph's <see cref="ModelGraph.InputName"/>).</summary>
    public static ValueId Input { get; } = new(1);

    internal ValueTable(FusedGraph graph)
    {
        var names = new List<string> { "input (NCHW, as it arrives)", ModelGraph.InputName };
        _ids[ModelGraph.InputName] = Input;
        foreach (var step in graph.Steps)
        {
            if (!_ids.TryAdd(step.Output, new ValueId(names.Count)))
                throw new ArgumentException($"'{step.Module}' writes '{step.Output}', which an earlier step already wrote: every value is written once.", nameof(graph));
            names.Add(step.Output);
        }
        _names = [.. names];
        Output = this[graph.Output];
    }

    /// <summary>How many values (the length of a per-value array).</summary>
    public int Count => _names.Length;

    /// <summary>The logits.</summary>
    public ValueId Output { get; }

    /// <summary>The id of the value named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No step writes a value of that name.</exception>
    public ValueId this[string name] =>
        _ids.TryGetValue(name, out var id) ? id : throw new KeyNotFoundException($"the graph has no value named '{name}'");

    /// <summary>The value's name in the graph (for messages).</summary>
    public string NameOf(ValueId id) => _names[id.Index];

    /// <summary>The value's element count at a batch size (the NCHW input has the input's).</summary>
    public long ElementCount(ValueId id, IReadOnlyDictionary<string, TensorShape> shapes) =>
        shapes[_names[(id == NchwInput ? Input : id).Index]].ElementCount;
}
