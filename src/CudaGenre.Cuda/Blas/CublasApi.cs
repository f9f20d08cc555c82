using System.Runtime.InteropServices;

namespace CudaGenre.Cuda.Blas;

/// <summary>
/// cuBLAS entry points, declared exactly as in cublas_api.h (cuBLAS 12.6; the same symbols are exported by cuBLAS 13).
/// The exported names carry the "_v2" suffix that cublas_v2.h hides behind macros.
/// Handles are <see cref="CublasHandle"/> (the marshaller keeps them alive for the call), streams are
/// <c>cudaStream_t</c> = <c>CUstream</c> as <see cref="nint"/>, device pointers (<c>void*</c> into device memory) are <c>CUdeviceptr</c> = <see cref="ulong"/>, as in the driver bindings (same size and calling convention on 64-bit Linux).
/// </summary>
internal static unsafe partial class CublasApi
{
    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial cublasStatus_t cublasCreate_v2(out nint handle);

    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial cublasStatus_t cublasDestroy_v2(nint handle);

    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial cublasStatus_t cublasGetVersion_v2(CublasHandle handle, out int version);

    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial cublasStatus_t cublasGetProperty(libraryPropertyType_t type, out int value);

    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial cublasStatus_t cublasSetStream_v2(CublasHandle handle, nint streamId);

    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial cublasStatus_t cublasSetWorkspace_v2(CublasHandle handle, ulong workspace, nuint workspaceSizeInBytes);

    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial cublasStatus_t cublasSetMathMode(CublasHandle handle, cublasMath_t mode);

    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial cublasStatus_t cublasGetMathMode(CublasHandle handle, out cublasMath_t mode);

    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial cublasStatus_t cublasSetPointerMode_v2(CublasHandle handle, cublasPointerMode_t mode);

    /// <summary>Returns a static string; never freed.</summary>
    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial byte* cublasGetStatusName(cublasStatus_t status);

    /// <summary>Returns a static string; never freed.</summary>
    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial byte* cublasGetStatusString(cublasStatus_t status);

    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial cublasStatus_t cublasSgemm_v2(CublasHandle handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, float* alpha, ulong A, int lda, ulong B, int ldb, float* beta, ulong C, int ldc);

    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial cublasStatus_t cublasGemmEx(CublasHandle handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, void* alpha,
        ulong A, cudaDataType_t Atype, int lda,
        ulong B, cudaDataType_t Btype, int ldb,
        void* beta,
        ulong C, cudaDataType_t Ctype, int ldc,
        cublasComputeType_t computeType, cublasGemmAlgo_t algo);

    [LibraryImport(NativeLibraryNames.Cublas)]
    internal static partial cublasStatus_t cublasGemmStridedBatchedEx(CublasHandle handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, void* alpha,
        ulong A, cudaDataType_t Atype, int lda, long strideA,
        ulong B, cudaDataType_t Btype, int ldb, long strideB,
        void* beta,
        ulong C, cudaDataType_t Ctype, int ldc, long strideC,
        int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo);
}
