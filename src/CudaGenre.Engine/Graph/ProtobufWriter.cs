using System.Buffers.Binary;
using System.Text;

namespace CudaGenre.Engine.Graph;

/// <summary>
/// Appends protobuf fields (wire format: varint key <c>field &lt;&lt; 3 | wire type</c>, then the payload) to a
/// growable buffer: just what <see cref="OnnxExport"/> writes, so the engine needs no protobuf package.
/// Repeated scalars are written unpacked, one key per value, as proto2 files such as <c>onnx.proto</c> expect
/// (parsers accept both forms). A nested message is written into its own writer and then added with
/// <see cref="Message"/>, which prefixes its length.
/// </summary>
internal sealed class ProtobufWriter
{
    private const int VarintWire = 0;
    private const int LengthDelimitedWire = 2;
    private const int Fixed32Wire = 5;

    private byte[] _buffer;

    public ProtobufWriter(int capacity = 256) => _buffer = new byte[Math.Max(capacity, 16)];

    /// <summary>Bytes written so far.</summary>
    public int Length { get; private set; }

    /// <summary>The message as written so far.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    /// <summary>An int64/int32/enum field (varint).</summary>
    public void Int64(int field, long value)
    {
        Key(field, VarintWire);
        Varint((ulong)value);
    }

    /// <summary>A float field (fixed32, little-endian).</summary>
    public void Float(int field, float value)
    {
        Key(field, Fixed32Wire);
        BinaryPrimitives.WriteSingleLittleEndian(Reserve(4), value);
    }

    /// <summary>A string field (UTF-8).</summary>
    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Key(field, LengthDelimitedWire);
        Varint((ulong)value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    /// <summary>A bytes field holding <paramref name="values"/> as little-endian float32s (ONNX's <c>raw_data</c>).</summary>
    public void FloatsAsBytes(int field, ReadOnlySpan<float> values)
    {
        var length = checked(values.Length * sizeof(float));
        Key(field, LengthDelimitedWire);
        Varint((ulong)length);
        var target = Reserve(length);
        if (BitConverter.IsLittleEndian)
        {
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(target);
            return;
        }
        for (var i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(target[(i * sizeof(float))..], values[i]);
    }

    /// <summary>An embedded message field: <paramref name="message"/>'s bytes, length-prefixed.</summary>
    public void Message(int field, ProtobufWriter message) => Bytes(field, message.Written);

    /// <summary>The key and length prefix of a length-delimited field of <paramref name="length"/> bytes whose payload the caller writes elsewhere.</summary>
    public void LengthPrefix(int field, int length)
    {
        Key(field, LengthDelimitedWire);
        Varint((ulong)length);
    }

    private void Key(int field, int wireType)
    {
        if (field is < 1 or > (1 << 29) - 1)
            throw new ArgumentOutOfRangeException(nameof(field), field, "A protobuf field number is between 1 and 2^29 − 1.");
        Varint(((ulong)field << 3) | (uint)wireType);
    }

    private void Varint(ulong value)
    {
        Span<byte> bytes = stackalloc byte[10];
        var count = 0;
        while (value >= 0x80)
        {
            bytes[count++] = (byte)(value | 0x80);
            value >>= 7;
        }
        bytes[count++] = (byte)value;
        bytes[..count].CopyTo(Reserve(count));
    }

    private Span<byte> Reserve(int count)
    {
        var needed = (long)Length + count;
        if (needed > Array.MaxLength)
            throw new InvalidOperationException($"A protobuf message would grow past {Array.MaxLength} bytes.");
        if (needed > _buffer.Length)
            Array.Resize(ref _buffer, (int)Math.Min(Math.Max(needed, 2L * _buffer.Length), Array.MaxLength));
        var span = _buffer.AsSpan(Length, count);
        Length = (int)needed;
        return span;
    }
}
