namespace CudaGenre.Cuda.Blas;

// Values from cublas_api.h (cuBLAS 12.6.4, CUDA 12.6.3; zspace/system.cuda-12.6 include/cublas_api.h).
// Aliases that share a value (CUBLAS_OP_HERMITAN = CUBLAS_OP_C, CUBLAS_GEMM_DFALT = CUBLAS_GEMM_DEFAULT) are left out
// so that a value has exactly one name.

/// <summary><c>cublasStatus_t</c>: the result of every cuBLAS and cuBLASLt call.</summary>
public enum cublasStatus_t
{
    /// <summary>The call succeeded.</summary>
    CUBLAS_STATUS_SUCCESS = 0,
    /// <summary>The handle was not initialized (cublasCreate missing or failed; often no CUDA driver/device).</summary>
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    /// <summary>A resource allocation failed inside the library.</summary>
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    /// <summary>An unsupported value or parameter was passed (e.g. a negative dimension).</summary>
    CUBLAS_STATUS_INVALID_VALUE = 7,
    /// <summary>The function needs a feature the device architecture lacks.</summary>
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    /// <summary>Access to GPU memory space failed (usually a texture binding).</summary>
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    /// <summary>The GPU program failed to execute (kernel launch failure, bad device pointer...).</summary>
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    /// <summary>An internal operation failed (often a failed cudaMemcpyAsync or similar).</summary>
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    /// <summary>The requested functionality is not supported (e.g. a type/compute combination).</summary>
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    /// <summary>A licensing error.</summary>
    CUBLAS_STATUS_LICENSE_ERROR = 16,
}

/// <summary><c>cublasOperation_t</c>: what is applied to an input matrix before the product.</summary>
public enum cublasOperation_t
{
    /// <summary>No transpose.</summary>
    CUBLAS_OP_N = 0,
    /// <summary>Transpose.</summary>
    CUBLAS_OP_T = 1,
    /// <summary>Conjugate transpose (same as transpose for real types).</summary>
    CUBLAS_OP_C = 2,
    /// <summary>Conjugate, placeholder, not supported by cuBLAS.</summary>
    CUBLAS_OP_CONJG = 3,
}

/// <summary><c>cublasMath_t</c>: the handle's math mode (a bit set; <see cref="CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION"/> may be or-ed in).</summary>
[Flags]
public enum cublasMath_t
{
    /// <summary>Default: FP32 routines use FP32 FMA; no TF32 unless the compute type asks for it.</summary>
    CUBLAS_DEFAULT_MATH = 0,
    /// <summary>Deprecated; same effect as CUBLAS_COMPUTE_32F_FAST_16F.</summary>
    CUBLAS_TENSOR_OP_MATH = 1,
    /// <summary>The matching _PEDANTIC compute type everywhere (bit-exact reference behaviour).</summary>
    CUBLAS_PEDANTIC_MATH = 2,
    /// <summary>Allow TF32 tensor cores for single-precision routines such as cublasSgemm.</summary>
    CUBLAS_TF32_TENSOR_OP_MATH = 3,
    /// <summary>Force reductions to use the accumulator type, not a narrower output type.</summary>
    CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16,
}

/// <summary><c>cublasComputeType_t</c>: the type used for multiply-accumulate inside GemmEx and cuBLASLt matmuls.</summary>
public enum cublasComputeType_t
{
    /// <summary>Half accumulate.</summary>
    CUBLAS_COMPUTE_16F = 64,
    /// <summary>Half accumulate, pedantic (no tensor-core shortcuts).</summary>
    CUBLAS_COMPUTE_16F_PEDANTIC = 65,
    /// <summary>FP32 accumulate. With FP32 inputs this is the exact mode; with FP16/BF16 inputs, FP32 accumulate on tensor cores.</summary>
    CUBLAS_COMPUTE_32F = 68,
    /// <summary>FP32, pedantic.</summary>
    CUBLAS_COMPUTE_32F_PEDANTIC = 69,
    /// <summary>FP64 accumulate.</summary>
    CUBLAS_COMPUTE_64F = 70,
    /// <summary>FP64, pedantic.</summary>
    CUBLAS_COMPUTE_64F_PEDANTIC = 71,
    /// <summary>Signed 32-bit integer accumulate.</summary>
    CUBLAS_COMPUTE_32I = 72,
    /// <summary>Signed 32-bit integer, pedantic.</summary>
    CUBLAS_COMPUTE_32I_PEDANTIC = 73,
    /// <summary>FP32 accumulate; FP32 inputs may be down-converted to half (or TF32).</summary>
    CUBLAS_COMPUTE_32F_FAST_16F = 74,
    /// <summary>FP32 accumulate; FP32 inputs may be down-converted to bfloat16 (or TF32).</summary>
    CUBLAS_COMPUTE_32F_FAST_16BF = 75,
    /// <summary>FP32 accumulate; FP32 inputs may be down-converted to TF32 (the "TF32" fast mode).</summary>
    CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
}

/// <summary><c>cublasGemmAlgo_t</c>: GemmEx algorithm choice. Since CUDA 11 only the defaults matter; the numbered ALGOn values are deprecated and ignored on Ampere and later.</summary>
public enum cublasGemmAlgo_t
{
    /// <summary>Let cuBLAS pick (heuristics).</summary>
    CUBLAS_GEMM_DEFAULT = -1,
    /// <summary>Deprecated in CUDA 11; same as <see cref="CUBLAS_GEMM_DEFAULT"/> today.</summary>
    CUBLAS_GEMM_DEFAULT_TENSOR_OP = 99,
}

/// <summary><c>cublasPointerMode_t</c>: whether alpha/beta live in host or device memory.</summary>
public enum cublasPointerMode_t
{
    /// <summary>Scalars are host pointers (the default, and what the wrappers here use).</summary>
    CUBLAS_POINTER_MODE_HOST = 0,
    /// <summary>Scalars are device pointers.</summary>
    CUBLAS_POINTER_MODE_DEVICE = 1,
}
