using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace CudaGenre.Cuda.Dnn;

/// <summary>The one status-checking path for cuDNN, and its non-throwing twin for release paths.</summary>
internal static unsafe partial class Cudnn
{
    /// <summary>
    /// Throws <see cref="CudaException"/> when <paramref name="status"/> is not success. The message names the C function,
    /// the status, cuDNN's text for it (<c>cudnnGetErrorString</c>) and, when there is one, this thread's last detailed error
    /// message (<c>cudnnGetLastErrorString</c>, which often names the offending parameter).
    /// </summary>
    public static void Check(cudnnStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != cudnnStatus_t.CUDNN_STATUS_SUCCESS)
            throw Failure(status, NativeCallText.FunctionName(call));
    }

    /// <summary>The exception for a failed call.</summary>
    public static CudaException Failure(cudnnStatus_t status, string api)
    {
        var text = StatusText(status);
        var detail = LastErrorMessage();
        return new CudaException(NativeLibraryNames.Cudnn, api, (int)status, StatusName(status),
            detail is null ? text : $"{text}; {detail}");
    }

    /// <summary>For <c>ReleaseHandle</c>: never throws, reports a failure on the trace and returns whether it succeeded.</summary>
    public static bool Released(cudnnStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == cudnnStatus_t.CUDNN_STATUS_SUCCESS)
            return true;
        Trace.WriteLine($"{NativeCallText.FunctionName(call)} failed while releasing a descriptor: {StatusName(status)} ({(int)status})");
        return false;
    }

    /// <summary>
    /// The header name of a status. cuDNN has no separate name function (<c>cudnnGetErrorString</c> returns the name),
    /// so known values come from <see cref="cudnnStatus_t"/> and only unknown ones are asked of the library.
    /// </summary>
    public static string StatusName(cudnnStatus_t status) =>
        Enum.IsDefined(status) ? status.ToString()
        : NativeText.Ask(() => (nint)cudnnGetErrorString(status)) ?? $"unknown cudnnStatus_t {(int)status}";

    /// <summary>cuDNN's text for a status, or, where the library cannot be asked, its category from the cuDNN 9 numbering.</summary>
    public static string StatusText(cudnnStatus_t status) =>
        NativeText.Ask(() => (nint)cudnnGetErrorString(status))
        ?? $"{Category(status)} (no description: {NativeLibraryNames.Cudnn} could not be asked for one)";

    /// <summary>The cuDNN 9 category of a status: the thousands digit (CUDNN_STATUS_CATEGORY in cudnn_graph.h).</summary>
    public static string Category(cudnnStatus_t status) => ((int)status / 1000 * 1000) switch
    {
        0 => "success",
        1000 => "uncategorized error",
        2000 => "bad parameter",
        3000 => "not supported",
        4000 => "internal error",
        5000 => "execution failed",
        _ => "unknown category",
    };

    /// <summary>This thread's most recent detailed cuDNN error message; null when empty or when the library cannot be asked.</summary>
    internal static string? LastErrorMessage()
    {
        const int Size = 1024;
        var buffer = stackalloc byte[Size];
        buffer[0] = 0;
        var p = (nint)buffer;
        return NativeText.Ask(() =>
        {
            cudnnGetLastErrorString((byte*)p, Size);
            ((byte*)p)[Size - 1] = 0;
            return p;
        });
    }
}
