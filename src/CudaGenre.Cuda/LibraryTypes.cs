namespace CudaGenre.Cuda;

// Values from library_types.h (CUDA 12.6.3, zspace/system.cuda-12.6 include/library_types.h).
// CUDA 12.8+ adds more 8/6/4-bit float kinds after CUDA_R_8F_E5M2; they are not used here.

/// <summary>
/// <c>cudaDataType_t</c>: the element type of a matrix or of a scale/compute value in cuBLAS and cuBLASLt.
/// "R" is real, "C" complex; the number is the bit width of one real part.
/// </summary>
public enum cudaDataType_t
{
    /// <summary>float (32-bit IEEE).</summary>
    CUDA_R_32F = 0,
    /// <summary>double (64-bit IEEE).</summary>
    CUDA_R_64F = 1,
    /// <summary>half (IEEE binary16).</summary>
    CUDA_R_16F = 2,
    /// <summary>signed 8-bit integer.</summary>
    CUDA_R_8I = 3,
    /// <summary>complex of two floats.</summary>
    CUDA_C_32F = 4,
    /// <summary>complex of two doubles.</summary>
    CUDA_C_64F = 5,
    /// <summary>complex of two halves.</summary>
    CUDA_C_16F = 6,
    /// <summary>complex of two signed 8-bit integers.</summary>
    CUDA_C_8I = 7,
    /// <summary>unsigned 8-bit integer.</summary>
    CUDA_R_8U = 8,
    /// <summary>complex of two unsigned 8-bit integers.</summary>
    CUDA_C_8U = 9,
    /// <summary>signed 32-bit integer.</summary>
    CUDA_R_32I = 10,
    /// <summary>complex of two signed 32-bit integers.</summary>
    CUDA_C_32I = 11,
    /// <summary>unsigned 32-bit integer.</summary>
    CUDA_R_32U = 12,
    /// <summary>complex of two unsigned 32-bit integers.</summary>
    CUDA_C_32U = 13,
    /// <summary>bfloat16 (8-bit exponent, 7-bit mantissa).</summary>
    CUDA_R_16BF = 14,
    /// <summary>complex of two bfloat16.</summary>
    CUDA_C_16BF = 15,
    /// <summary>signed 4-bit integer.</summary>
    CUDA_R_4I = 16,
    /// <summary>complex of two signed 4-bit integers.</summary>
    CUDA_C_4I = 17,
    /// <summary>unsigned 4-bit integer.</summary>
    CUDA_R_4U = 18,
    /// <summary>complex of two unsigned 4-bit integers.</summary>
    CUDA_C_4U = 19,
    /// <summary>signed 16-bit integer.</summary>
    CUDA_R_16I = 20,
    /// <summary>complex of two signed 16-bit integers.</summary>
    CUDA_C_16I = 21,
    /// <summary>unsigned 16-bit integer.</summary>
    CUDA_R_16U = 22,
    /// <summary>complex of two unsigned 16-bit integers.</summary>
    CUDA_C_16U = 23,
    /// <summary>signed 64-bit integer.</summary>
    CUDA_R_64I = 24,
    /// <summary>complex of two signed 64-bit integers.</summary>
    CUDA_C_64I = 25,
    /// <summary>unsigned 64-bit integer.</summary>
    CUDA_R_64U = 26,
    /// <summary>complex of two unsigned 64-bit integers.</summary>
    CUDA_C_64U = 27,
    /// <summary>FP8 e4m3.</summary>
    CUDA_R_8F_E4M3 = 28,
    /// <summary>FP8 e5m2.</summary>
    CUDA_R_8F_E5M2 = 29,
}

/// <summary><c>libraryPropertyType_t</c>: which part of a library's version <c>cublasGetProperty</c>/<c>cudnnGetProperty</c> returns.</summary>
public enum libraryPropertyType_t
{
    /// <summary>Major version, e.g. 13 for cuBLAS 13.0.2.</summary>
    MAJOR_VERSION = 0,
    /// <summary>Minor version.</summary>
    MINOR_VERSION = 1,
    /// <summary>Patch level.</summary>
    PATCH_LEVEL = 2,
}

/// <summary>Sizes of the <see cref="cudaDataType_t"/> element types this project moves around.</summary>
public static class CudaDataTypes
{
    /// <summary>Bytes per element of a real type (FP32, FP16, BF16, FP64, 8/16/32/64-bit integers, FP8).</summary>
    /// <exception cref="ArgumentOutOfRangeException">For complex and sub-byte types.</exception>
    public static int SizeOf(cudaDataType_t type) => type switch
    {
        cudaDataType_t.CUDA_R_32F or cudaDataType_t.CUDA_R_32I or cudaDataType_t.CUDA_R_32U => 4,
        cudaDataType_t.CUDA_R_16F or cudaDataType_t.CUDA_R_16BF or cudaDataType_t.CUDA_R_16I or cudaDataType_t.CUDA_R_16U => 2,
        cudaDataType_t.CUDA_R_64F or cudaDataType_t.CUDA_R_64I or cudaDataType_t.CUDA_R_64U => 8,
        cudaDataType_t.CUDA_R_8I or cudaDataType_t.CUDA_R_8U or cudaDataType_t.CUDA_R_8F_E4M3 or cudaDataType_t.CUDA_R_8F_E5M2 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "only real types of one byte or more have a per-element size here"),
    };
}
