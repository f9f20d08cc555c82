using CudaGenre.Core;
using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;
using CudaGenre.Cuda.Driver;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda;

/// <summary>
/// Where a CUDA plan's values live. Activations: one arena on the device (NHWC, in the storage type, planned by
/// liveness with <see cref="ArenaPlan"/>, zeroed so that timing runs see finite values). Beside it one FP32 buffer:
/// the batch as it arrives (NCHW), then the classifier head, whose every operand starts 256-byte aligned as
/// cuBLASLt's heuristic assumes by default: the features are copied (FP32) or widened (16-bit) into it out of the
/// arena, whose alignment is only 64 bytes.
/// </summary>
internal sealed class ArenaLayout : IDisposable
{
    private readonly ValueTable _ids;
    // Per value (indexed by ValueId): its offset in the arena, in elements; for a linear layer's output, its offset
    // in the FP32 buffer; for a feature value the head reads, the offset of its FP32 copy there.
    private readonly long[] _offsets;
    private readonly long?[] _head;
    private readonly long?[] _headInputs;
    private readonly bool[] _copied;
    private readonly int _elementBytes;

    public ArenaLayout(CudaContext context, CudaStream stream, FusedGraph graph, IReadOnlyDictionary<string, TensorShape> shapes, int elementBytes)
    {
        (Shapes, _elementBytes, _ids) = (shapes, elementBytes, graph.Values);
        var (plan, offsets) = ArenaPlan.ForGraph(graph, shapes);
        (_offsets, _head, _headInputs, _copied) = (offsets, new long?[_ids.Count], new long?[_ids.Count], new bool[_ids.Count]);
        Arena = context.Allocate<byte>(SizeMath.Multiply(Math.Max(plan.Length, 1), elementBytes));
        try
        {
            Arena.EnqueueFillBytes(0, stream);
            long length = shapes[ModelGraph.InputName].ElementCount; // the NCHW batch, at 0
            long Reserve(long count)
            {
                length = (length + 63) & ~63L;
                var at = length;
                length += count;
                return at;
            }
            foreach (var linear in graph.Steps.OfType<FusedLinear>())
            {
                var (input, output) = (_ids[linear.Input].Index, _ids[linear.Output].Index);
                if (_head[input] is null && _headInputs[input] is null)
                    _headInputs[input] = Reserve(shapes[linear.Input].ElementCount);
                _head[output] = Reserve(shapes[linear.Output].ElementCount);
            }
            if (_head[_ids.Output.Index] is not { } logits)
                throw new NotSupportedException($"The CUDA backend needs the model to end with a linear layer; '{graph.Output}' is not one.");
            LogitsOffset = logits;
            Floats = context.Allocate<float>(length);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Every value's shape at this plan's batch size.</summary>
    public IReadOnlyDictionary<string, TensorShape> Shapes { get; }

    /// <summary>The activations, in the storage type.</summary>
    public DeviceBuffer<byte> Arena { get; }

    /// <summary>The NCHW FP32 input batch (at 0) and the classifier head.</summary>
    public DeviceBuffer<float> Floats { get; } = null!;

    /// <summary>Where the logits start in <see cref="Floats"/>.</summary>
    public long LogitsOffset { get; }

    /// <summary>Device address of activation <paramref name="value"/> in the arena.</summary>
    public ulong At(string value) => Arena.PointerAt(SizeMath.Multiply(_offsets[_ids[value].Index], _elementBytes));

    /// <summary>Device address of the FP32 input batch (NCHW).</summary>
    public ulong Input => Floats.PointerAt(0);

    /// <summary>Device address of a head value (a linear layer's output) in the FP32 buffer.</summary>
    public ulong HeadAt(string value) => Floats.PointerAt(_head[_ids[value].Index] ?? throw new KeyNotFoundException($"'{value}' is not a linear layer's output"));

    /// <summary>
    /// Whether <paramref name="value"/> is an arena value that the head reads from its FP32 copy and the copy is not
    /// made yet; true once per value (the caller then queues the copy).
    /// </summary>
    public bool NeedsHeadCopy(string value)
    {
        var id = _ids[value].Index;
        return _headInputs[id] is not null && !_copied[id] && (_copied[id] = true);
    }

    /// <summary>Device address of a linear layer's FP32 input: another linear layer's output, or the copy of an arena value.</summary>
    public ulong HeadInputAt(string value)
    {
        var id = _ids[value].Index;
        return Floats.PointerAt(_head[id] ?? _headInputs[id] ?? throw new KeyNotFoundException($"'{value}' is not an input of the head"));
    }

    /// <summary>Whether two arena values occupy disjoint memory (a kernel that reads one while writing the other needs them apart).</summary>
    public bool Apart(string a, string b) =>
        _offsets[_ids[a].Index] + Shapes[a].ElementCount <= _offsets[_ids[b].Index] || _offsets[_ids[b].Index] + Shapes[b].ElementCount <= _offsets[_ids[a].Index];

    public void Dispose()
    {
        Floats?.Dispose();
        Arena?.Dispose();
    }
}
