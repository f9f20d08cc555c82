using System.Runtime.InteropServices;

namespace CudaGenre.Cuda.Blas;

// Values and layouts from cublasLt.h (cuBLAS 12.6.4, CUDA 12.6.3; zspace/system.cuda-12.6 include/cublasLt.h).
// The comment after each attribute is the C type cuBLASLt expects for its value; the size passed must match it.

/// <summary><c>cublasLtMatmulDescAttributes_t</c>: settable properties of a matmul descriptor.</summary>
public enum cublasLtMatmulDescAttributes_t
{
    /// <summary>cublasComputeType_t as int32.</summary>
    CUBLASLT_MATMUL_DESC_COMPUTE_TYPE = 0,
    /// <summary>cudaDataType_t of alpha/beta, int32.</summary>
    CUBLASLT_MATMUL_DESC_SCALE_TYPE = 1,
    /// <summary>cublasLtPointerMode_t, int32.</summary>
    CUBLASLT_MATMUL_DESC_POINTER_MODE = 2,
    /// <summary>cublasOperation_t of A, int32.</summary>
    CUBLASLT_MATMUL_DESC_TRANSA = 3,
    /// <summary>cublasOperation_t of B, int32.</summary>
    CUBLASLT_MATMUL_DESC_TRANSB = 4,
    /// <summary>cublasOperation_t of C (only N), int32.</summary>
    CUBLASLT_MATMUL_DESC_TRANSC = 5,
    /// <summary>cublasFillMode_t, int32.</summary>
    CUBLASLT_MATMUL_DESC_FILL_MODE = 6,
    /// <summary>cublasLtEpilogue_t, uint32.</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE = 7,
    /// <summary>Device pointer to the bias vector (length = rows of D), const void*.</summary>
    CUBLASLT_MATMUL_DESC_BIAS_POINTER = 8,
    /// <summary>Bias batch stride in elements, int64.</summary>
    CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE = 10,
    /// <summary>Epilogue auxiliary buffer, void*.</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER = 11,
    /// <summary>Auxiliary buffer leading dimension, int64.</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD = 12,
    /// <summary>Auxiliary buffer batch stride, int64.</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_BATCH_STRIDE = 13,
    /// <summary>Alpha vector batch stride, int64.</summary>
    CUBLASLT_MATMUL_DESC_ALPHA_VECTOR_BATCH_STRIDE = 14,
    /// <summary>Number of SMs to target, int32.</summary>
    CUBLASLT_MATMUL_DESC_SM_COUNT_TARGET = 15,
    /// <summary>Scale factor pointer for A (FP8), const void*.</summary>
    CUBLASLT_MATMUL_DESC_A_SCALE_POINTER = 17,
    /// <summary>Scale factor pointer for B, const void*.</summary>
    CUBLASLT_MATMUL_DESC_B_SCALE_POINTER = 18,
    /// <summary>Scale factor pointer for C, const void*.</summary>
    CUBLASLT_MATMUL_DESC_C_SCALE_POINTER = 19,
    /// <summary>Scale factor pointer for D, const void*.</summary>
    CUBLASLT_MATMUL_DESC_D_SCALE_POINTER = 20,
    /// <summary>Pointer receiving max |D|, void*.</summary>
    CUBLASLT_MATMUL_DESC_AMAX_D_POINTER = 21,
    /// <summary>cudaDataType_t of the auxiliary buffer, int32.</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_DATA_TYPE = 22,
    /// <summary>Scale pointer of the auxiliary buffer, void*.</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_SCALE_POINTER = 23,
    /// <summary>Amax pointer of the auxiliary buffer, void*.</summary>
    CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_AMAX_POINTER = 24,
    /// <summary>FP8 fast accumulation flag, int8.</summary>
    CUBLASLT_MATMUL_DESC_FAST_ACCUM = 25,
    /// <summary>cudaDataType_t of the bias vector, int32 (default -1: the type of D).</summary>
    CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE = 26,
}

/// <summary><c>cublasLtEpilogue_t</c>: what is applied to alpha·op(A)·op(B) + beta·C before D is stored.</summary>
public enum cublasLtEpilogue_t : uint
{
    /// <summary>Nothing beyond scaling.</summary>
    CUBLASLT_EPILOGUE_DEFAULT = 1,
    /// <summary>max(x, 0).</summary>
    CUBLASLT_EPILOGUE_RELU = 2,
    /// <summary>ReLU, also writing a bit mask to the auxiliary buffer.</summary>
    CUBLASLT_EPILOGUE_RELU_AUX = 2 | 128,
    /// <summary>Adds the bias vector (one value per row of D, broadcast over columns).</summary>
    CUBLASLT_EPILOGUE_BIAS = 4,
    /// <summary>Bias, then ReLU.</summary>
    CUBLASLT_EPILOGUE_RELU_BIAS = 2 | 4,
    /// <summary>Bias, then ReLU, with the mask.</summary>
    CUBLASLT_EPILOGUE_RELU_AUX_BIAS = 2 | 128 | 4,
    /// <summary>ReLU gradient (training).</summary>
    CUBLASLT_EPILOGUE_DRELU = 8 | 128,
    /// <summary>ReLU and bias gradients (training).</summary>
    CUBLASLT_EPILOGUE_DRELU_BGRAD = 8 | 128 | 16,
    /// <summary>GELU.</summary>
    CUBLASLT_EPILOGUE_GELU = 32,
    /// <summary>GELU, also writing its input to the auxiliary buffer.</summary>
    CUBLASLT_EPILOGUE_GELU_AUX = 32 | 128,
    /// <summary>Bias, then GELU.</summary>
    CUBLASLT_EPILOGUE_GELU_BIAS = 32 | 4,
    /// <summary>Bias, then GELU, with the auxiliary output.</summary>
    CUBLASLT_EPILOGUE_GELU_AUX_BIAS = 32 | 128 | 4,
    /// <summary>GELU gradient (training).</summary>
    CUBLASLT_EPILOGUE_DGELU = 64 | 128,
    /// <summary>GELU and bias gradients (training).</summary>
    CUBLASLT_EPILOGUE_DGELU_BGRAD = 64 | 128 | 16,
    /// <summary>Bias gradient from A (training).</summary>
    CUBLASLT_EPILOGUE_BGRADA = 256,
    /// <summary>Bias gradient from B (training).</summary>
    CUBLASLT_EPILOGUE_BGRADB = 512,
}

/// <summary><c>cublasLtMatrixLayoutAttribute_t</c>: settable properties of a matrix layout.</summary>
public enum cublasLtMatrixLayoutAttribute_t
{
    /// <summary>cudaDataType_t, uint32.</summary>
    CUBLASLT_MATRIX_LAYOUT_TYPE = 0,
    /// <summary>cublasLtOrder_t, int32 (default column-major).</summary>
    CUBLASLT_MATRIX_LAYOUT_ORDER = 1,
    /// <summary>Rows, uint64.</summary>
    CUBLASLT_MATRIX_LAYOUT_ROWS = 2,
    /// <summary>Columns, uint64.</summary>
    CUBLASLT_MATRIX_LAYOUT_COLS = 3,
    /// <summary>Leading dimension in elements, int64.</summary>
    CUBLASLT_MATRIX_LAYOUT_LD = 4,
    /// <summary>Batch count, int32 (default 1).</summary>
    CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT = 5,
    /// <summary>Elements between consecutive matrices of a batch, int64.</summary>
    CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET = 6,
    /// <summary>Bytes to the imaginary plane of planar complex data, int64.</summary>
    CUBLASLT_MATRIX_LAYOUT_PLANE_OFFSET = 7,
}

/// <summary><c>cublasLtOrder_t</c>: memory order of a matrix.</summary>
public enum cublasLtOrder_t
{
    /// <summary>Column-major; the leading dimension is the stride between columns.</summary>
    CUBLASLT_ORDER_COL = 0,
    /// <summary>Row-major; the leading dimension is the stride between rows.</summary>
    CUBLASLT_ORDER_ROW = 1,
    /// <summary>Tiles of 32 columns (IMMA).</summary>
    CUBLASLT_ORDER_COL32 = 2,
    /// <summary>IMMA tile layout.</summary>
    CUBLASLT_ORDER_COL4_4R2_8C = 3,
    /// <summary>IMMA tile layout.</summary>
    CUBLASLT_ORDER_COL32_2R_4R4 = 4,
}

/// <summary><c>cublasLtMatmulPreferenceAttributes_t</c>: limits for the algorithm heuristic.</summary>
public enum cublasLtMatmulPreferenceAttributes_t
{
    /// <summary>cublasLtMatmulSearch_t, uint32.</summary>
    CUBLASLT_MATMUL_PREF_SEARCH_MODE = 0,
    /// <summary>Most workspace an algorithm may need, in bytes, uint64 (default 0: none).</summary>
    CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1,
    /// <summary>Allowed reduction schemes, uint32.</summary>
    CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK = 3,
    /// <summary>Guaranteed alignment of A in bytes, uint32 (default 256).</summary>
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES = 5,
    /// <summary>Guaranteed alignment of B in bytes, uint32.</summary>
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES = 6,
    /// <summary>Guaranteed alignment of C in bytes, uint32.</summary>
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES = 7,
    /// <summary>Guaranteed alignment of D in bytes, uint32.</summary>
    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES = 8,
    /// <summary>Maximum waves count, float.</summary>
    CUBLASLT_MATMUL_PREF_MAX_WAVES_COUNT = 9,
    /// <summary>Allowed numerical implementations (cublasLtNumericalImplFlags_t), uint64.</summary>
    CUBLASLT_MATMUL_PREF_IMPL_MASK = 12,
}

/// <summary><c>cublasLtMatmulAlgo_t</c>: an opaque, fully configured algorithm: 8 × uint64 = 64 bytes, copied by value.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct cublasLtMatmulAlgo_t
{
    /// <summary>Opaque content; only cuBLASLt reads it.</summary>
    public fixed ulong data[8];
}

/// <summary>
/// <c>cublasLtMatmulHeuristicResult_t</c>, one entry of <c>cublasLtMatmulAlgoGetHeuristic</c>'s answer:
/// algo (64 bytes) at 0, workspaceSize (size_t) at 64, state at 72, wavesCount at 76, reserved[4] at 80; 96 bytes in all.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct cublasLtMatmulHeuristicResult_t
{
    /// <summary>The configured algorithm, to pass to cublasLtMatmul.</summary>
    public cublasLtMatmulAlgo_t algo;
    /// <summary>Workspace the algorithm needs, in bytes.</summary>
    public nuint workspaceSize;
    /// <summary>Success when the other fields are valid.</summary>
    public cublasStatus_t state;
    /// <summary>Device utilization estimate; 1.0 fills the GPU once.</summary>
    public float wavesCount;
    /// <summary>Reserved.</summary>
    public fixed int reserved[4];
}
