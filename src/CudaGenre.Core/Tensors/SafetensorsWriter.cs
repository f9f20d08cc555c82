using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace CudaGenre.Core.Tensors;

/// <summary>
/// Collects named tensors and string metadata and writes them as one safetensors file that PyTorch's
/// <c>safetensors.torch.load_file</c> reads.
/// </summary>
/// <remarks>
/// The output is deterministic and laid out as the reference library lays it out: tensors ordered by
/// element alignment (8-byte types first, then 4, 2, 1 — so every tensor starts aligned to its element
/// size) and then by name (ordinal); compact JSON header (no spaces, metadata first with keys in
/// ordinal order), padded with spaces so the data starts at a multiple of 8 bytes. Tensor data is
/// copied when added, so the caller may reuse its buffers.
/// </remarks>
public sealed class SafetensorsWriter
{
    private readonly Dictionary<string, (TensorDType DType, TensorShape Shape, byte[] Data)> _tensors = new(StringComparer.Ordinal);

    /// <summary>The <c>__metadata__</c> entries (strings only, as the format requires). Written in ordinal key order.</summary>
    public IDictionary<string, string> Metadata { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Number of tensors added so far.</summary>
    public int Count => _tensors.Count;

    /// <summary>Name, dtype and shape of every tensor added so far (in no particular order), e.g. to check them against a model graph before saving.</summary>
    public IEnumerable<(string Name, TensorDType DType, TensorShape Shape)> Entries => _tensors.Select(t => (t.Key, t.Value.DType, t.Value.Shape));

    /// <summary>Adds a tensor from its raw little-endian bytes.</summary>
    /// <exception cref="ArgumentException">The name is empty, reserved or already used, or the byte count does not match shape × dtype.</exception>
    public SafetensorsWriter Add(string name, TensorDType dtype, TensorShape shape, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name == SafetensorsFile.MetadataKey)
            throw new ArgumentException($"'{SafetensorsFile.MetadataKey}' is reserved for the metadata.", nameof(name));
        if (_tensors.ContainsKey(name))
            throw new ArgumentException($"A tensor named '{name}' was already added.", nameof(name));
        var expected = checked(shape.ElementCount * dtype.SizeInBytes());
        if (data.Length != expected)
            throw new ArgumentException($"Tensor '{name}': shape {shape} of {dtype.SafetensorsName()} needs {expected} bytes, got {data.Length}.", nameof(data));
        _tensors.Add(name, (dtype, shape, data.ToArray()));
        return this;
    }

    /// <summary>Adds an F32 tensor.</summary>
    public SafetensorsWriter Add(string name, TensorShape shape, ReadOnlySpan<float> values) => Add(name, TensorDType.F32, shape, MemoryMarshal.AsBytes(values));

    /// <summary>Adds an F64 tensor.</summary>
    public SafetensorsWriter Add(string name, TensorShape shape, ReadOnlySpan<double> values) => Add(name, TensorDType.F64, shape, MemoryMarshal.AsBytes(values));

    /// <summary>Adds an F16 tensor.</summary>
    public SafetensorsWriter Add(string name, TensorShape shape, ReadOnlySpan<Half> values) => Add(name, TensorDType.F16, shape, MemoryMarshal.AsBytes(values));

    /// <summary>Adds an I64 tensor (e.g. labels, <c>num_batches_tracked</c>).</summary>
    public SafetensorsWriter Add(string name, TensorShape shape, ReadOnlySpan<long> values) => Add(name, TensorDType.I64, shape, MemoryMarshal.AsBytes(values));

    /// <summary>Adds an I32 tensor.</summary>
    public SafetensorsWriter Add(string name, TensorShape shape, ReadOnlySpan<int> values) => Add(name, TensorDType.I32, shape, MemoryMarshal.AsBytes(values));

    /// <summary>Adds a U8 tensor.</summary>
    public SafetensorsWriter Add(string name, TensorShape shape, ReadOnlySpan<byte> values) => Add(name, TensorDType.U8, shape, values);

    /// <summary>Adds a BOOL tensor (one byte per element, 0 or 1).</summary>
    public SafetensorsWriter Add(string name, TensorShape shape, ReadOnlySpan<bool> values) => Add(name, TensorDType.Bool, shape, MemoryMarshal.AsBytes(values));

    /// <summary>Adds a BF16 tensor, rounding each float32 to nearest bfloat16 (ties to even).</summary>
    public SafetensorsWriter AddBFloat16(string name, TensorShape shape, ReadOnlySpan<float> values)
    {
        var bits = new ushort[values.Length];
        for (var i = 0; i < values.Length; i++)
            bits[i] = ReducedPrecision.SingleToBFloat16(values[i]);
        return Add(name, TensorDType.BF16, shape, MemoryMarshal.AsBytes<ushort>(bits));
    }

    /// <summary>Writes the file atomically (a reader never sees a half-written file).</summary>
    public void Save(string path) => AtomicFile.Write(path, WriteTo);

    /// <summary>The whole file as bytes.</summary>
    public byte[] ToArray()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>Writes the file to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Tensor data is little-endian; this writer needs a little-endian machine.");
        var ordered = _tensors
            .OrderBy(t => t.Value.DType.LayoutRank())
            .ThenBy(t => t.Key, StringComparer.Ordinal)
            .ToList();

        var json = new StringBuilder("{");
        if (Metadata.Count > 0)
        {
            json.Append('"').Append(SafetensorsFile.MetadataKey).Append("\":{");
            var first = true;
            foreach (var (key, value) in Metadata)
            {
                ArgumentNullException.ThrowIfNull(value, $"metadata value '{key}'");
                json.Append(first ? "" : ",");
                AppendString(json, key).Append(':');
                AppendString(json, value);
                first = false;
            }
            json.Append('}');
            if (ordered.Count > 0)
                json.Append(',');
        }
        long offset = 0;
        for (var i = 0; i < ordered.Count; i++)
        {
            var (name, (dtype, shape, data)) = ordered[i];
            AppendString(json.Append(i == 0 ? "" : ","), name)
                .Append(":{\"dtype\":\"").Append(dtype.SafetensorsName())
                .Append("\",\"shape\":[").Append(string.Join(',', shape.Dims.Select(d => d.ToString(CultureInfo.InvariantCulture))))
                .Append("],\"data_offsets\":[").Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append((offset + data.Length).ToString(CultureInfo.InvariantCulture)).Append("]}");
            offset += data.Length;
        }
        json.Append('}');

        var header = Encoding.UTF8.GetBytes(json.ToString());
        var padded = (header.Length + 7) / 8 * 8; // data starts 8-byte aligned
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(header);
        for (var i = header.Length; i < padded; i++)
            stream.WriteByte((byte)' ');
        foreach (var t in ordered)
            stream.Write(t.Value.Data);
    }

    // JSON string escaping as serde_json (the reference writer) does it: quote, backslash and control
    // characters only; everything else, non-ASCII included, is written as UTF-8.
    private static StringBuilder AppendString(StringBuilder json, string value)
    {
        json.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case < ' ': json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }
        return json.Append('"');
    }
}
