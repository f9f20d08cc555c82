namespace CudaGenre.Core.Tensors;

/// <summary>
/// Element types of a tensor in a safetensors file. The member names are the format's dtype strings
/// (<c>"F32"</c>, <c>"BF16"</c>, …), except <see cref="Bool"/> which is written <c>"BOOL"</c>.
/// All types are stored little-endian.
/// </summary>
public enum TensorDType
{
    /// <summary>IEEE 754 binary32 (4 bytes).</summary>
    F32,

    /// <summary>IEEE 754 binary16, half precision (2 bytes).</summary>
    F16,

    /// <summary>bfloat16: the upper 16 bits of a binary32 (2 bytes).</summary>
    BF16,

    /// <summary>IEEE 754 binary64 (8 bytes).</summary>
    F64,

    /// <summary>Signed 64-bit integer (8 bytes), e.g. BatchNorm's <c>num_batches_tracked</c> or labels.</summary>
    I64,

    /// <summary>Signed 32-bit integer (4 bytes).</summary>
    I32,

    /// <summary>Signed 16-bit integer (2 bytes).</summary>
    I16,

    /// <summary>Signed 8-bit integer (1 byte).</summary>
    I8,

    /// <summary>Unsigned 64-bit integer (8 bytes).</summary>
    U64,

    /// <summary>Unsigned 32-bit integer (4 bytes).</summary>
    U32,

    /// <summary>Unsigned 16-bit integer (2 bytes).</summary>
    U16,

    /// <summary>Unsigned 8-bit integer (1 byte).</summary>
    U8,

    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    Bool,
}

/// <summary>Sizes and names of <see cref="TensorDType"/> values.</summary>
public static class TensorDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeInBytes(this TensorDType dtype) => dtype switch
    {
        TensorDType.F64 or TensorDType.I64 or TensorDType.U64 => 8,
        TensorDType.F32 or TensorDType.I32 or TensorDType.U32 => 4,
        TensorDType.F16 or TensorDType.BF16 or TensorDType.I16 or TensorDType.U16 => 2,
        TensorDType.I8 or TensorDType.U8 or TensorDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a tensor dtype"),
    };

    /// <summary>The dtype string of the safetensors header (<c>"F32"</c>, <c>"BOOL"</c>, …).</summary>
    public static string SafetensorsName(this TensorDType dtype) => dtype switch
    {
        TensorDType.Bool => "BOOL",
        _ when Enum.IsDefined(dtype) => dtype.ToString(),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a tensor dtype"),
    };

    /// <summary>Parses a safetensors dtype string (exact, case-sensitive as the format requires).</summary>
    /// <returns>False for a dtype this reader does not know (e.g. the FP8 types).</returns>
    public static bool TryParseSafetensorsName(string name, out TensorDType dtype)
    {
        foreach (var candidate in Enum.GetValues<TensorDType>())
        {
            if (string.Equals(candidate.SafetensorsName(), name, StringComparison.Ordinal))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    /// <summary>
    /// Position in the data section as the reference safetensors library lays tensors out: larger
    /// alignment first (so every tensor starts aligned to its element size), ties in the library's
    /// dtype order. Lower rank comes first.
    /// </summary>
    internal static int LayoutRank(this TensorDType dtype) => dtype switch
    {
        // The library sorts by its Dtype enum descending: U64, I64, F64, F32, U32, I32, BF16, F16, U16, I16, I8, U8, BOOL.
        TensorDType.U64 => 0,
        TensorDType.I64 => 1,
        TensorDType.F64 => 2,
        TensorDType.F32 => 3,
        TensorDType.U32 => 4,
        TensorDType.I32 => 5,
        TensorDType.BF16 => 6,
        TensorDType.F16 => 7,
        TensorDType.U16 => 8,
        TensorDType.I16 => 9,
        TensorDType.I8 => 10,
        TensorDType.U8 => 11,
        TensorDType.Bool => 12,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a tensor dtype"),
    };
}
