using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Tests;

/// <summary>The protobuf wire format of the ONNX writer against encodings worked out by hand from the protobuf spec.</summary>
public class ProtobufWriterTests
{
    [Fact]
    public void Fields_HaveTheirWireEncoding()
    {
        var writer = new ProtobufWriter();
        writer.Int64(1, 150);                   // key 0x08, varint 150 = 0x96 0x01 (the spec's own example)
        writer.Int64(2, -1);                    // negative int64: ten bytes, sign-extended
        writer.Float(3, 1.5f);                  // key 0x1D (field 3, fixed32), 0x3FC00000 little-endian
        writer.String(4, "hé");                 // key 0x22, length 3, UTF-8
        writer.FloatsAsBytes(5, [1f, -2f]);     // key 0x2A, length 8, two little-endian floats
        var nested = new ProtobufWriter();
        nested.Int64(1, 300);                   // 0x08 0xAC 0x02
        writer.Message(16, nested);             // key (16 << 3 | 2) = 130 = 0x82 0x01, length 3
        byte[] expected =
        [
            0x08, 0x96, 0x01,
            0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
            0x1D, 0x00, 0x00, 0xC0, 0x3F,
            0x22, 0x03, 0x68, 0xC3, 0xA9,
            0x2A, 0x08, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0,
            0x82, 0x01, 0x03, 0x08, 0xAC, 0x02,
        ];
        Assert.Equal(expected, writer.Written.ToArray());
    }

    [Fact]
    public void LargePayload_GrowsTheBuffer()
    {
        var writer = new ProtobufWriter(capacity: 16);
        var values = Reference.Random(100_000, 3);
        writer.FloatsAsBytes(9, values);
        var bytes = writer.Written.ToArray();
        Assert.Equal([0x4A, 0x80, 0xB5, 0x18], bytes[..4]); // key 9/2, varint 400000
        Assert.Equal(values, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(4)).ToArray());
    }

    [Fact]
    public void FieldNumberOutOfRange_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtobufWriter().Int64(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtobufWriter().Int64(1 << 29, 1));
    }
}
