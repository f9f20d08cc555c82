using System.Runtime.CompilerServices;

namespace CudaGenre.Cuda.Blas;

/// <summary>
/// The one way cuBLASLt statuses are checked. cuBLASLt returns <see cref="cublasStatus_t"/>; the name and text come from
/// cuBLASLt itself (<c>cublasLtGetStatusName</c>/<c>cublasLtGetStatusString</c>), so libcublas need not be loaded,
/// or from the <see cref="cublasStatus_t"/> table when cuBLASLt is not loaded. <see cref="Release"/> never throws.
/// </summary>
public static class CublasLtStatus
{
    /// <summary>Throws when <paramref name="status"/> is not CUBLAS_STATUS_SUCCESS.</summary>
    /// <param name="status">What the call returned.</param>
    /// <param name="call">Filled in by the compiler with the text of the call.</param>
    /// <exception cref="CudaException">The call failed.</exception>
    public static void Check(cublasStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != cublasStatus_t.CUBLAS_STATUS_SUCCESS)
            throw Failure(status, NativeCall.FunctionName(call));
    }

    /// <summary>The exception for a failed call to <paramref name="api"/>.</summary>
    public static CudaException Failure(cublasStatus_t status, string api)
    {
        var (name, description) = Describe(status, askLibrary: true);
        return new CudaException(NativeLibraryNames.CublasLt, api, (int)status, name, description);
    }

    /// <summary>For release calls in Dispose/finalizers: never throws; a failure goes to <see cref="NativeReleaseFailures"/>.</summary>
    public static bool Release(cublasStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == cublasStatus_t.CUBLAS_STATUS_SUCCESS)
            return true;
        NativeReleaseFailures.Record($"{NativeCall.FunctionName(call)} failed: {CublasStatus.TableName(status)} ({(int)status})");
        return false;
    }

    /// <summary>Status name and description: from cuBLASLt when it is loaded, else from <see cref="cublasStatus_t"/>.</summary>
    internal static unsafe (string Name, string Description) Describe(cublasStatus_t status, bool askLibrary)
    {
        if (askLibrary && NativeLibraries.IsLoaded(NativeLibraryNames.CublasLt)
            && NativeText.Ask(() => (nint)CublasLtApi.cublasLtGetStatusName(status)) is { } name)
        {
            return (name, NativeText.Ask(() => (nint)CublasLtApi.cublasLtGetStatusString(status)) ?? "");
        }
        return (CublasStatus.TableName(status), "no description: cuBLASLt's cublasLtGetStatusString was not available");
    }
}
