using System.Buffers.Binary;

namespace CudaGenre.Cuda.Tests.Twins;

/// <summary>Memory layout of an N × C × H × W tensor, as in the kernels' entry-point names.</summary>
public enum Layout
{
    /// <summary>Channels last: (n, c, h, w) at ((n·H + h)·W + w)·C + c.</summary>
    Nhwc,

    /// <summary>Channels first: (n, c, h, w) at ((n·C + c)·H + h)·W + w.</summary>
    Nchw,
}

/// <summary>Storage type of a tensor's elements (the arithmetic is always FP32).</summary>
public enum StorageType
{
    /// <summary>IEEE binary32 (<c>float</c>).</summary>
    F32,

    /// <summary>IEEE binary16 (<c>cg_half</c>, <see cref="Half"/>).</summary>
    F16,

    /// <summary>bfloat16 (<c>cg_bf16</c>): the upper 16 bits of a binary32.</summary>
    BF16,
}

/// <summary>
/// Conversions between FP32 values and the kernels' storage types, with the rounding the kernels use
/// (precision.cuh: round to nearest even, overflow to ±inf, NaN stays NaN). Twins keep tensors as
/// <c>float[]</c> and pass every load and store through <see cref="Round"/>; GPU tests upload
/// <see cref="Encode"/> of the same arrays and read results back with <see cref="Decode"/>.
/// </summary>
public static class Storage
{
    /// <summary>Bytes per element.</summary>
    public static int Size(StorageType type) => type == StorageType.F32 ? 4 : 2;

    /// <summary>The precision part of an entry-point name: f32, f16 or bf16.</summary>
    public static string Suffix(StorageType type) => type switch
    {
        StorageType.F32 => "f32",
        StorageType.F16 => "f16",
        StorageType.BF16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown storage type"),
    };

    /// <summary>The layout part of an entry-point name: nhwc or nchw.</summary>
    public static string Suffix(Layout layout) => layout switch
    {
        Layout.Nhwc => "nhwc",
        Layout.Nchw => "nchw",
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "unknown layout"),
    };

    /// <summary>The value <paramref name="x"/> takes when stored as <paramref name="type"/> and loaded back.</summary>
    public static float Round(StorageType type, float x) => type switch
    {
        StorageType.F32 => x,
        StorageType.F16 => (float)(Half)x,
        StorageType.BF16 => Bf16.ToFloat(Bf16.FromFloat(x)),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown storage type"),
    };

    /// <summary>Every element of <paramref name="values"/> as <paramref name="type"/>, little-endian bytes (what a kernel reads).</summary>
    public static byte[] Encode(StorageType type, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * Size(type)];
        for (var i = 0; i < values.Length; i++)
        {
            switch (type)
            {
                case StorageType.F32:
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
                    break;
                case StorageType.F16:
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
                    break;
                default:
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), Bf16.FromFloat(values[i]));
                    break;
            }
        }
        return bytes;
    }

    /// <summary>The inverse of <see cref="Encode"/>: little-endian <paramref name="type"/> elements as floats (exact).</summary>
    public static float[] Decode(StorageType type, ReadOnlySpan<byte> bytes)
    {
        var size = Size(type);
        if (bytes.Length % size != 0)
            throw new ArgumentException($"{bytes.Length} bytes is not a whole number of {Suffix(type)} elements.", nameof(bytes));
        var values = new float[bytes.Length / size];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = type switch
            {
                StorageType.F32 => BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]),
                StorageType.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]),
                _ => Bf16.ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..])),
            };
        }
        return values;
    }

    /// <summary>Flat index of element (n, c, h, w) of an N × C × H × W tensor in <paramref name="layout"/>.</summary>
    public static int Index(Layout layout, int n, int c, int h, int w, int channels, int height, int width) =>
        layout == Layout.Nhwc
            ? (((((n * height) + h) * width) + w) * channels) + c
            : (((((n * channels) + c) * height) + h) * width) + w;

    internal static void RequireLength(string name, int length, long expected)
    {
        if (length != expected)
            throw new ArgumentException($"{name} holds {length} elements; {expected} are needed.", name);
    }

    internal static void RequirePositive(string name, int value)
    {
        if (value < 1)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1.");
    }
}

/// <summary>bfloat16 bit patterns (the upper 16 bits of a binary32).</summary>
public static class Bf16
{
    /// <summary>
    /// Rounds <paramref name="x"/> to bfloat16, to nearest even on the 16 dropped bits (what PTX
    /// <c>cvt.rn.bf16.f32</c> does); overflow gives ±inf, a NaN gives a quiet NaN of the same sign.
    /// </summary>
    public static ushort FromFloat(float x)
    {
        var u = BitConverter.SingleToUInt32Bits(x);
        if ((u & 0x7fffffffu) > 0x7f800000u)
            return (ushort)((u >> 16) | 0x0040u);
        return (ushort)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }

    /// <summary>The exact binary32 value of bfloat16 bits <paramref name="bits"/>.</summary>
    public static float ToFloat(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);
}
