using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;

namespace CudaGenre.Core.Tensors;

/// <summary>One tensor of a safetensors file: its name, element type, shape and where its bytes are.</summary>
/// <param name="Name">The tensor's name (for models, the PyTorch <c>state_dict</c> key).</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions, outermost first (C order).</param>
/// <param name="Begin">Offset of the first byte, relative to the start of the data section.</param>
/// <param name="End">Offset one past the last byte, relative to the start of the data section.</param>
public sealed record SafetensorsEntry(string Name, TensorDType DType, TensorShape Shape, long Begin, long End)
{
    /// <summary>Size of the tensor's data in bytes.</summary>
    public long ByteLength => End - Begin;
}

/// <summary>
/// A safetensors file, read whole into memory and validated. Tensors are views into that one buffer:
/// the typed accessors (<see cref="AsFloat32"/>, <see cref="AsInt64"/>, …) copy nothing.
/// </summary>
/// <remarks>
/// <para>The format: an unsigned 64-bit little-endian header length N; N bytes of UTF-8 JSON, an object
/// mapping each tensor name to <c>{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}</c>, plus
/// an optional <c>"__metadata__"</c> object of string values; then the raw little-endian tensor data,
/// offsets relative to its start. The tensors must cover the data exactly, without gaps or overlaps.</para>
/// <para>Every violation raises <see cref="DataFileException"/> naming the file and the problem.
/// Files of 2 GB and more are not supported (the buffer is one array).</para>
/// </remarks>
public sealed class SafetensorsFile
{
    /// <summary>The largest header accepted (100 MB), as the reference implementation: anything larger is not a real header.</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>The header key under which the string-to-string metadata is stored.</summary>
    public const string MetadataKey = "__metadata__";

    private readonly byte[] _buffer;
    private readonly int _dataStart;
    private readonly Dictionary<string, SafetensorsEntry> _byName;

    private SafetensorsFile(string path, byte[] buffer, int dataStart, List<SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        _buffer = buffer;
        _dataStart = dataStart;
        Tensors = entries;
        _byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
        Metadata = metadata;
    }

    /// <summary>The file this was read from (or the source name given to <see cref="Parse"/>), used in error messages.</summary>
    public string Path { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>All tensors, in the order of their data in the file.</summary>
    public IReadOnlyList<SafetensorsEntry> Tensors { get; }

    /// <summary>Size of the data section in bytes.</summary>
    public long DataLength => _buffer.Length - _dataStart;

    /// <summary>Reads and validates a whole file (one read into one buffer).</summary>
    /// <exception cref="DataFileException">The file cannot be read or is not a valid safetensors file.</exception>
    public static SafetensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (stream.Length > Array.MaxLength)
                throw new DataFileException(path, $"is {stream.Length} bytes; files of 2 GB and more are not supported");
            // The header alone first, checked against the file's length (every tensor inside it, nothing after the last),
            // so that a foreign or damaged file of nearly 2 GB is refused without reading it whole.
            var prefix = new byte[Math.Min(FileSignature.HeadLength, stream.Length)];
            stream.ReadExactly(prefix);
            RejectForeign(prefix, stream.Length, path);
            if (prefix.Length >= 8)
            {
                var headerLength = BitConverter.ToUInt64(prefix, 0);
                if (headerLength <= MaxHeaderLength && (long)headerLength <= stream.Length - 8)
                {
                    var head = new byte[8 + (int)headerLength];
                    stream.Position = 0;
                    stream.ReadExactly(head);
                    ParseHeader(head, stream.Length, path);
                }
            }
            stream.Position = 0;
            bytes = GC.AllocateUninitializedArray<byte>((int)stream.Length);
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException and not DataFileException or UnauthorizedAccessException)
        {
            throw new DataFileException(path, $"cannot be read ({e.Message})", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Validates a safetensors file held in memory. The buffer is used as is (not copied) and must not change afterwards.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="path">The name to use in error messages.</param>
    /// <exception cref="DataFileException">The bytes are not a valid safetensors file.</exception>
    public static SafetensorsFile Parse(byte[] bytes, string path)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(path);
        var (dataStart, entries, metadata) = ParseHeader(bytes, bytes.Length, path);
        return new SafetensorsFile(path, bytes, dataStart, entries, metadata);
    }

    /// <summary>
    /// An image, audio clip or archive given where a model or bundle belongs (usually arguments swapped): say what it
    /// is, rather than what its first 8 bytes mean as a header length.
    /// </summary>
    private static void RejectForeign(ReadOnlySpan<byte> head, long fileLength, string path)
    {
        var format = FileSignature.Detect(head, wholeFile: head.Length >= fileLength);
        if (format is not (FileFormat.Unknown or FileFormat.Safetensors))
            throw new DataFileException(path, $"this is {FileSignature.Describe(format)}, not a model (arguments swapped?): models and reference bundles are safetensors files");
    }

    /// <summary>
    /// Parses the header held at the start of <paramref name="bytes"/> (at least the 8-byte length and the header) and
    /// checks it against a file of <paramref name="fileLength"/> bytes: every tensor inside, no byte after the last.
    /// </summary>
    private static (int DataStart, List<SafetensorsEntry> Entries, Dictionary<string, string> Metadata) ParseHeader(byte[] bytes, long fileLength, string path)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Tensor data is little-endian; this reader needs a little-endian machine.");
        RejectForeign(bytes.AsSpan(0, (int)Math.Min(bytes.Length, FileSignature.HeadLength)), fileLength, path);
        if (fileLength < 8)
            throw new DataFileException(path, $"too short for a safetensors file: {fileLength} bytes, but the header length alone takes 8");
        var headerLength = BitConverter.ToUInt64(bytes, 0);
        if (headerLength > MaxHeaderLength)
            throw new DataFileException(path, $"header length {headerLength} is absurd (over {MaxHeaderLength} bytes): not a safetensors file");
        if ((long)headerLength > fileLength - 8)
            throw new DataFileException(path, $"the header length says {headerLength} bytes, but only {fileLength - 8} follow it: truncated or not a safetensors file");
        var dataStart = 8 + (int)headerLength;
        var header = bytes.AsMemory(8, (int)headerLength);
        if (!Utf8.IsValid(header.Span))
            throw new DataFileException(path, "the header is not valid UTF-8");

        var entries = new List<SafetensorsEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(header);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new DataFileException(path, $"the header is a JSON {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object");
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw new DataFileException(path, $"the header lists '{property.Name}' twice");
                if (property.Name == MetadataKey)
                    ReadMetadata(path, property.Value, metadata);
                else
                    entries.Add(ReadEntry(path, property.Name, property.Value));
            }
        }
        catch (JsonException e)
        {
            throw new DataFileException(path, $"the header is not valid JSON ({e.Message})", e);
        }

        CheckLayout(path, entries, fileLength - dataStart);
        return (dataStart, entries, metadata);
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new DataFileException(path, $"'{MetadataKey}' is a JSON {Kind(value)}, not an object of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new DataFileException(path, $"metadata value '{item.Name}' is a JSON {Kind(item.Value)}; the format allows only strings");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new DataFileException(path, $"metadata key '{item.Name}' appears twice");
        }
    }

    private static SafetensorsEntry ReadEntry(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new DataFileException(path, $"tensor '{name}': its header entry is a JSON {Kind(value)}, not an object");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new DataFileException(path, $"tensor '{name}': no \"dtype\" string");
        var dtypeName = dtypeElement.GetString()!;
        if (!TensorDTypes.TryParseSafetensorsName(dtypeName, out var dtype))
            throw new DataFileException(path, $"tensor '{name}': unknown dtype '{dtypeName}' (known: {string.Join(", ", Enum.GetValues<TensorDType>().Select(d => d.SafetensorsName()))})");

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new DataFileException(path, $"tensor '{name}': no \"shape\" array");
        var dims = new List<int>();
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out var dim) || dim < 0)
                throw new DataFileException(path, $"tensor '{name}': shape entry {d.GetRawText()} is not a dimension (an integer from 0 to {int.MaxValue})");
            dims.Add(dim);
        }
        var shape = new TensorShape([.. dims]);

        if (!value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
            throw new DataFileException(path, $"tensor '{name}': no \"data_offsets\" array of two numbers");
        var begin = Offset(path, name, offsetsElement[0]);
        var end = Offset(path, name, offsetsElement[1]);
        if (end < begin)
            throw new DataFileException(path, $"tensor '{name}': data_offsets [{begin}, {end}] out of range (end before begin)");

        long expected;
        try
        {
            expected = checked(shape.ElementCount * dtype.SizeInBytes());
        }
        catch (OverflowException)
        {
            throw new DataFileException(path, $"tensor '{name}': shape {shape} is too large");
        }
        if (end - begin != expected)
            throw new DataFileException(path, $"tensor '{name}': shape {shape} of {dtype.SafetensorsName()} needs {expected} bytes, but its data_offsets [{begin}, {end}] span {end - begin}");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    private static long Offset(string path, string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetUInt64(out var offset))
            throw new DataFileException(path, $"tensor '{name}': data offset {element.GetRawText()} is not a non-negative integer");
        if (offset > (ulong)Array.MaxLength)
            throw new DataFileException(path, $"tensor '{name}': data offset {offset} is out of range (beyond any file this reader supports)");
        return (long)offset;
    }

    // The data section must be tiled exactly: sorted by offset, each tensor starts where the previous ends,
    // and the last ends at the end of the file. Anything else is a corrupt or truncated file.
    private static void CheckLayout(string path, List<SafetensorsEntry> entries, long dataLength)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long position = 0;
        SafetensorsEntry? previous = null;
        foreach (var e in entries)
        {
            if (e.Begin < position)
                throw new DataFileException(path, $"tensor '{e.Name}' (bytes {e.Begin}–{e.End}) overlaps tensor '{previous!.Name}' (bytes {previous.Begin}–{previous.End})");
            if (e.Begin > position)
                throw new DataFileException(path, $"the tensors do not cover the data: {e.Begin - position} bytes at offset {position} before tensor '{e.Name}' belong to no tensor");
            position = e.End;
            previous = e;
        }
        if (position > dataLength)
            throw new DataFileException(path, $"truncated: the header declares {position} bytes of tensor data, but only {dataLength} follow it");
        if (position < dataLength)
            throw new DataFileException(path, $"the tensors do not cover the data: {dataLength - position} bytes after the last tensor belong to no tensor");
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    /// <summary>True when the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="DataFileException">There is no such tensor.</exception>
    public SafetensorsEntry Entry(string name)
        => _byName.TryGetValue(name, out var e) ? e : throw new DataFileException(Path, $"no tensor named '{name}'");

    /// <summary>The shape of tensor <paramref name="name"/>.</summary>
    /// <exception cref="DataFileException">There is no such tensor.</exception>
    public TensorShape Shape(string name) => Entry(name).Shape;

    /// <summary>The element type of tensor <paramref name="name"/>.</summary>
    /// <exception cref="DataFileException">There is no such tensor.</exception>
    public TensorDType DType(string name) => Entry(name).DType;

    /// <summary>The raw little-endian bytes of tensor <paramref name="name"/> (a view, no copy).</summary>
    /// <exception cref="DataFileException">There is no such tensor.</exception>
    public ReadOnlySpan<byte> Bytes(string name) => Bytes(Entry(name));

    /// <summary>The raw little-endian bytes of <paramref name="entry"/> (a view, no copy).</summary>
    public ReadOnlySpan<byte> Bytes(SafetensorsEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return _buffer.AsSpan(_dataStart + (int)entry.Begin, (int)entry.ByteLength);
    }

    /// <summary>The elements of an F32 tensor (a view, no copy).</summary>
    /// <exception cref="DataFileException">No such tensor, or its dtype is not F32.</exception>
    public ReadOnlySpan<float> AsFloat32(string name) => View<float>(name, TensorDType.F32);

    /// <summary>The elements of an F64 tensor (a view, no copy).</summary>
    /// <exception cref="DataFileException">No such tensor, or its dtype is not F64.</exception>
    public ReadOnlySpan<double> AsFloat64(string name) => View<double>(name, TensorDType.F64);

    /// <summary>The elements of an I64 tensor (a view, no copy).</summary>
    /// <exception cref="DataFileException">No such tensor, or its dtype is not I64.</exception>
    public ReadOnlySpan<long> AsInt64(string name) => View<long>(name, TensorDType.I64);

    /// <summary>The elements of an I32 tensor (a view, no copy).</summary>
    /// <exception cref="DataFileException">No such tensor, or its dtype is not I32.</exception>
    public ReadOnlySpan<int> AsInt32(string name) => View<int>(name, TensorDType.I32);

    /// <summary>The elements of a U8 tensor (a view, no copy).</summary>
    /// <exception cref="DataFileException">No such tensor, or its dtype is not U8.</exception>
    public ReadOnlySpan<byte> AsUInt8(string name) => View<byte>(name, TensorDType.U8);

    /// <summary>The elements of a BOOL tensor (a view, no copy; each byte is 0 or nonzero).</summary>
    /// <exception cref="DataFileException">No such tensor, or its dtype is not BOOL.</exception>
    public ReadOnlySpan<byte> AsBool(string name) => View<byte>(name, TensorDType.Bool);

    /// <summary>A copy of a floating-point tensor (F32, F64, F16 or BF16) converted to float32.</summary>
    /// <exception cref="DataFileException">No such tensor, or it is not floating-point.</exception>
    public float[] ToSingleArray(string name)
    {
        var entry = Entry(name);
        if (entry.DType is not (TensorDType.F32 or TensorDType.F64 or TensorDType.F16 or TensorDType.BF16))
            throw new DataFileException(Path, $"tensor '{name}' is {entry.DType.SafetensorsName()}, not a floating-point tensor");
        var result = new float[entry.Shape.ElementCount];
        ReducedPrecision.ToSingle(Bytes(entry), entry.DType, result);
        return result;
    }

    /// <summary>A copy of an integer or boolean tensor (I64, I32, I16, I8, U32, U16, U8, BOOL) widened to int64.</summary>
    /// <exception cref="DataFileException">No such tensor, it is floating-point, or it is U64 with values beyond int64.</exception>
    public long[] ToInt64Array(string name)
    {
        var entry = Entry(name);
        var bytes = Bytes(entry);
        var result = new long[entry.Shape.ElementCount];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = entry.DType switch
            {
                TensorDType.I64 => MemoryMarshal.Read<long>(bytes[(8 * i)..]),
                TensorDType.U64 => MemoryMarshal.Read<ulong>(bytes[(8 * i)..]) is var u && u <= long.MaxValue
                    ? (long)u
                    : throw new DataFileException(Path, $"tensor '{name}': U64 value {u} at index {i} does not fit in int64"),
                TensorDType.I32 => MemoryMarshal.Read<int>(bytes[(4 * i)..]),
                TensorDType.U32 => MemoryMarshal.Read<uint>(bytes[(4 * i)..]),
                TensorDType.I16 => MemoryMarshal.Read<short>(bytes[(2 * i)..]),
                TensorDType.U16 => MemoryMarshal.Read<ushort>(bytes[(2 * i)..]),
                TensorDType.I8 => (sbyte)bytes[i],
                TensorDType.U8 or TensorDType.Bool => bytes[i],
                _ => throw new DataFileException(Path, $"tensor '{name}' is {entry.DType.SafetensorsName()}, not an integer tensor"),
            };
        }
        return result;
    }

    private ReadOnlySpan<T> View<T>(string name, TensorDType expected)
        where T : unmanaged
    {
        var entry = Entry(name);
        if (entry.DType != expected)
            throw new DataFileException(Path, $"tensor '{name}' is {entry.DType.SafetensorsName()}, not {expected.SafetensorsName()}");
        return MemoryMarshal.Cast<byte, T>(Bytes(entry));
    }
}
