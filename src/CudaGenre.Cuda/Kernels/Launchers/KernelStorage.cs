using CudaGenre.Cuda.Dnn;

namespace CudaGenre.Cuda.Kernels.Launchers;

/// <summary>
/// Storage type of a tensor's elements on the device (the arithmetic is always FP32): what the kernels are compiled
/// for (<c>kernels/precision.cuh</c> defines the 16-bit types) and what cuDNN is told. The engine's public
/// <c>Precision</c> picks one of these (its <c>PrecisionTraits</c>); this layer knows nothing of precisions.
/// </summary>
public enum KernelStorage
{
    /// <summary><c>float</c>: "f32".</summary>
    F32,

    /// <summary><c>cg_half</c> (IEEE binary16): "f16".</summary>
    F16,

    /// <summary><c>cg_bf16</c> (bfloat16): "bf16".</summary>
    BF16,
}

/// <summary>
/// Everything that follows from a <see cref="KernelStorage"/>, in one table: its entry-point suffix, the C type the
/// kernels instantiate under that suffix (<c>kernels/precision.cuh</c> defines the 16-bit ones), its size, and cuDNN's
/// data type. This table is the one source of these facts; precision.cuh cannot share it (another language), so a test
/// (PrecisionHeaderTests) checks the header and every entry point's instantiation against it.
/// </summary>
public static class KernelStorageFacts
{
    private sealed record Facts(string Suffix, string CType, int Bytes, cudnnDataType_t CudnnDataType);

    private static readonly Facts[] Table =
    [
        new("f32", "float", 4, cudnnDataType_t.CUDNN_DATA_FLOAT),
        new("f16", "cg_half", 2, cudnnDataType_t.CUDNN_DATA_HALF),
        new("bf16", "cg_bf16", 2, cudnnDataType_t.CUDNN_DATA_BFLOAT16),
    ];

    private static Facts Of(KernelStorage storage) =>
        (uint)storage < (uint)Table.Length ? Table[(int)storage] : throw new ArgumentOutOfRangeException(nameof(storage), storage, "unknown storage type");

    /// <summary>"f32", "f16" or "bf16": the precision part of an entry-point name.</summary>
    public static string Suffix(this KernelStorage storage) => Of(storage).Suffix;

    /// <summary>The kernels' C type for it: "float", "cg_half" or "cg_bf16".</summary>
    public static string CType(this KernelStorage storage) => Of(storage).CType;

    /// <summary>Bytes per element: 4 or 2.</summary>
    public static int Bytes(this KernelStorage storage) => Of(storage).Bytes;

    /// <summary>cuDNN's name for the storage type.</summary>
    public static cudnnDataType_t CudnnDataType(this KernelStorage storage) => Of(storage).CudnnDataType;
}
