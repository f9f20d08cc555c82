using System.Text;

namespace CudaGenre.Trainer.Convert;

/// <summary>A float32 tensor of an ONNX graph (an initializer or a <c>Constant</c> node's value).</summary>
/// <param name="Name">Its name in the graph.</param>
/// <param name="Dims">Its shape.</param>
/// <param name="Values">Its values, row-major.</param>
internal sealed record OnnxTensor(string Name, long[] Dims, float[] Values)
{
    /// <summary>The shape as "[64, 3, 7, 7]".</summary>
    public string ShapeText => $"[{string.Join(", ", Dims)}]";
}

/// <summary>One operator of an ONNX graph.</summary>
/// <param name="OpType">E.g. <c>Conv</c>, <c>BatchNormalization</c>.</param>
/// <param name="Name">The node's name (may be empty).</param>
/// <param name="Inputs">Input value names, in order.</param>
/// <param name="Outputs">Output value names.</param>
/// <param name="Ints">Integer and integer-list attributes (e.g. strides, pads, kernel_shape).</param>
/// <param name="Floats">Float attributes (e.g. epsilon).</param>
internal sealed record OnnxNode(
    string OpType,
    string Name,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, long[]> Ints,
    IReadOnlyDictionary<string, float> Floats);

/// <summary>
/// The parts of an ONNX model file needed to take its weights: nodes in graph order and float32 tensors
/// (initializers and <c>Constant</c> values). A minimal protobuf reader of the fields of <c>onnx.proto</c>
/// used here (ModelProto.graph = 7; GraphProto.node = 1, initializer = 5, input = 11, output = 12;
/// NodeProto.input = 1, output = 2, name = 3, op_type = 4, attribute = 5; AttributeProto.name = 1,
/// f = 2, i = 3, t = 5, floats = 7, ints = 8; TensorProto.dims = 1, data_type = 2, float_data = 4,
/// name = 8, raw_data = 9), so no protobuf package is needed.
/// </summary>
internal sealed class OnnxModel
{
    private const int FloatType = 1;

    private OnnxModel(IReadOnlyList<OnnxNode> nodes, IReadOnlyDictionary<string, OnnxTensor> tensors, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs)
    {
        Nodes = nodes;
        Tensors = tensors;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>The operators in graph (topological) order.</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>Float tensors by name: initializers and <c>Constant</c> node outputs.</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Tensors { get; }

    /// <summary>Graph input names (initializers excluded).</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Graph output names.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>Reads the ONNX file at <paramref name="path"/>.</summary>
    /// <exception cref="Core.DataFileException">The file is missing, truncated or not an ONNX model.</exception>
    public static OnnxModel Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Core.DataFileException(path, $"cannot be read ({e.Message})", e);
        }

        try
        {
            return Parse(bytes);
        }
        catch (FormatException e)
        {
            throw new Core.DataFileException(path, $"not a readable ONNX model: {e.Message}", e);
        }
    }

    /// <summary>Parses an ONNX model held in memory.</summary>
    /// <exception cref="FormatException">The bytes are not a well-formed ONNX model.</exception>
    public static OnnxModel Parse(byte[] bytes)
    {
        ReadOnlyMemory<byte>? graph = null;
        foreach (var field in new ProtoReader(bytes))
        {
            if (field.Number == 7 && field.WireType == 2)
                graph = field.Bytes;
        }

        if (graph is null)
            throw new FormatException("no graph (ModelProto field 7) found");
        var nodes = new List<OnnxNode>();
        var tensors = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var inputs = new List<string>();
        var outputs = new List<string>();
        foreach (var field in new ProtoReader(graph.Value))
        {
            switch (field.Number)
            {
                case 1 when field.WireType == 2:
                    var node = ParseNode(field.Bytes, out var constant);
                    nodes.Add(node);
                    if (constant is not null && node.Outputs.Count == 1)
                        tensors[node.Outputs[0]] = constant with { Name = node.Outputs[0] };
                    break;
                case 5 when field.WireType == 2:
                    var tensor = ParseTensor(field.Bytes);
                    if (tensor is not null)
                        tensors[tensor.Name] = tensor;
                    break;
                case 11 when field.WireType == 2:
                    inputs.Add(ValueInfoName(field.Bytes));
                    break;
                case 12 when field.WireType == 2:
                    outputs.Add(ValueInfoName(field.Bytes));
                    break;
                default:
                    break;
            }
        }

        if (nodes.Count == 0)
            throw new FormatException("the graph has no nodes");
        return new OnnxModel(nodes, tensors, [.. inputs.Where(i => !tensors.ContainsKey(i))], outputs);
    }

    private static OnnxNode ParseNode(ReadOnlyMemory<byte> bytes, out OnnxTensor? constantValue)
    {
        constantValue = null;
        string opType = "", name = "";
        var inputs = new List<string>();
        var outputs = new List<string>();
        var ints = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var floats = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var field in new ProtoReader(bytes))
        {
            switch (field.Number)
            {
                case 1: inputs.Add(field.Text); break;
                case 2: outputs.Add(field.Text); break;
                case 3: name = field.Text; break;
                case 4: opType = field.Text; break;
                case 5:
                    string attributeName = "";
                    var values = new List<long>();
                    float? f = null;
                    OnnxTensor? t = null;
                    foreach (var a in new ProtoReader(field.Bytes))
                    {
                        switch (a.Number)
                        {
                            case 1: attributeName = a.Text; break;
                            case 2: f = BitConverter.Int32BitsToSingle((int)a.Fixed); break;
                            case 3: values.Add((long)a.Varint); break;
                            case 5: t = ParseTensor(a.Bytes); break;
                            case 8 when a.WireType == 0: values.Add((long)a.Varint); break;
                            case 8 when a.WireType == 2: values.AddRange(ProtoReader.PackedVarints(a.Bytes).Select(v => (long)v)); break;
                            default: break;
                        }
                    }

                    if (f is not null)
                        floats[attributeName] = f.Value;
                    if (values.Count > 0)
                        ints[attributeName] = [.. values];
                    if (t is not null && attributeName == "value")
                        constantValue = t;
                    break;
                default: break;
            }
        }

        return new OnnxNode(opType, name, inputs, outputs, ints, floats);
    }

    private static OnnxTensor? ParseTensor(ReadOnlyMemory<byte> bytes)
    {
        var dims = new List<long>();
        var dataType = 0;
        var name = "";
        ReadOnlyMemory<byte>? raw = null;
        var floatData = new List<float>();
        foreach (var field in new ProtoReader(bytes))
        {
            switch (field.Number)
            {
                case 1 when field.WireType == 0: dims.Add((long)field.Varint); break;
                case 1 when field.WireType == 2: dims.AddRange(ProtoReader.PackedVarints(field.Bytes).Select(v => (long)v)); break;
                case 2: dataType = (int)field.Varint; break;
                case 4 when field.WireType == 2:
                    var packed = field.Bytes.Span;
                    for (var i = 0; i + 4 <= packed.Length; i += 4)
                        floatData.Add(BitConverter.ToSingle(packed.Slice(i, 4)));
                    break;
                case 4 when field.WireType == 5: floatData.Add(BitConverter.Int32BitsToSingle((int)field.Fixed)); break;
                case 8: name = field.Text; break;
                case 9: raw = field.Bytes; break;
                default: break;
            }
        }

        if (dataType != FloatType)
            return null;
        var count = dims.Aggregate(1L, (a, d) => a * d);
        float[] values;
        if (raw is { } r)
        {
            if (r.Length != count * 4)
                throw new FormatException($"tensor '{name}' holds {r.Length} bytes of raw data; its shape [{string.Join(", ", dims)}] needs {count * 4}");
            values = new float[count];
            r.Span.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
        else
        {
            if (floatData.Count != count)
                throw new FormatException($"tensor '{name}' holds {floatData.Count} floats; its shape [{string.Join(", ", dims)}] needs {count}");
            values = [.. floatData];
        }

        return new OnnxTensor(name, [.. dims], values);
    }

    private static string ValueInfoName(ReadOnlyMemory<byte> bytes)
    {
        foreach (var field in new ProtoReader(bytes))
        {
            if (field.Number == 1)
                return field.Text;
        }

        return "";
    }

    /// <summary>One field of a protobuf message: number, wire type and payload.</summary>
    private readonly record struct ProtoField(int Number, int WireType, ulong Varint, ulong Fixed, ReadOnlyMemory<byte> Bytes)
    {
        public string Text => Encoding.UTF8.GetString(Bytes.Span);
    }

    /// <summary>Walks the fields of one protobuf message (wire types 0, 1, 2 and 5).</summary>
    private sealed class ProtoReader(ReadOnlyMemory<byte> message) : IEnumerable<ProtoField>
    {
        public static IEnumerable<ulong> PackedVarints(ReadOnlyMemory<byte> bytes)
        {
            var position = 0;
            while (position < bytes.Length)
                yield return ReadVarint(bytes.Span, ref position);
        }

        public IEnumerator<ProtoField> GetEnumerator()
        {
            var position = 0;
            while (position < message.Length)
            {
                var key = ReadVarint(message.Span, ref position);
                var number = (int)(key >> 3);
                var wireType = (int)(key & 7);
                switch (wireType)
                {
                    case 0:
                        yield return new ProtoField(number, 0, ReadVarint(message.Span, ref position), 0, default);
                        break;
                    case 1:
                        Need(position, 8);
                        yield return new ProtoField(number, 1, 0, BitConverter.ToUInt64(message.Span.Slice(position, 8)), default);
                        position += 8;
                        break;
                    case 2:
                        var length = ReadVarint(message.Span, ref position);
                        if (length > (ulong)(message.Length - position))
                            throw new FormatException($"a field of length {length} runs past the end of its message (truncated file?)");
                        yield return new ProtoField(number, 2, 0, 0, message.Slice(position, (int)length));
                        position += (int)length;
                        break;
                    case 5:
                        Need(position, 4);
                        yield return new ProtoField(number, 5, 0, BitConverter.ToUInt32(message.Span.Slice(position, 4)), default);
                        position += 4;
                        break;
                    default:
                        throw new FormatException($"unsupported protobuf wire type {wireType} (field {number}): not an ONNX file?");
                }
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private void Need(int position, int count)
        {
            if (position + count > message.Length)
                throw new FormatException("a fixed-size field runs past the end of its message (truncated file?)");
        }

        private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int position)
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (position >= span.Length)
                    throw new FormatException("a varint runs past the end of its message (truncated file?)");
                var b = span[position++];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                    return value;
            }

            throw new FormatException("a varint is longer than 10 bytes");
        }
    }
}
