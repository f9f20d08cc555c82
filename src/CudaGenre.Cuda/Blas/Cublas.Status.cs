using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace CudaGenre.Cuda.Blas;

/// <summary>The one status-checking path for cuBLAS, and its non-throwing twin for release paths.</summary>
internal static unsafe partial class Cublas
{
    /// <summary>Throws <see cref="CudaException"/> naming the C function, the status and cuBLAS's text when <paramref name="status"/> is not success.</summary>
    public static void Check(cublasStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != cublasStatus_t.CUBLAS_STATUS_SUCCESS)
            throw Failure(status, NativeCallText.FunctionName(call));
    }

    /// <summary>The exception for a failed call; the status name and text come from the library when it can be asked.</summary>
    public static CudaException Failure(cublasStatus_t status, string api) =>
        new(NativeLibraryNames.Cublas, api, (int)status, StatusName(status), StatusText(status));

    /// <summary>For <c>ReleaseHandle</c>: never throws, reports a failure on the trace and returns whether it succeeded.</summary>
    public static bool Released(cublasStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == cublasStatus_t.CUBLAS_STATUS_SUCCESS)
            return true;
        Trace.WriteLine($"{NativeCallText.FunctionName(call)} failed while releasing a handle: {FallbackName(status)} ({(int)status})");
        return false;
    }

    /// <summary>The header name of a status: from <c>cublasGetStatusName</c>, else from <see cref="cublasStatus_t"/>.</summary>
    public static string StatusName(cublasStatus_t status) =>
        NativeText.Ask(() => (nint)cublasGetStatusName(status)) ?? FallbackName(status);

    /// <summary>cuBLAS's own description (<c>cublasGetStatusString</c>), or a note that the library could not be asked.</summary>
    public static string StatusText(cublasStatus_t status) =>
        NativeText.Ask(() => (nint)cublasGetStatusString(status)) ?? $"no description: {NativeLibraryNames.Cublas} could not be asked for one";

    /// <summary>The name from our copy of the header enum, used when the library is absent.</summary>
    public static string FallbackName(cublasStatus_t status) =>
        Enum.IsDefined(status) ? status.ToString() : $"unknown cublasStatus_t {(int)status}";
}
