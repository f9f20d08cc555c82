using System.Runtime.InteropServices;

namespace CudaGenre.Cuda.Blas;

/// <summary>
/// cuBLASLt entry points, declared exactly as in cublasLt.h (cuBLAS 12.6; same symbols in cuBLAS 13).
/// Attribute values go through a pointer and a byte size that must match the C type the header names for the attribute.
/// Device pointers are <c>CUdeviceptr</c> = <see cref="ulong"/>, streams <c>CUstream</c> = <see cref="nint"/>.
/// </summary>
internal static unsafe partial class CublasLtApi
{
    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial cublasStatus_t cublasLtCreate(out nint lightHandle);

    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial cublasStatus_t cublasLtDestroy(nint lightHandle);

    /// <summary>cuBLASLt version as one number, e.g. 130002.</summary>
    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial nuint cublasLtGetVersion();

    /// <summary>Returns a static string; never freed.</summary>
    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial byte* cublasLtGetStatusName(cublasStatus_t status);

    /// <summary>Returns a static string; never freed.</summary>
    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial byte* cublasLtGetStatusString(cublasStatus_t status);

    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial cublasStatus_t cublasLtMatmulDescCreate(out nint matmulDesc, cublasComputeType_t computeType, cudaDataType_t scaleType);

    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial cublasStatus_t cublasLtMatmulDescDestroy(nint matmulDesc);

    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial cublasStatus_t cublasLtMatmulDescSetAttribute(MatmulDescriptor matmulDesc, cublasLtMatmulDescAttributes_t attr,
        void* buf, nuint sizeInBytes);

    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial cublasStatus_t cublasLtMatrixLayoutCreate(out nint matLayout, cudaDataType_t type, ulong rows, ulong cols, long ld);

    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial cublasStatus_t cublasLtMatrixLayoutDestroy(nint matLayout);

    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial cublasStatus_t cublasLtMatrixLayoutSetAttribute(MatrixLayout matLayout, cublasLtMatrixLayoutAttribute_t attr,
        void* buf, nuint sizeInBytes);

    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial cublasStatus_t cublasLtMatmulPreferenceCreate(out nint pref);

    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial cublasStatus_t cublasLtMatmulPreferenceDestroy(nint pref);

    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial cublasStatus_t cublasLtMatmulPreferenceSetAttribute(MatmulPreference pref, cublasLtMatmulPreferenceAttributes_t attr,
        void* buf, nuint sizeInBytes);

    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial cublasStatus_t cublasLtMatmulAlgoGetHeuristic(CublasLtHandle lightHandle, MatmulDescriptor operationDesc,
        MatrixLayout Adesc, MatrixLayout Bdesc, MatrixLayout Cdesc, MatrixLayout Ddesc, MatmulPreference preference,
        int requestedAlgoCount, cublasLtMatmulHeuristicResult_t* heuristicResultsArray, out int returnAlgoCount);

    [LibraryImport(NativeLibraryNames.CublasLt)]
    internal static partial cublasStatus_t cublasLtMatmul(CublasLtHandle lightHandle, MatmulDescriptor computeDesc,
        void* alpha, ulong A, MatrixLayout Adesc, ulong B, MatrixLayout Bdesc,
        void* beta, ulong C, MatrixLayout Cdesc, ulong D, MatrixLayout Ddesc,
        cublasLtMatmulAlgo_t* algo, ulong workspace, nuint workspaceSizeInBytes, nint stream);
}
