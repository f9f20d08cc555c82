using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace CudaGenre.Cuda.Blas;

/// <summary>
/// The one status-checking path for cuBLASLt. Its calls return <see cref="cublasStatus_t"/>; names and texts come from
/// cuBLASLt itself (<c>cublasLtGetStatusName</c>/<c>cublasLtGetStatusString</c>) so that libcublas need not be loaded.
/// </summary>
internal static unsafe partial class CublasLt
{
    /// <summary>Throws <see cref="CudaException"/> naming the C function, the status and cuBLASLt's text when <paramref name="status"/> is not success.</summary>
    public static void Check(cublasStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != cublasStatus_t.CUBLAS_STATUS_SUCCESS)
            throw Failure(status, NativeCallText.FunctionName(call));
    }

    /// <summary>The exception for a failed call.</summary>
    public static CudaException Failure(cublasStatus_t status, string api) =>
        new(NativeLibraryNames.CublasLt, api, (int)status, StatusName(status), StatusText(status));

    /// <summary>For <c>ReleaseHandle</c>: never throws, reports a failure on the trace and returns whether it succeeded.</summary>
    public static bool Released(cublasStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == cublasStatus_t.CUBLAS_STATUS_SUCCESS)
            return true;
        Trace.WriteLine($"{NativeCallText.FunctionName(call)} failed while releasing a handle: {Cublas.FallbackName(status)} ({(int)status})");
        return false;
    }

    /// <summary>The header name of a status, from cuBLASLt, else from <see cref="cublasStatus_t"/>.</summary>
    public static string StatusName(cublasStatus_t status) =>
        NativeText.Ask(() => (nint)cublasLtGetStatusName(status)) ?? Cublas.FallbackName(status);

    /// <summary>cuBLASLt's description of a status, or a note that the library could not be asked.</summary>
    public static string StatusText(cublasStatus_t status) =>
        NativeText.Ask(() => (nint)cublasLtGetStatusString(status)) ?? $"no description: {NativeLibraryNames.CublasLt} could not be asked for one";
}
