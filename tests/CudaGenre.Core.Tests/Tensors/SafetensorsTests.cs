using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using CudaGenre.Core.Tensors;

namespace CudaGenre.Core.Tests.Tensors;

public class SafetensorsTests
{
    [Fact]
    public void Writer_ProducesTheHandComputedBytes()
    {
        var writer = new SafetensorsWriter();
        writer.Add("c", new TensorShape(3), new byte[] { 1, 2, 3 });
        writer.Add("b", new TensorShape(2), [1.5f, -2f]);
        writer.Add("a", TensorShape.Scalar, [7L]);
        writer.Metadata["note"] = "café \"q\"";
        writer.Metadata["format"] = "x";

        // Header by hand: metadata first (keys in order), then tensors by alignment (I64, F32, U8) and name.
        // 212 bytes of JSON ('é' is two bytes in UTF-8) + 4 spaces = 216 = 0xD8, a multiple of 8.
        const string json = "{\"__metadata__\":{\"format\":\"x\",\"note\":\"café \\\"q\\\"\"},"
            + "\"a\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
            + "\"c\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[16,19]}}    ";
        byte[] expected =
        [
            0xD8, 0, 0, 0, 0, 0, 0, 0,
            .. Encoding.UTF8.GetBytes(json),
            7, 0, 0, 0, 0, 0, 0, 0,           // 7L
            0x00, 0x00, 0xC0, 0x3F,           // 1.5f = 0x3FC00000
            0x00, 0x00, 0x00, 0xC0,           // -2f  = 0xC0000000
            1, 2, 3,
        ];
        Assert.Equal(216, Encoding.UTF8.GetByteCount(json));
        Assert.Equal(expected, writer.ToArray());
    }

    [Fact]
    public void Writer_MatchesTheReferenceLibrarysOwnTestVectors()
    {
        // The byte arrays of the reference implementation's unit tests (safetensors/src/tensor.rs,
        // test_serialization and test_empty): one F32 [1,2,3] tensor 0..5, and an empty file with metadata.
        byte[] attention =
        [
            64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
            116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
            58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
            101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
            0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
        ];
        var writer = new SafetensorsWriter().Add("attn.0", new TensorShape(1, 2, 3), [0f, 1, 2, 3, 4, 5]);
        Assert.Equal(attention, writer.ToArray());
        var read = SafetensorsFile.Parse(attention, "attn.safetensors");
        Assert.Equal([0f, 1, 2, 3, 4, 5], read.AsFloat32("attn.0").ToArray());

        byte[] emptyWithMetadata =
        [
            40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
            95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
            116, 34, 125, 125, 32, 32, 32, 32, 32,
        ];
        var empty = new SafetensorsWriter();
        empty.Metadata["framework"] = "pt";
        Assert.Equal(emptyWithMetadata, empty.ToArray());
        Assert.Equal("pt", SafetensorsFile.Parse(emptyWithMetadata, "empty").Metadata["framework"]);
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32], new SafetensorsWriter().ToArray());
    }

    [Fact]
    public void Reader_ReadsAFileLaidOutAsPythonsSaveFileWritesIt()
    {
        // What safetensors.torch.save_file({"weight": w, "step": s}, f, metadata={"format": "pt"}) writes:
        // compact JSON, metadata first, I64 before F32 (alignment order), spaces up to a multiple of 8.
        const string json = "{\"__metadata__\":{\"format\":\"pt\"},\"step\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
            + "\"weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]}}";
        var header = Encoding.UTF8.GetBytes(json);
        var padded = (header.Length + 7) / 8 * 8;
        var file = new byte[8 + padded + 24];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        header.CopyTo(file, 8);
        file.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(8 + padded), 1234567890123);
        float[] weight = [0.25f, -3.5f, 1e-20f, 65504f];
        MemoryMarshal.AsBytes<float>(weight).CopyTo(file.AsSpan(8 + padded + 8));

        using var temp = new TempFolder();
        var path = temp.File("python.safetensors");
        File.WriteAllBytes(path, file);
        var read = SafetensorsFile.Read(path);

        Assert.Equal("pt", Assert.Single(read.Metadata).Value);
        Assert.Equal(["step", "weight"], read.Tensors.Select(t => t.Name));
        Assert.Equal(TensorShape.Scalar, read.Shape("step"));
        Assert.Equal(TensorDType.I64, read.DType("step"));
        Assert.Equal(1234567890123, read.AsInt64("step")[0]);
        Assert.Equal(new TensorShape(2, 2), read.Shape("weight"));
        Assert.Equal(weight, read.AsFloat32("weight").ToArray());

        // And our writer, given the same tensors, writes the same bytes.
        var writer = new SafetensorsWriter().Add("weight", new TensorShape(2, 2), weight).Add("step", TensorShape.Scalar, [1234567890123L]);
        writer.Metadata["format"] = "pt";
        Assert.Equal(file, writer.ToArray());
    }

    [Fact]
    public void Reader_AcceptsHeaderEntriesInAnyOrder_AsOlderWritersProducedThem()
    {
        // Header keys in name order, data in another order: offsets decide, not the JSON order.
        var file = Build("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            [0, 0, 0x80, 0x3F, 9, 8]);
        var read = SafetensorsFile.Parse(file, "old");
        Assert.Equal(["b", "a"], read.Tensors.Select(t => t.Name));
        Assert.Equal(1f, read.AsFloat32("b")[0]);
        Assert.Equal([9, 8], read.AsUInt8("a").ToArray());
        Assert.Empty(read.Metadata);
    }

    [Fact]
    public void RoundTrip_RandomTensorsOfEveryDType_AndMetadata()
    {
        var random = new SeededRandom(20261124);
        var writer = new SafetensorsWriter();
        var expected = new Dictionary<string, (TensorDType DType, TensorShape Shape, byte[] Bytes)>();
        var index = 0;
        foreach (var dtype in Enum.GetValues<TensorDType>())
        {
            for (var k = 0; k < 2; k++)
            {
                var shape = new TensorShape([.. Enumerable.Range(0, random.NextInt(4)).Select(_ => 1 + random.NextInt(5))]);
                var bytes = new byte[shape.ElementCount * dtype.SizeInBytes()];
                random.NextBytes(bytes);
                if (dtype == TensorDType.Bool)
                {
                    for (var i = 0; i < bytes.Length; i++)
                        bytes[i] &= 1;
                }
                var name = $"layer{random.NextInt(100)}.t{index++}.{dtype}";
                writer.Add(name, dtype, shape, bytes);
                expected[name] = (dtype, shape, bytes);
            }
        }
        writer.Metadata["spec"] = "{\"architecture\":\"resnet50\",\"mean\":[0.485,0.456]}";
        writer.Metadata["unicode"] = "genre: métal ♪ \n tab\t";

        using var temp = new TempFolder();
        var path = temp.File("sub", "roundtrip.safetensors");
        writer.Save(path);
        var read = SafetensorsFile.Read(path);

        Assert.Equal(expected.Count, read.Tensors.Count);
        foreach (var (name, (dtype, shape, bytes)) in expected)
        {
            Assert.Equal(dtype, read.DType(name));
            Assert.Equal(shape, read.Shape(name));
            Assert.Equal(bytes, read.Bytes(name).ToArray());
        }
        Assert.Equal(writer.Metadata, read.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(0, (new FileInfo(path).Length - read.DataLength) % 8); // data starts 8-aligned
        foreach (var t in read.Tensors)
            Assert.Equal(0, t.Begin % t.DType.SizeInBytes()); // alignment order keeps every tensor aligned

        // Writing is deterministic: the same content in another insertion order gives the same bytes.
        var again = new SafetensorsWriter();
        foreach (var (name, (dtype, shape, bytes)) in expected.Reverse())
            again.Add(name, dtype, shape, bytes);
        again.Metadata["unicode"] = writer.Metadata["unicode"];
        again.Metadata["spec"] = writer.Metadata["spec"];
        Assert.Equal(File.ReadAllBytes(path), again.ToArray());
        Assert.Empty(Directory.GetFiles(temp.File("sub"), "*.partial"));
    }

    [Fact]
    public void TypedConversions_WidenAndNarrowAsDocumented()
    {
        float[] values = [1f, -2.5f, 0.1f, 3e-5f];
        var writer = new SafetensorsWriter()
            .Add("f64", new TensorShape(4), values.Select(v => (double)v).ToArray())
            .Add("f16", new TensorShape(4), values.Select(v => (Half)v).ToArray())
            .AddBFloat16("bf16", new TensorShape(2, 2), values)
            .Add("i32", new TensorShape(3), [-5, 0, int.MaxValue])
            .Add("flags", new TensorShape(2), [true, false]);
        var read = SafetensorsFile.Parse(writer.ToArray(), "conv");

        Assert.Equal(values, read.ToSingleArray("f64"));
        Assert.Equal(values.Select(v => (float)(Half)v), read.ToSingleArray("f16"));
        // bfloat16 keeps 8 bits of mantissa: 0.1f = 0x3DCCCCCD → 0x3DCD → 0.10009765625.
        Assert.Equal([1f, -2.5f, 0.10009765625f, ReducedPrecision.BFloat16ToSingle(ReducedPrecision.SingleToBFloat16(3e-5f))], read.ToSingleArray("bf16"));
        Assert.Equal([-5L, 0, int.MaxValue], read.ToInt64Array("i32"));
        Assert.Equal([1L, 0], read.ToInt64Array("flags"));

        var wrongType = Assert.Throws<DataFileException>(() => read.AsFloat32("f64"));
        Assert.Contains("'f64' is F64, not F32", wrongType.Message);
        Assert.Contains("no tensor named 'missing'", Assert.Throws<DataFileException>(() => read.AsFloat32("missing")).Message);
        Assert.Contains("not a floating-point", Assert.Throws<DataFileException>(() => read.ToSingleArray("i32")).Message);
    }

    [Theory]
    [InlineData(0x3F800000u, (ushort)0x3F80)] // 1.0 exact
    [InlineData(0x3F808000u, (ushort)0x3F80)] // tie, even stays down
    [InlineData(0x3F818000u, (ushort)0x3F82)] // tie, odd rounds up to even
    [InlineData(0x3F808001u, (ushort)0x3F81)] // just above the tie rounds up
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)] // float max rounds to +Inf
    [InlineData(0xFF800000u, (ushort)0xFF80)] // -Inf
    public void BFloat16_RoundsToNearestEven(uint floatBits, ushort expected)
    {
        Assert.Equal(expected, ReducedPrecision.SingleToBFloat16(BitConverter.UInt32BitsToSingle(floatBits)));
        Assert.Equal(BitConverter.UInt32BitsToSingle((uint)expected << 16), ReducedPrecision.BFloat16ToSingle(expected));
    }

    [Fact]
    public void BFloat16_NaNStaysNaN_AndHalfMatchesHandValues()
    {
        // A NaN whose payload sits only in the low 16 bits would truncate to Inf without the quiet bit.
        Assert.True(float.IsNaN(ReducedPrecision.BFloat16ToSingle(ReducedPrecision.SingleToBFloat16(BitConverter.UInt32BitsToSingle(0x7F800001u)))));
        Assert.Equal(1f, ReducedPrecision.HalfToSingle(0x3C00));
        Assert.Equal(-2f, ReducedPrecision.HalfToSingle(0xC000));
        Assert.Equal(65504f, ReducedPrecision.HalfToSingle(0x7BFF));
        Assert.Equal((ushort)0x3555, ReducedPrecision.SingleToHalf(1f / 3)); // 0.333251953125
    }

    [Fact]
    public void Writer_RefusesBadInput()
    {
        var writer = new SafetensorsWriter().Add("x", new TensorShape(1), [1f]);
        Assert.Throws<ArgumentException>(() => writer.Add("x", new TensorShape(1), [2f]));
        Assert.Throws<ArgumentException>(() => writer.Add("y", new TensorShape(2, 2), [1f, 2f]));
        Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", new TensorShape(1), [1f]));
    }

    // ---- corruption: every problem gets a DataFileException naming the file and the problem ----

    private const string ValidHeader = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    public static TheoryData<string, string> CorruptHeaders => new()
    {
        { "not json at all", "not valid JSON" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", "not valid JSON" },
        { "[1,2,3]", "is a JSON array, not an object" },
        { "{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", "tensor 'w': unknown dtype 'Q4'" },
        { "{\"w\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "unknown dtype 'f32'" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "shape [3] of F32 needs 12 bytes, but its data_offsets [0, 8] span 8" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "shape entry -2 is not a dimension" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", "out of range (end before begin)" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,-8]}}", "data offset -8 is not a non-negative integer" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}}", "no \"data_offsets\" array of two numbers" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", "no \"data_offsets\"" },
        { "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "no \"dtype\" string" },
        { "{\"w\":[1]}", "tensor 'w': its header entry is a JSON array" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "overlaps tensor" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "4 bytes at offset 0 before tensor 'w' belong to no tensor" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "4 bytes after the last tensor belong to no tensor" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", "truncated: the header declares 16 bytes of tensor data, but only 8 follow" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "lists 'w' twice" },
        { "{\"__metadata__\":{\"epochs\":30}," + ValidHeader[1..], "metadata value 'epochs' is a JSON number; the format allows only strings" },
        { "{\"__metadata__\":[\"a\"]," + ValidHeader[1..], "'__metadata__' is a JSON array, not an object of strings" },
    };

    [Theory]
    [MemberData(nameof(CorruptHeaders))]
    public void CorruptHeader_IsRefusedWithTheProblemNamed(string header, string problem)
    {
        using var temp = new TempFolder();
        var path = temp.File("bad.safetensors");
        File.WriteAllBytes(path, Build(header, [1, 2, 3, 4, 5, 6, 7, 8]));
        var e = Assert.Throws<DataFileException>(() => SafetensorsFile.Read(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains(problem, e.Problem);
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void TheValidHeaderOfTheCorruptionCases_IsItselfAccepted()
    {
        // Guards the theory above: each case fails because of its one change, not because the base is bad.
        var read = SafetensorsFile.Parse(Build(ValidHeader, [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]), "ok");
        Assert.Equal([1f, 2f], read.AsFloat32("w").ToArray());
    }

    [Fact]
    public void TooShort_AbsurdHeaderLength_HeaderBeyondTheFile_BadUtf8_TruncatedData()
    {
        Assert.Contains("too short for a safetensors file: 5 bytes", Problem([1, 2, 3, 4, 5]));

        var absurd = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(absurd, 100_000_001);
        Assert.Contains("header length 100000001 is absurd", Problem(absurd));

        var pngLike = new byte[64];
        "\x89PNG\r\n\x1a\n"u8.ToArray().CopyTo(pngLike, 0); // a foreign file: its first 8 bytes read as a huge length
        Assert.Contains("is absurd", Problem(pngLike));

        var beyond = Build(ValidHeader, new byte[8]);
        BinaryPrimitives.WriteUInt64LittleEndian(beyond, 4096);
        Assert.Contains("the header length says 4096 bytes, but only", Problem(beyond));

        var badUtf8 = Build("{\"w\xff\":{}}", []);
        badUtf8[10] = 0xFF;
        Assert.Contains("not valid UTF-8", Problem(badUtf8));

        var whole = new SafetensorsWriter().Add("w", new TensorShape(16), new float[16].Select((_, i) => i * 0.5f).ToArray()).ToArray();
        Assert.Contains("truncated: the header declares 64 bytes of tensor data, but only 61 follow", Problem(whole[..^3]));
        Assert.Contains("the header length says", Problem(whole[..20]));
    }

    [Fact]
    public void MissingFile_IsADataFileException()
    {
        using var temp = new TempFolder();
        var e = Assert.Throws<DataFileException>(() => SafetensorsFile.Read(temp.File("nope.safetensors")));
        Assert.Contains("cannot be read", e.Problem);
    }

    private static string Problem(byte[] file) => Assert.Throws<DataFileException>(() => SafetensorsFile.Parse(file, "x.safetensors")).Problem;

    /// <summary>A file from a raw header (padded with spaces to 8) and data bytes, built by hand.</summary>
    internal static byte[] Build(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var padded = (json.Length + 7) / 8 * 8;
        var file = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        json.CopyTo(file, 8);
        file.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        data.CopyTo(file, 8 + padded);
        return file;
    }
}
