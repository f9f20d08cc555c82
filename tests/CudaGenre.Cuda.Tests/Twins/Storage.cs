using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace CudaGenre.Cuda.Tests.Twins;

/// <summary>
/// Conversions between FP32 values and the kernels' storage types, with the rounding the kernels use
/// (precision.cuh: round to nearest even, overflow to ±inf, NaN stays NaN). Twins keep tensors as
/// <c>float[]</c> and pass every load and store through <see cref="Round"/>; GPU tests upload
/// <see cref="Encode"/> of the same arrays and read results back with <see cref="Decode"/>.
/// </summary>
public static class Storage
{
    /// <summary>The value <paramref name="x"/> takes when stored as <paramref name="type"/> and loaded back.</summary>
    public static float Round(KernelStorage type, float x) => type switch
    {
        KernelStorage.F32 => x,
        KernelStorage.F16 => (float)(Half)x,
        KernelStorage.BF16 => Bf16.ToFloat(Bf16.FromFloat(x)),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown storage type"),
    };

    /// <summary>Every element of <paramref name="values"/> as <paramref name="type"/>, little-endian bytes (what a kernel reads).</summary>
    public static byte[] Encode(KernelStorage type, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * type.Bytes()];
        for (var i = 0; i < values.Length; i++)
        {
            switch (type)
            {
                case KernelStorage.F32:
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
                    break;
                case KernelStorage.F16:
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
    public static float[] Decode(KernelStorage type, ReadOnlySpan<byte> bytes)
    {
        var size = type.Bytes();
        if (bytes.Length % size != 0)
            throw new ArgumentException($"{bytes.Length} bytes is not a whole number of {type.Suffix()} elements.", nameof(bytes));
        var values = new float[bytes.Length / size];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = type switch
            {
                KernelStorage.F32 => BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]),
                KernelStorage.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]),
                _ => Bf16.ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..])),
            };
        }
        return values;
    }

    /// <summary>Flat index of element (n, c, h, w) of an N × C × H × W tensor stored NHWC (the kernels' layout).</summary>
    public static int NhwcIndex(int n, int c, int h, int w, int channels, int height, int width) =>
        (((((n * height) + h) * width) + w) * channels) + c;

    /// <summary>The shape check every twin of an N × C × H × W input starts with: each dimension at least 1, <paramref name="x"/> of N·C·H·W elements.</summary>
    internal static void RequireTensor(float[] x, int nBatch, int channels, int height, int width, [CallerArgumentExpression(nameof(x))] string name = "")
    {
        ArgumentNullException.ThrowIfNull(x, name);
        RequirePositive(nameof(nBatch), nBatch);
        RequirePositive(nameof(channels), channels);
        RequirePositive(nameof(height), height);
        RequirePositive(nameof(width), width);
        RequireLength(name, x.Length, (long)nBatch * channels * height * width);
    }

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
