using Microsoft.Win32.SafeHandles;

namespace CudaGenre.Cuda.Blas;

/// <summary>
/// A cuBLAS context (<c>cublasHandle_t</c>). Bound to the CUDA context current on the calling thread when created;
/// every call made through it must run with that context current. Not thread-safe: use one handle per stream.
/// Matrices are column-major, as in BLAS: element (row i, column j) of an m×n matrix with leading dimension ld
/// is at index i + j·ld. A row-major matrix is the column-major view of its transpose.
/// </summary>
public sealed unsafe class CublasHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>For the interop marshaller; use <see cref="Create"/>.</summary>
    public CublasHandle() : base(ownsHandle: true)
    {
    }

    /// <summary>Creates a handle (<c>cublasCreate_v2</c>). Needs a current CUDA context.</summary>
    /// <exception cref="CudaException">cuBLAS reported a failure (e.g. CUBLAS_STATUS_NOT_INITIALIZED without a device).</exception>
    public static CublasHandle Create()
    {
        CublasStatus.Check(CublasApi.cublasCreate_v2(out var raw));
        var handle = new CublasHandle();
        handle.SetHandle(raw);
        return handle;
    }

    /// <summary>The cuBLAS library version as one number, e.g. 130002 for 13.0.2 (<c>cublasGetVersion_v2</c>).</summary>
    public int Version
    {
        get
        {
            CublasStatus.Check(CublasApi.cublasGetVersion_v2(this, out var version));
            return version;
        }
    }

    /// <summary>The loaded library's (major, minor, patch) without a handle (<c>cublasGetProperty</c>).</summary>
    public static (int Major, int Minor, int Patch) LibraryVersion
    {
        get
        {
            CublasStatus.Check(CublasApi.cublasGetProperty(libraryPropertyType_t.MAJOR_VERSION, out var major));
            CublasStatus.Check(CublasApi.cublasGetProperty(libraryPropertyType_t.MINOR_VERSION, out var minor));
            CublasStatus.Check(CublasApi.cublasGetProperty(libraryPropertyType_t.PATCH_LEVEL, out var patch));
            return (major, minor, patch);
        }
    }

    /// <summary>Makes later calls run on <paramref name="stream"/> (a <c>CUstream</c>; 0 = the legacy default stream).</summary>
    public void SetStream(nint stream) => CublasStatus.Check(CublasApi.cublasSetStream_v2(this, stream));

    /// <summary>
    /// Gives cuBLAS a caller-owned device workspace (<c>cublasSetWorkspace_v2</c>) so that it allocates none itself,
    /// which CUDA-graph capture needs. NVIDIA recommends 32 MiB on Hopper, 4 MiB before it. The buffer must outlive its use,
    /// and be 256-byte aligned (allocations from cuMemAlloc are).
    /// </summary>
    public void SetWorkspace(ulong workspace, ulong bytes) => CublasStatus.Check(CublasApi.cublasSetWorkspace_v2(this, workspace, checked((nuint)bytes)));

    /// <summary>
    /// The math mode (<c>cublasSetMathMode</c>/<c>cublasGetMathMode</c>). Default <see cref="cublasMath_t.CUBLAS_DEFAULT_MATH"/>:
    /// FP32 routines stay FP32; <see cref="cublasMath_t.CUBLAS_TF32_TENSOR_OP_MATH"/> lets cublasSgemm use TF32.
    /// GemmEx follows its compute type instead.
    /// </summary>
    public cublasMath_t MathMode
    {
        get
        {
            CublasStatus.Check(CublasApi.cublasGetMathMode(this, out var mode));
            return mode;
        }
        set => CublasStatus.Check(CublasApi.cublasSetMathMode(this, value));
    }

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C in FP32 (<c>cublasSgemm_v2</c>), column-major; op(A) is m×k, op(B) is k×n, C is m×n.
    /// All pointers are device pointers to float; alpha and beta are host values. Asynchronous on the handle's stream.
    /// </summary>
    public void Sgemm(cublasOperation_t transA, cublasOperation_t transB, int m, int n, int k,
        float alpha, ulong a, int lda, ulong b, int ldb, float beta, ulong c, int ldc)
    {
        CublasStatus.Check(CublasApi.cublasSgemm_v2(this, transA, transB, m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc));
    }

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C with per-matrix element types (<c>cublasGemmEx</c>), column-major.
    /// alpha and beta are host floats, which fits every FP32-accumulating compute type
    /// (<see cref="cublasComputeType_t.CUBLAS_COMPUTE_32F"/>, <see cref="cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32"/>,
    /// FP16/BF16 inputs with CUBLAS_COMPUTE_32F). Typical uses: FP32 exact (all CUDA_R_32F, COMPUTE_32F),
    /// TF32 (all CUDA_R_32F, COMPUTE_32F_FAST_TF32), FP16 or BF16 (A, B, C in CUDA_R_16F/CUDA_R_16BF, COMPUTE_32F).
    /// </summary>
    public void GemmEx(cublasOperation_t transA, cublasOperation_t transB, int m, int n, int k, float alpha,
        ulong a, cudaDataType_t aType, int lda, ulong b, cudaDataType_t bType, int ldb, float beta,
        ulong c, cudaDataType_t cType, int ldc, cublasComputeType_t computeType,
        cublasGemmAlgo_t algorithm = cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT)
    {
        RequireFloatScalars(computeType);
        CublasStatus.Check(CublasApi.cublasGemmEx(this, transA, transB, m, n, k, &alpha, a, aType, lda, b, bType, ldb, &beta,
            c, cType, ldc, computeType, algorithm));
    }

    /// <summary>
    /// <paramref name="batchCount"/> independent GemmEx products; matrix i of A starts at a + i·strideA elements,
    /// likewise B and C (<c>cublasGemmStridedBatchedEx</c>). Strides are in elements, not bytes. Scalars as in <see cref="GemmEx"/>.
    /// </summary>
    public void GemmStridedBatchedEx(cublasOperation_t transA, cublasOperation_t transB, int m, int n, int k, float alpha,
        ulong a, cudaDataType_t aType, int lda, long strideA, ulong b, cudaDataType_t bType, int ldb, long strideB, float beta,
        ulong c, cudaDataType_t cType, int ldc, long strideC, int batchCount, cublasComputeType_t computeType,
        cublasGemmAlgo_t algorithm = cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT)
    {
        RequireFloatScalars(computeType);
        CublasStatus.Check(CublasApi.cublasGemmStridedBatchedEx(this, transA, transB, m, n, k, &alpha, a, aType, lda, strideA,
            b, bType, ldb, strideB, &beta, c, cType, ldc, strideC, batchCount, computeType, algorithm));
    }

    // The scalar type follows the compute type: 32F compute types take float, 16F takes half, 64F double.
    private static void RequireFloatScalars(cublasComputeType_t computeType)
    {
        if (computeType is not (cublasComputeType_t.CUBLAS_COMPUTE_32F or cublasComputeType_t.CUBLAS_COMPUTE_32F_PEDANTIC
            or cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_16F or cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_16BF
            or cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32))
        {
            throw new ArgumentOutOfRangeException(nameof(computeType), computeType,
                "these wrappers pass alpha and beta as float, which cuBLAS reads correctly only for the CUBLAS_COMPUTE_32F* compute types");
        }
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => CublasStatus.Release(CublasApi.cublasDestroy_v2(handle));
}
