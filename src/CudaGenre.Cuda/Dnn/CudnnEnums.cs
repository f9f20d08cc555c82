using System.Runtime.InteropServices;

namespace CudaGenre.Cuda.Dnn;

// Values from cuDNN 9.6.0's cudnn_graph.h, cudnn_ops.h and cudnn_cnn.h (zspace/system.cuda-12.6 include/).
// The legacy descriptor API used here is marked deprecated in cuDNN 9 but still present and exported by libcudnn.so.9.
// Deprecated aliases that repeat another member's value (CUDNN_STATUS_ALLOC_FAILED = 4003, CUDNN_STATUS_ARCH_MISMATCH = 3007,
// CUDNN_STATUS_MAPPING_ERROR = 4006, CUDNN_STATUS_RUNTIME_PREREQUISITE_MISSING = 3008, CUDNN_STATUS_VERSION_MISMATCH = 1002)
// are left out so that each value has one name.

/// <summary>
/// <c>cudnnStatus_t</c> as renumbered in cuDNN 9: the thousands give the category (1xxx uncategorized, 2xxx bad parameter,
/// 3xxx not supported, 4xxx internal error, 5xxx execution failed), the rest the specific error.
/// </summary>
public enum cudnnStatus_t
{
    /// <summary>Success.</summary>
    CUDNN_STATUS_SUCCESS = 0,
    /// <summary>The library was not initialized (usually cudnnCreate failed: no driver, or no device).</summary>
    CUDNN_STATUS_NOT_INITIALIZED = 1001,
    /// <summary>The cuDNN sub-libraries found are of different versions.</summary>
    CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH = 1002,
    /// <summary>Serialized data came from another cuDNN version.</summary>
    CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH = 1003,
    /// <summary>A deprecated API was used in a mode that forbids it.</summary>
    CUDNN_STATUS_DEPRECATED = 1004,
    /// <summary>A licensing error.</summary>
    CUDNN_STATUS_LICENSE_ERROR = 1005,
    /// <summary>A kernel is still running (runtime error query).</summary>
    CUDNN_STATUS_RUNTIME_IN_PROGRESS = 1006,
    /// <summary>A numerical overflow happened in a kernel.</summary>
    CUDNN_STATUS_RUNTIME_FP_OVERFLOW = 1007,
    /// <summary>A cuDNN sub-library (libcudnn_ops, _cnn, _graph, _engines_*) could not be loaded.</summary>
    CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED = 1008,
    /// <summary>An incorrect parameter was passed.</summary>
    CUDNN_STATUS_BAD_PARAM = 2000,
    /// <summary>Deprecated name of a bad parameter (use CUDNN_STATUS_BAD_PARAM).</summary>
    CUDNN_STATUS_INVALID_VALUE = 2001,
    /// <summary>A null pointer was passed.</summary>
    CUDNN_STATUS_BAD_PARAM_NULL_POINTER = 2002,
    /// <summary>A pointer is not aligned as required.</summary>
    CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER = 2003,
    /// <summary>A backend descriptor was not finalized.</summary>
    CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED = 2004,
    /// <summary>A value is out of bounds.</summary>
    CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND = 2005,
    /// <summary>A buffer (e.g. the workspace) is too small.</summary>
    CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT = 2006,
    /// <summary>Stream mismatch.</summary>
    CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH = 2007,
    /// <summary>Tensor shapes do not fit together.</summary>
    CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH = 2008,
    /// <summary>Duplicated entries.</summary>
    CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES = 2009,
    /// <summary>Wrong attribute type.</summary>
    CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE = 2010,
    /// <summary>CUDA graph mismatch (since 9.5).</summary>
    CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH = 2011,
    /// <summary>Wrong descriptor type (since 9.6).</summary>
    CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE = 2012,
    /// <summary>The configuration is not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED = 3000,
    /// <summary>Graph pattern not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN = 3001,
    /// <summary>Shape not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_SHAPE = 3002,
    /// <summary>Data type not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE = 3003,
    /// <summary>Layout not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_LAYOUT = 3004,
    /// <summary>The CUDA driver is too old for this cuDNN.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER = 3005,
    /// <summary>The CUDA runtime is incompatible.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART = 3006,
    /// <summary>The GPU architecture is not supported by this build.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH = 3007,
    /// <summary>A runtime prerequisite (e.g. NVRTC for runtime-compiled engines) is missing.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING = 3008,
    /// <summary>A sub-library needed for this operation is unavailable.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE = 3009,
    /// <summary>Not enough shared memory on this GPU.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT = 3010,
    /// <summary>Padding not supported.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_PADDING = 3011,
    /// <summary>Would lead to invalid kernel launch parameters.</summary>
    CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM = 3012,
    /// <summary>The engine does not support native CUDA graph population (since 9.5).</summary>
    CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API = 3013,
    /// <summary>Invalid dynamic shape (since 9.18; not in the 9.6 header, value as published for 9.18).</summary>
    CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE = 3014,
    /// <summary>An internal error.</summary>
    CUDNN_STATUS_INTERNAL_ERROR = 4000,
    /// <summary>A runtime kernel failed to compile.</summary>
    CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED = 4001,
    /// <summary>Unexpected internal value.</summary>
    CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE = 4002,
    /// <summary>A host allocation failed (the old CUDNN_STATUS_ALLOC_FAILED).</summary>
    CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED = 4003,
    /// <summary>A device allocation failed.</summary>
    CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED = 4004,
    /// <summary>Bad internal launch parameters.</summary>
    CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM = 4005,
    /// <summary>Texture creation failed (the old CUDNN_STATUS_MAPPING_ERROR).</summary>
    CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED = 4006,
    /// <summary>The GPU program failed to execute.</summary>
    CUDNN_STATUS_EXECUTION_FAILED = 5000,
    /// <summary>A CUDA driver call failed.</summary>
    CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER = 5001,
    /// <summary>A cuBLAS call failed.</summary>
    CUDNN_STATUS_EXECUTION_FAILED_CUBLAS = 5002,
    /// <summary>A CUDA runtime call failed.</summary>
    CUDNN_STATUS_EXECUTION_FAILED_CUDART = 5003,
    /// <summary>A cuRAND call failed.</summary>
    CUDNN_STATUS_EXECUTION_FAILED_CURAND = 5004,
}

/// <summary><c>cudnnDataType_t</c> (values of cuDNN 9.6; later 9.x versions add FP4/INT4/complex kinds after 14).</summary>
public enum cudnnDataType_t
{
    /// <summary>float.</summary>
    CUDNN_DATA_FLOAT = 0,
    /// <summary>double.</summary>
    CUDNN_DATA_DOUBLE = 1,
    /// <summary>half (binary16).</summary>
    CUDNN_DATA_HALF = 2,
    /// <summary>signed 8-bit.</summary>
    CUDNN_DATA_INT8 = 3,
    /// <summary>signed 32-bit.</summary>
    CUDNN_DATA_INT32 = 4,
    /// <summary>Deprecated vector of 4 int8.</summary>
    CUDNN_DATA_INT8x4 = 5,
    /// <summary>unsigned 8-bit.</summary>
    CUDNN_DATA_UINT8 = 6,
    /// <summary>Deprecated vector of 4 uint8.</summary>
    CUDNN_DATA_UINT8x4 = 7,
    /// <summary>Deprecated vector of 32 int8.</summary>
    CUDNN_DATA_INT8x32 = 8,
    /// <summary>bfloat16.</summary>
    CUDNN_DATA_BFLOAT16 = 9,
    /// <summary>signed 64-bit.</summary>
    CUDNN_DATA_INT64 = 10,
    /// <summary>boolean.</summary>
    CUDNN_DATA_BOOLEAN = 11,
    /// <summary>FP8 e4m3.</summary>
    CUDNN_DATA_FP8_E4M3 = 12,
    /// <summary>FP8 e5m2.</summary>
    CUDNN_DATA_FP8_E5M2 = 13,
    /// <summary>Fast float accumulator for FP8.</summary>
    CUDNN_DATA_FAST_FLOAT_FOR_FP8 = 14,
}

/// <summary><c>cudnnMathType_t</c>: which kinds of arithmetic a convolution may use.</summary>
public enum cudnnMathType_t
{
    /// <summary>Default: on Ampere and later this permits TF32 tensor cores for FP32 data, so it is NOT exact FP32.</summary>
    CUDNN_DEFAULT_MATH = 0,
    /// <summary>Tensor cores permitted (FP16/BF16 data; TF32 for FP32 data).</summary>
    CUDNN_TENSOR_OP_MATH = 1,
    /// <summary>Tensor cores permitted, with down-conversion of FP32 data to FP16.</summary>
    CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2,
    /// <summary>Only FMA kernels: the exact FP32 mode.</summary>
    CUDNN_FMA_MATH = 3,
}

/// <summary><c>cudnnNanPropagation_t</c>: whether max-style operations (ReLU, max pooling) let NaN through.</summary>
public enum cudnnNanPropagation_t
{
    /// <summary>NaN is not propagated.</summary>
    CUDNN_NOT_PROPAGATE_NAN = 0,
    /// <summary>NaN is propagated (as PyTorch does).</summary>
    CUDNN_PROPAGATE_NAN = 1,
}

/// <summary><c>cudnnTensorFormat_t</c>: memory order of a 4-d tensor or filter.</summary>
public enum cudnnTensorFormat_t
{
    /// <summary>N, C, H, W from slowest to fastest (w stride 1). For filters: K, C, R, S.</summary>
    CUDNN_TENSOR_NCHW = 0,
    /// <summary>N, H, W, C (c stride 1). For filters: K, R, S, C.</summary>
    CUDNN_TENSOR_NHWC = 1,
    /// <summary>NCHW with C vectorized (int8 layouts).</summary>
    CUDNN_TENSOR_NCHW_VECT_C = 2,
}

/// <summary><c>cudnnActivationMode_t</c>.</summary>
public enum cudnnActivationMode_t
{
    /// <summary>1 / (1 + e^-x).</summary>
    CUDNN_ACTIVATION_SIGMOID = 0,
    /// <summary>max(x, 0).</summary>
    CUDNN_ACTIVATION_RELU = 1,
    /// <summary>tanh(x).</summary>
    CUDNN_ACTIVATION_TANH = 2,
    /// <summary>min(max(x, 0), coef).</summary>
    CUDNN_ACTIVATION_CLIPPED_RELU = 3,
    /// <summary>x ≥ 0 ? x : coef·(e^x − 1).</summary>
    CUDNN_ACTIVATION_ELU = 4,
    /// <summary>x; only for cudnnConvolutionBiasActivationForward, and there only with IMPLICIT_PRECOMP_GEMM.</summary>
    CUDNN_ACTIVATION_IDENTITY = 5,
    /// <summary>x·sigmoid(β·x).</summary>
    CUDNN_ACTIVATION_SWISH = 6,
}

/// <summary><c>cudnnConvolutionMode_t</c>.</summary>
public enum cudnnConvolutionMode_t
{
    /// <summary>True convolution (flipped filter).</summary>
    CUDNN_CONVOLUTION = 0,
    /// <summary>Cross-correlation, which is what deep-learning frameworks call convolution.</summary>
    CUDNN_CROSS_CORRELATION = 1,
}

/// <summary><c>cudnnConvolutionFwdAlgo_t</c>.</summary>
public enum cudnnConvolutionFwdAlgo_t
{
    /// <summary>Implicit GEMM.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM = 0,
    /// <summary>Implicit GEMM with precomputed indices; the only one allowed with an IDENTITY fused activation.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM = 1,
    /// <summary>Explicit GEMM (im2col).</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_GEMM = 2,
    /// <summary>Direct.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_DIRECT = 3,
    /// <summary>FFT.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_FFT = 4,
    /// <summary>Tiled FFT.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING = 5,
    /// <summary>Winograd.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD = 6,
    /// <summary>Winograd, non-fused.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED = 7,
    /// <summary>Number of algorithms.</summary>
    CUDNN_CONVOLUTION_FWD_ALGO_COUNT = 8,
}

/// <summary><c>cudnnDeterminism_t</c>.</summary>
public enum cudnnDeterminism_t
{
    /// <summary>Results may differ bitwise between runs.</summary>
    CUDNN_NON_DETERMINISTIC = 0,
    /// <summary>Bitwise reproducible.</summary>
    CUDNN_DETERMINISTIC = 1,
}

/// <summary><c>cudnnPoolingMode_t</c>.</summary>
public enum cudnnPoolingMode_t
{
    /// <summary>Maximum over the window.</summary>
    CUDNN_POOLING_MAX = 0,
    /// <summary>Average; padded values count in the divisor (PyTorch's count_include_pad=True).</summary>
    CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING = 1,
    /// <summary>Average; padded values do not count.</summary>
    CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING = 2,
    /// <summary>Maximum, deterministic backward.</summary>
    CUDNN_POOLING_MAX_DETERMINISTIC = 3,
}

/// <summary><c>cudnnSoftmaxAlgorithm_t</c>.</summary>
public enum cudnnSoftmaxAlgorithm_t
{
    /// <summary>exp(x)/Σexp(x) directly; can overflow.</summary>
    CUDNN_SOFTMAX_FAST = 0,
    /// <summary>Subtracts the maximum first (what frameworks do).</summary>
    CUDNN_SOFTMAX_ACCURATE = 1,
    /// <summary>log-softmax.</summary>
    CUDNN_SOFTMAX_LOG = 2,
}

/// <summary><c>cudnnSoftmaxMode_t</c>.</summary>
public enum cudnnSoftmaxMode_t
{
    /// <summary>Over C, H and W together, per image.</summary>
    CUDNN_SOFTMAX_MODE_INSTANCE = 0,
    /// <summary>Over C, per (n, h, w).</summary>
    CUDNN_SOFTMAX_MODE_CHANNEL = 1,
}

/// <summary>
/// <c>cudnnConvolutionFwdAlgoPerf_t</c> (cudnn_cnn.h): algo at 0, status at 4, time (ms) at 8, memory (size_t) at 16,
/// determinism at 24, mathType at 28, reserved[3] at 32; 48 bytes in all (44 rounded up to size_t alignment).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct cudnnConvolutionFwdAlgoPerf_t
{
    /// <summary>The algorithm.</summary>
    public cudnnConvolutionFwdAlgo_t algo;
    /// <summary>Success when the other fields are valid.</summary>
    public cudnnStatus_t status;
    /// <summary>Measured (Find) or estimated (heuristic, -1 when unknown) time in milliseconds.</summary>
    public float time;
    /// <summary>Workspace needed, in bytes.</summary>
    public nuint memory;
    /// <summary>Whether results are reproducible.</summary>
    public cudnnDeterminism_t determinism;
    /// <summary>The math type the result was obtained with; set it on the convolution descriptor to run the same way.</summary>
    public cudnnMathType_t mathType;
    /// <summary>Reserved.</summary>
    public fixed int reserved[3];
}
