using System.Runtime.CompilerServices;

namespace CudaGenre.Cuda.Dnn;

/// <summary>
/// The one way cuDNN statuses are checked: <c>CudnnStatus.Check(CudnnApi.cudnnConvolutionForward(...))</c> throws
/// <see cref="CudaException"/> naming the C function, the status, cuDNN's text for it (<c>cudnnGetErrorString</c>) and,
/// when there is one, this thread's last detailed message (<c>cudnnGetLastErrorString</c>, which often names the
/// offending parameter). Without cuDNN loaded, the <see cref="cudnnStatus_t"/> table and the cuDNN 9 category are used.
/// <see cref="Release"/> never throws.
/// </summary>
public static class CudnnStatus
{
    /// <summary>Throws when <paramref name="status"/> is not CUDNN_STATUS_SUCCESS.</summary>
    /// <param name="status">What the call returned.</param>
    /// <param name="call">Filled in by the compiler with the text of the call.</param>
    /// <exception cref="CudaException">The call failed.</exception>
    public static void Check(cudnnStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != cudnnStatus_t.CUDNN_STATUS_SUCCESS)
            throw Failure(status, NativeCall.FunctionName(call));
    }

    /// <summary>The exception for a failed call to <paramref name="api"/>.</summary>
    public static CudaException Failure(cudnnStatus_t status, string api)
    {
        var (name, description) = Describe(status, askLibrary: true);
        return new CudaException(NativeLibraryNames.Cudnn, api, (int)status, name, description);
    }

    /// <summary>For release calls in Dispose/finalizers: never throws; a failure goes to <see cref="NativeReleaseFailures"/>.</summary>
    public static bool Release(cudnnStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == cudnnStatus_t.CUDNN_STATUS_SUCCESS)
            return true;
        NativeReleaseFailures.Record($"{NativeCall.FunctionName(call)} failed: {TableName(status)} ({(int)status})");
        return false;
    }

    /// <summary>
    /// Status name and description. cuDNN has no separate name function (<c>cudnnGetErrorString</c> returns the name
    /// itself), so the name comes from the table when the value is in it, from cuDNN otherwise.
    /// </summary>
    internal static unsafe (string Name, string Description) Describe(cudnnStatus_t status, bool askLibrary)
    {
        var loaded = askLibrary && NativeLibraries.IsLoaded(NativeLibraryNames.Cudnn);
        var fromLibrary = loaded ? NativeText.Ask(() => (nint)CudnnApi.cudnnGetErrorString(status)) : null;
        var name = Enum.GetName(status) ?? fromLibrary ?? TableName(status);
        if (fromLibrary is null)
            return (name, $"{Category(status)} (no description: cuDNN's cudnnGetErrorString was not available)");
        var detail = loaded ? LastErrorMessage() : null;
        return (name, detail is null ? fromLibrary : $"{fromLibrary}; {detail}");
    }

    /// <summary>The header name from our copy of the enum ("cudnnStatus_t 9999" when the value is not in it).</summary>
    internal static string TableName(cudnnStatus_t status) => Enum.GetName(status) ?? $"cudnnStatus_t {(int)status}";

    /// <summary>The cuDNN 9 category of a status: its thousands (CUDNN_STATUS_CATEGORY in cudnn_graph.h).</summary>
    internal static string Category(cudnnStatus_t status) => ((int)status / 1000 * 1000) switch
    {
        0 => "success",
        1000 => "uncategorized error",
        2000 => "bad parameter",
        3000 => "not supported",
        4000 => "internal error",
        5000 => "execution failed",
        _ => "unknown category",
    };

    /// <summary>This thread's most recent detailed cuDNN error message; null when empty or not available.</summary>
    private static unsafe string? LastErrorMessage()
    {
        const int Size = 1024;
        var buffer = stackalloc byte[Size];
        buffer[0] = 0;
        var p = (nint)buffer;
        return NativeText.Ask(() =>
        {
            CudnnApi.cudnnGetLastErrorString((byte*)p, Size);
            ((byte*)p)[Size - 1] = 0;
            return p;
        });
    }
}
