using System.Globalization;
using CudaGenre.Core;
using CudaGenre.Core.Models;

namespace CudaGenre.Engine.Graph;

/// <summary>
/// Writes a model as an ONNX file (IR version 8, opset 17) that ONNX Runtime and other ONNX tools can run:
/// one float input <c>input</c> [N, C, H, W] (N symbolic), one output <c>logits</c> [N, classes] (no softmax), weights
/// as float32 initializers in <c>raw_data</c> under their state_dict names, and the model's spec (class names,
/// normalization) as the metadata entry <see cref="SpecMetadataKey"/>.
/// </summary>
/// <remarks>
/// <para>It exports the <see cref="ModelGraph"/> node for node (Conv, BatchNormalization, Relu, MaxPool,
/// GlobalAveragePool, Flatten, Gemm, Add; Dropout as Identity), not the engine's <see cref="FusedGraph"/>:
/// every node is a standard ONNX operator with the same meaning, so the file is the model as PyTorch defines it,
/// and a runtime that executes it checks the engine's BatchNorm folding and fusions as well as its kernels.
/// ONNX Runtime folds the BatchNorms and fuses the ReLUs itself at load time, so its speed is not hurt.</para>
/// <para>The file is one protobuf message; protobuf limits a message to 2 GiB (larger models need ONNX's external
/// data, which this writer does not produce), and the size is checked before anything is allocated.</para>
/// </remarks>
public static class OnnxExport
{
    /// <summary>The ONNX IR version written (8: ONNX 1.10 and later; ONNX Runtime ≥ 1.10).</summary>
    public const long IrVersion = 8;

    /// <summary>The default-domain operator set version written.</summary>
    public const long OpsetVersion = 17;

    /// <summary>The graph input's name: float32 [N, C, H, W], normalized as the spec says.</summary>
    public const string InputName = "input";

    /// <summary>The graph output's name: float32 [N, classes], logits (no softmax).</summary>
    public const string OutputName = "logits";

    /// <summary>The symbolic batch dimension's name.</summary>
    public const string BatchDimension = "N";

    /// <summary>The metadata key (ModelProto.metadata_props) holding <see cref="ModelSpec.ToJson"/>.</summary>
    public const string SpecMetadataKey = "cudagenre.spec";

    /// <summary>The largest file written: protobuf's limit for one message (2 GiB − 1).</summary>
    public const long MaxBytes = int.MaxValue;

    // Room left for everything but the weights (nodes, names, metadata): far more than any of our graphs needs.
    private const long StructureAllowance = 16 << 20;

    // onnx.proto field numbers.
    private const int ModelIrVersion = 1, ModelProducerName = 2, ModelProducerVersion = 3, ModelGraphField = 7, ModelOpsetImport = 8, ModelMetadataProps = 14;
    private const int OpsetDomain = 1, OpsetVersionField = 2;
    private const int EntryKey = 1, EntryValue = 2;
    private const int GraphNode = 1, GraphName = 2, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    private const int AttributeName = 1, AttributeFloat = 2, AttributeInt = 3, AttributeInts = 8, AttributeType = 20;
    private const int AttributeTypeFloat = 1, AttributeTypeInt = 2, AttributeTypeInts = 7;
    private const int TensorDims = 1, TensorDataType = 2, TensorName = 8, TensorRawData = 9;
    private const int ValueInfoName = 1, ValueInfoType = 2;
    private const int TypeTensor = 1, TensorTypeElemType = 1, TensorTypeShape = 2, ShapeDim = 1, DimValue = 1, DimParam = 2;
    private const int FloatDataType = 1;

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> as ONNX, atomically (a reader never sees half a file).</summary>
    /// <exception cref="ArgumentException">The model is too large for one ONNX file.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(ModelFile model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (header, graph) = Build(model.Graph, model.Weights.ToSingleArray);
        AtomicFile.Write(path, stream =>
        {
            stream.Write(header.Written);
            stream.Write(graph.Written);
        });
    }

    /// <summary>The ONNX file of <paramref name="graph"/> with <paramref name="weights"/>, in memory.</summary>
    /// <param name="graph">The architecture.</param>
    /// <param name="weights">Returns each float32 state_dict tensor by name (BatchNorm's step counters are not asked for).</param>
    /// <exception cref="ArgumentException">The model is too large for one ONNX file, or a tensor has the wrong number of values.</exception>
    public static byte[] ToBytes(ModelGraph graph, Func<string, float[]> weights)
    {
        var (header, body) = Build(graph, weights);
        var bytes = new byte[checked(header.Length + body.Length)];
        header.Written.CopyTo(bytes);
        body.Written.CopyTo(bytes.AsSpan(header.Length));
        return bytes;
    }

    /// <summary>The bytes of the float32 initializers <paramref name="graph"/> exports.</summary>
    public static long WeightBytes(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return Exported(graph).Sum(e => e.Shape.ElementCount * sizeof(float));
    }

    private static IEnumerable<StateDictEntry> Exported(ModelGraph graph) => graph.StateDict.Where(e => e.Role != StateRole.NumBatchesTracked);

    /// <summary>The model message split in two: its fields up to the graph's key and length (small), and the graph itself.</summary>
    private static (ProtobufWriter Header, ProtobufWriter Graph) Build(ModelGraph graph, Func<string, float[]> weights)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(weights);
        var weightBytes = WeightBytes(graph);
        if (weightBytes > MaxBytes - StructureAllowance)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The {graph.Spec.Architecture} model has {weightBytes / 1048576.0:F0} MiB of weights; one ONNX file holds at most 2 GiB (protobuf's limit), and ONNX's external data is not written."), nameof(graph));
        }

        var body = new ProtobufWriter((int)(weightBytes + (1 << 16)));
        body.String(GraphName, $"cudagenre-{graph.Spec.Architecture.ToString().ToLowerInvariant()}");
        var values = new HashSet<string>(StringComparer.Ordinal) { InputName };
        string Value(string name) => name == graph.Output ? OutputName : name == Core.Models.ModelGraph.InputName ? InputName : name;
        foreach (var node in graph.Nodes)
        {
            var output = Value(node.Output);
            // Names are the graph's own, unique by construction; a clash would silently rewire the ONNX graph.
            if (!values.Add(output) || (output == OutputName && node.Output != graph.Output))
                throw new InvalidOperationException($"Graph bug: value '{output}' is written twice in the ONNX export.");
            body.Message(GraphNode, Node(node, [.. node.Inputs.Select(Value)], output));
        }

        foreach (var entry in Exported(graph))
        {
            if (values.Contains(entry.Name))
                throw new InvalidOperationException($"Graph bug: weight '{entry.Name}' has the name of a value.");
            var data = weights(entry.Name);
            if (data is null || data.LongLength != entry.Shape.ElementCount)
                throw new ArgumentException($"Weight '{entry.Name}' holds {data?.Length ?? 0} values; its shape {entry.Shape} needs {entry.Shape.ElementCount}.", nameof(weights));
            var tensor = new ProtobufWriter(data.Length * sizeof(float) + 256);
            foreach (var dim in entry.Shape.Dims)
                tensor.Int64(TensorDims, dim);
            tensor.Int64(TensorDataType, FloatDataType);
            tensor.String(TensorName, entry.Name);
            tensor.FloatsAsBytes(TensorRawData, data);
            body.Message(GraphInitializer, tensor);
        }

        var spec = graph.Spec;
        body.Message(GraphInput, ValueInfo(InputName, [null, spec.InputChannels, spec.InputHeight, spec.InputWidth]));
        body.Message(GraphOutput, ValueInfo(OutputName, [null, spec.ClassCount]));

        var header = new ProtobufWriter();
        header.Int64(ModelIrVersion, IrVersion);
        header.String(ModelProducerName, "CudaGenre");
        header.String(ModelProducerVersion, typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0");
        var opset = new ProtobufWriter();
        opset.String(OpsetDomain, "");
        opset.Int64(OpsetVersionField, OpsetVersion);
        header.Message(ModelOpsetImport, opset);
        var metadata = new ProtobufWriter();
        metadata.String(EntryKey, SpecMetadataKey);
        metadata.String(EntryValue, spec.ToJson());
        header.Message(ModelMetadataProps, metadata);
        header.LengthPrefix(ModelGraphField, body.Length); // the graph's bytes follow the header
        if ((long)header.Length + body.Length > MaxBytes)
            throw new ArgumentException($"The {spec.Architecture} model's ONNX file would be {header.Length + (long)body.Length} bytes; one ONNX file holds at most 2 GiB.", nameof(graph));
        return (header, body);
    }

    private static ProtobufWriter Node(ModelNode node, string[] inputs, string output)
    {
        var message = new ProtobufWriter();
        void Inputs(params string[] names)
        {
            foreach (var name in names)
                message.String(NodeInput, name);
            message.String(NodeOutput, output);
            message.String(NodeName, node.Output);
        }

        switch (node)
        {
            case Conv2dNode conv:
                Inputs([inputs[0], $"{conv.Module}.weight", .. conv.HasBias ? [$"{conv.Module}.bias"] : Array.Empty<string>()]);
                message.String(NodeOpType, "Conv");
                Window(message, conv.Kernel, conv.Stride, conv.Padding);
                message.Message(NodeAttribute, Ints("dilations", [1, 1]));
                message.Message(NodeAttribute, Int("group", conv.Groups));
                break;
            case BatchNorm2dNode bn:
                Inputs(inputs[0], $"{bn.Module}.weight", $"{bn.Module}.bias", $"{bn.Module}.running_mean", $"{bn.Module}.running_var");
                message.String(NodeOpType, "BatchNormalization");
                message.Message(NodeAttribute, Float("epsilon", (float)bn.Epsilon));
                break;
            case ReluNode:
                Inputs(inputs[0]);
                message.String(NodeOpType, "Relu");
                break;
            case MaxPool2dNode pool:
                Inputs(inputs[0]);
                message.String(NodeOpType, "MaxPool");
                Window(message, pool.Kernel, pool.Stride, pool.Padding);
                break;
            case GlobalAvgPoolNode:
                Inputs(inputs[0]);
                message.String(NodeOpType, "GlobalAveragePool");
                break;
            case FlattenNode:
                Inputs(inputs[0]);
                message.String(NodeOpType, "Flatten");
                message.Message(NodeAttribute, Int("axis", 1));
                break;
            case LinearNode linear:
                // PyTorch stores [out, in]: y = x·Wᵀ + b is Gemm with transB.
                Inputs(inputs[0], $"{linear.Module}.weight", $"{linear.Module}.bias");
                message.String(NodeOpType, "Gemm");
                message.Message(NodeAttribute, Int("transB", 1));
                break;
            case DropoutNode:
                Inputs(inputs[0]);
                message.String(NodeOpType, "Identity"); // eval mode
                break;
            case AddNode:
                Inputs(inputs[0], inputs[1]);
                message.String(NodeOpType, "Add");
                break;
            default:
                throw new NotSupportedException($"The ONNX export has no mapping for {node.Kind} ('{node.Module}').");
        }
        return message;
    }

    /// <summary>kernel_shape, strides and pads; ONNX orders pads as [top, left, bottom, right] (all begins, then all ends).</summary>
    private static void Window(ProtobufWriter node, Size2d kernel, Size2d stride, Size2d padding)
    {
        node.Message(NodeAttribute, Ints("kernel_shape", [kernel.Height, kernel.Width]));
        node.Message(NodeAttribute, Ints("strides", [stride.Height, stride.Width]));
        node.Message(NodeAttribute, Ints("pads", [padding.Height, padding.Width, padding.Height, padding.Width]));
    }

    private static ProtobufWriter Int(string name, long value)
    {
        var attribute = new ProtobufWriter();
        attribute.String(AttributeName, name);
        attribute.Int64(AttributeInt, value);
        attribute.Int64(AttributeType, AttributeTypeInt);
        return attribute;
    }

    private static ProtobufWriter Float(string name, float value)
    {
        var attribute = new ProtobufWriter();
        attribute.String(AttributeName, name);
        attribute.Float(AttributeFloat, value);
        attribute.Int64(AttributeType, AttributeTypeFloat);
        return attribute;
    }

    private static ProtobufWriter Ints(string name, long[] values)
    {
        var attribute = new ProtobufWriter();
        attribute.String(AttributeName, name);
        foreach (var value in values)
            attribute.Int64(AttributeInts, value);
        attribute.Int64(AttributeType, AttributeTypeInts);
        return attribute;
    }

    /// <summary>A float32 tensor's ValueInfoProto; a null dimension is the symbolic batch <see cref="BatchDimension"/>.</summary>
    private static ProtobufWriter ValueInfo(string name, int?[] dims)
    {
        var shape = new ProtobufWriter();
        foreach (var dim in dims)
        {
            var d = new ProtobufWriter();
            if (dim is { } size)
                d.Int64(DimValue, size);
            else
                d.String(DimParam, BatchDimension);
            shape.Message(ShapeDim, d);
        }
        var tensorType = new ProtobufWriter();
        tensorType.Int64(TensorTypeElemType, FloatDataType);
        tensorType.Message(TensorTypeShape, shape);
        var type = new ProtobufWriter();
        type.Message(TypeTensor, tensorType);
        var info = new ProtobufWriter();
        info.String(ValueInfoName, name);
        info.Message(ValueInfoType, type);
        return info;
    }
}
