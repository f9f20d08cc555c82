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
    private readonly IReadOnlyDictionary<string, long> _offsets;
    private readonly Dictionary<string, long> _head = new(StringComparer.Ordinal);
    // The head's FP32 copy of a feature value that lives in the arena (the linear layer's input).
    private readonly Dictionary<string, long> _headInputs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _copied = new(StringComparer.Ordinal);
    private readonly int _elementBytes;

    public ArenaLayout(CudaContext context, CudaStream stream, FusedGraph graph, IReadOnlyDictionary<string, TensorShape> shapes, int elementBytes)
    {
        (Shapes, _elementBytes) = (shapes, elementBytes);
        var (plan, offsets) = ArenaPlan.ForGraph(graph, shapes);
        _offsets = offsets;
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
                if (!_head.ContainsKey(linear.Input) && !_headInputs.ContainsKey(linear.Input))
                    _headInputs[linear.Input] = Reserve(shapes[linear.Input].ElementCount);
                _head[linear.Output] = Reserve(shapes[linear.Output].ElementCount);
            }
            if (!_head.TryGetValue(graph.Output, out var logits))
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
    public ulong At(string value) => Arena.PointerAt(SizeMath.Multiply(_offsets[value], _elementBytes));

    /// <summary>Device address of the FP32 input batch (NCHW).</summary>
    public ulong Input => Floats.PointerAt(0);

    /// <summary>Device address of a head value (a linear layer's output) in the FP32 buffer.</summary>
    public ulong HeadAt(string value) => Floats.PointerAt(_head[value]);

    /// <summary>
    /// Whether <paramref name="value"/> is an arena value that the head reads from its FP32 copy and the copy is not
    /// made yet; true once per value (the caller then queues the copy).
    /// </summary>
    public bool NeedsHeadCopy(string value) => _headInputs.ContainsKey(value) && _copied.Add(value);

    /// <summary>Device address of a linear layer's FP32 input: another linear layer's output, or the copy of an arena value.</summary>
    public ulong HeadInputAt(string value) => _head.TryGetValue(value, out var at) ? Floats.PointerAt(at) : Floats.PointerAt(_headInputs[value]);

    /// <summary>Whether two arena values occupy disjoint memory (a kernel that reads one while writing the other needs them apart).</summary>
    public bool Apart(string a, string b) =>
        _offsets[a] + Shapes[a].ElementCount <= _offsets[b] || _offsets[b] + Shapes[b].ElementCount <= _offsets[a];

    public void Dispose()
    {
        Floats?.Dispose();
        Arena?.Dispose();
    }
}
