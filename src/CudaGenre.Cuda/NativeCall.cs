namespace CudaGenre.Cuda;

/// <summary>Helpers shared by the per-library status checks (<c>DriverStatus</c>, <c>NvrtcStatus</c>, and the cuBLAS/cuDNN ones).</summary>
public static class NativeCall
{
    /// <summary>
    /// The C function named by the text of a call, as captured by <c>[CallerArgumentExpression]</c>:
    /// "DriverApi.cuMemAlloc_v2(out ptr, bytes)" → "cuMemAlloc_v2". Text without a call is returned trimmed.
    /// </summary>
    public static string FunctionName(string callText)
    {
        ArgumentNullException.ThrowIfNull(callText);
        var text = callText.Trim();
        var paren = text.IndexOf('(', StringComparison.Ordinal);
        var callee = (paren < 0 ? text : text[..paren]).Trim();
        // Generic arguments are not part of a C name; drop them before taking the last member name.
        var angle = callee.IndexOf('<', StringComparison.Ordinal);
        if (angle >= 0)
            callee = callee[..angle];
        var dot = callee.LastIndexOf('.');
        var name = (dot < 0 ? callee : callee[(dot + 1)..]).Trim();
        return name.Length > 0 ? name : text;
    }
}

/// <summary>
/// Failures of native release calls (cuMemFree, cuStreamDestroy, nvrtcDestroyProgram, …) made while
/// disposing or finalizing. Those paths must never throw, so the failure is counted and kept here
/// instead, where a test or a diagnostic page can look at it.
/// </summary>
public static class NativeReleaseFailures
{
    private static int _count;
    private static string? _last;

    /// <summary>How many release calls have failed in this process.</summary>
    public static int Count => Volatile.Read(ref _count);

    /// <summary>The message of the most recent failure (e.g. "cuMemFree_v2 failed: CUDA_ERROR_INVALID_VALUE (1): …"), or null.</summary>
    public static string? Last => Volatile.Read(ref _last);

    /// <summary>Records one failure.</summary>
    internal static void Record(string message)
    {
        Volatile.Write(ref _last, message);
        Interlocked.Increment(ref _count);
    }
}
