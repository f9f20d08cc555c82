using System.Runtime.CompilerServices;

namespace CudaGenre.Cuda.Blas;

/// <summary>
/// The one way cuBLAS statuses are checked: <c>CublasStatus.Check(CublasApi.cublasSgemm_v2(...))</c> throws
/// <see cref="CudaException"/> naming the C function (from the call's text), the status name and cuBLAS's own text
/// (<c>cublasGetStatusName</c>/<c>cublasGetStatusString</c>, or the <see cref="cublasStatus_t"/> table when cuBLAS is not loaded).
/// <see cref="Release"/> is the path for Dispose and finalizers: it never throws.
/// </summary>
public static class CublasStatus
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
        return new CudaException(NativeLibraryNames.Cublas, api, (int)status, name, description);
    }

    /// <summary>
    /// For release calls in Dispose/finalizers: returns whether <paramref name="status"/> is success and records a failure
    /// in <see cref="NativeReleaseFailures"/> instead of throwing.
    /// </summary>
    public static bool Release(cublasStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == cublasStatus_t.CUBLAS_STATUS_SUCCESS)
            return true;
        var (name, _) = Describe(status, askLibrary: false);
        NativeReleaseFailures.Record($"{NativeCall.FunctionName(call)} failed: {name} ({(int)status})");
        return false;
    }

    /// <summary>Status name and description: from cuBLAS when it is loaded, else from <see cref="cublasStatus_t"/>.</summary>
    internal static unsafe (string Name, string Description) Describe(cublasStatus_t status, bool askLibrary)
    {
        if (askLibrary && NativeLibraries.IsLoaded(NativeLibraryNames.Cublas)
            && NativeText.Ask(() => (nint)CublasApi.cublasGetStatusName(status)) is { } name)
        {
            return (name, NativeText.Ask(() => (nint)CublasApi.cublasGetStatusString(status)) ?? "");
        }
        return (TableName(status), "no description: cuBLAS's cublasGetStatusString was not available");
    }

    /// <summary>The header name from our copy of the enum ("cublasStatus_t 42" when the value is not in it).</summary>
    internal static string TableName(cublasStatus_t status) => Enum.GetName(status) ?? $"cublasStatus_t {(int)status}";
}
