using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Dnn;

namespace CudaGenre.Cuda.Tests;

/// <summary>Whether a library answers a harmless call here; tests of the "library absent" paths skip where it does.</summary>
internal static unsafe class LibraryPresence
{
    public static bool Cublas => NativeText.Ask(() => (nint)Blas.Cublas.cublasGetStatusName(cublasStatus_t.CUBLAS_STATUS_SUCCESS)) is not null;

    public static bool CublasLt => NativeText.Ask(() => (nint)Blas.CublasLt.cublasLtGetStatusName(cublasStatus_t.CUBLAS_STATUS_SUCCESS)) is not null;

    public static bool Cudnn => NativeText.Ask(() => (nint)Dnn.Cudnn.cudnnGetErrorString(cudnnStatus_t.CUDNN_STATUS_SUCCESS)) is not null;
}
