using Microsoft.Win32.SafeHandles;

namespace CudaGenre.Cuda.Blas;

/// <summary>
/// A cuBLASLt matmul descriptor (<c>cublasLtMatmulDesc_t</c>): compute type, scale type, transposes and epilogue.
/// Each setter writes the attribute with the exact C type cublasLt.h names for it.
/// </summary>
public sealed unsafe class MatmulDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>For the interop marshaller; use <see cref="Create"/>.</summary>
    public MatmulDescriptor() : base(ownsHandle: true)
    {
    }

    /// <summary>The compute type given at creation.</summary>
    public cublasComputeType_t ComputeType { get; private set; }

    /// <summary>The type of alpha and beta given at creation.</summary>
    public cudaDataType_t ScaleType { get; private set; }

    /// <summary>Creates a descriptor (<c>cublasLtMatmulDescCreate</c>). Defaults: no transposes, CUBLASLT_EPILOGUE_DEFAULT.</summary>
    /// <param name="computeType">e.g. CUBLAS_COMPUTE_32F (FP32 exact, or FP16/BF16 inputs with FP32 accumulate), CUBLAS_COMPUTE_32F_FAST_TF32.</param>
    /// <param name="scaleType">Type of alpha/beta; CUDA_R_32F for every 32F compute type.</param>
    public static MatmulDescriptor Create(cublasComputeType_t computeType, cudaDataType_t scaleType = cudaDataType_t.CUDA_R_32F)
    {
        CublasLtStatus.Check(CublasLtApi.cublasLtMatmulDescCreate(out var raw, computeType, scaleType));
        var descriptor = new MatmulDescriptor { ComputeType = computeType, ScaleType = scaleType };
        descriptor.SetHandle(raw);
        return descriptor;
    }

    /// <summary>op(A) (CUBLASLT_MATMUL_DESC_TRANSA, int32).</summary>
    public void SetTransposeA(cublasOperation_t operation) => Set(cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_TRANSA, (int)operation);

    /// <summary>op(B) (CUBLASLT_MATMUL_DESC_TRANSB, int32).</summary>
    public void SetTransposeB(cublasOperation_t operation) => Set(cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_TRANSB, (int)operation);

    /// <summary>The epilogue (CUBLASLT_MATMUL_DESC_EPILOGUE, uint32).</summary>
    public void SetEpilogue(cublasLtEpilogue_t epilogue) => Set(cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_EPILOGUE, (uint)epilogue);

    /// <summary>
    /// Device pointer to the bias vector, one value per row of D (CUBLASLT_MATMUL_DESC_BIAS_POINTER, const void*).
    /// The heuristic takes its alignment into account, so set it before asking for an algorithm.
    /// </summary>
    public void SetBiasPointer(ulong bias) => Set(cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias);

    /// <summary>Element type of the bias vector (CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, int32). Default: the type of D.</summary>
    public void SetBiasDataType(cudaDataType_t type) => Set(cublasLtMatmulDescAttributes_t.CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, (int)type);

    private void Set<T>(cublasLtMatmulDescAttributes_t attribute, T value) where T : unmanaged =>
        CublasLtStatus.Check(CublasLtApi.cublasLtMatmulDescSetAttribute(this, attribute, &value, (nuint)sizeof(T)));

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => CublasLtStatus.Release(CublasLtApi.cublasLtMatmulDescDestroy(handle));
}
