using System.Buffers.Binary;

namespace CudaGenre.Core.Tensors;

/// <summary>
/// Conversions between float32 and the 16-bit floating-point formats stored in model files:
/// IEEE half (F16) and bfloat16 (BF16). Narrowing rounds to nearest, ties to even; NaN stays NaN.
/// </summary>
public static class ReducedPrecision
{
    /// <summary>The float32 value of a bfloat16 bit pattern (exact: bfloat16 is a truncated float32).</summary>
    public static float BFloat16ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>The bfloat16 bit pattern nearest to <paramref name="value"/> (ties to even; NaN → quiet NaN with the same sign).</summary>
    public static ushort SingleToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return (ushort)((bits >> 16) | 0x0040); // keep sign, force the quiet bit so truncation cannot make it Inf
        var roundingBias = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>The float32 value of an IEEE half bit pattern (exact).</summary>
    public static float HalfToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>The IEEE half bit pattern nearest to <paramref name="value"/> (ties to even; overflow → ±Inf).</summary>
    public static ushort SingleToHalf(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>
    /// Converts little-endian elements of a floating-point <paramref name="dtype"/> (F32, F64, F16 or
    /// BF16) to float32. F64 is rounded to nearest.
    /// </summary>
    /// <exception cref="ArgumentException">The dtype is not a floating-point type, or the lengths do not match.</exception>
    public static void ToSingle(ReadOnlySpan<byte> source, TensorDType dtype, Span<float> destination)
    {
        var size = dtype.SizeInBytes();
        if (source.Length != destination.Length * size)
            throw new ArgumentException($"{source.Length} bytes of {dtype.SafetensorsName()} are not {destination.Length} elements.", nameof(source));
        switch (dtype)
        {
            case TensorDType.F32:
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]);
                break;
            case TensorDType.F64:
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(source[(8 * i)..]);
                break;
            case TensorDType.F16:
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = HalfToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]));
                break;
            case TensorDType.BF16:
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = BFloat16ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]));
                break;
            default:
                throw new ArgumentException($"{dtype.SafetensorsName()} is not a floating-point dtype.", nameof(dtype));
        }
    }
}
