using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CudaGenre.Cuda.Driver;

/// <summary>
/// The one way driver statuses are checked: <c>DriverStatus.Check(DriverApi.cuMemAlloc_v2(&amp;p, n))</c>
/// throws <see cref="CudaException"/> naming the C function (taken from the call's text), the status name
/// and the driver's own description (<c>cuGetErrorName</c>/<c>cuGetErrorString</c>, or the
/// <see cref="CUresult"/> table when the driver cannot say). <see cref="Release"/> is the path for
/// Dispose and finalizers: it never throws.
/// </summary>
public static class DriverStatus
{
    /// <summary>Throws when <paramref name="status"/> is not CUDA_SUCCESS.</summary>
    /// <param name="status">What the call returned.</param>
    /// <param name="call">Filled in by the compiler with the text of the call.</param>
    /// <exception cref="CudaException">The call failed.</exception>
    public static void Check(CUresult status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != CUresult.CUDA_SUCCESS)
            throw Failure(status, NativeCall.FunctionName(call));
    }

    /// <summary>The exception for a failed call to <paramref name="api"/>, with optional extra context after the driver's text.</summary>
    public static CudaException Failure(CUresult status, string api, string? context = null)
    {
        var (name, description) = Describe(status, askDriver: true);
        return new CudaException(NativeLibraryNames.Driver, api, (int)status, name, context is null ? description : $"{description}; {context}");
    }

    /// <summary>
    /// For release calls in Dispose/finalizers: returns whether <paramref name="status"/> is success and records
    /// a failure in <see cref="NativeReleaseFailures"/> instead of throwing. CUDA_ERROR_DEINITIALIZED (the driver
    /// is shutting down at process exit, and has freed everything itself) counts as success.
    /// </summary>
    public static bool Release(CUresult status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status is CUresult.CUDA_SUCCESS or CUresult.CUDA_ERROR_DEINITIALIZED)
            return true;
        try
        {
            NativeReleaseFailures.Record(Failure(status, NativeCall.FunctionName(call)).Message);
        }
        catch (Exception e)
        {
            // Describing the failure must not turn a release into a crash.
            NativeReleaseFailures.Record($"{NativeCall.FunctionName(call)} failed with status {(int)status} ({e.GetType().Name} while describing it)");
        }
        return false;
    }

    /// <summary>
    /// The status name and description: from the driver when it is loaded and knows the code, else from the
    /// <see cref="CUresult"/> table ("CUresult 12345" when the code is not in it either).
    /// </summary>
    internal static (string Name, string Description) Describe(CUresult status, bool askDriver)
    {
        if (askDriver && NativeLibraries.IsLoaded(NativeLibraryNames.Driver) && DriverText(status) is { } fromDriver)
            return fromDriver;
        var tableName = Enum.GetName(status);
        return tableName is null
            ? ($"CUresult {(int)status}", "a status this program's CUresult table does not know (a newer driver?)")
            : (tableName, "no description: the driver's cuGetErrorString was not available");
    }

    private static unsafe (string Name, string Description)? DriverText(CUresult status)
    {
        byte* name = null, text = null;
        if (DriverApi.cuGetErrorName(status, &name) != CUresult.CUDA_SUCCESS || name is null)
            return null;
        var description = DriverApi.cuGetErrorString(status, &text) == CUresult.CUDA_SUCCESS && text is not null
            ? Marshal.PtrToStringUTF8((nint)text) ?? ""
            : "";
        return (Marshal.PtrToStringUTF8((nint)name) ?? $"CUresult {(int)status}", description);
    }
}
