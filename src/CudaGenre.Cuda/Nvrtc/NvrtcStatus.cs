using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CudaGenre.Cuda.Nvrtc;

/// <summary>
/// The one way NVRTC statuses are checked: <c>NvrtcStatus.Check(NvrtcApi.nvrtcCompileProgram(…))</c> throws
/// <see cref="CudaException"/> naming the C function, the status name (<c>nvrtcGetErrorString</c>, or the
/// <see cref="nvrtcResult"/> table when NVRTC cannot say) and what it means. <see cref="Release"/> is the
/// never-throwing path for Dispose and finalizers.
/// </summary>
public static class NvrtcStatus
{
    /// <summary>Throws when <paramref name="status"/> is not NVRTC_SUCCESS.</summary>
    /// <exception cref="CudaException">The call failed.</exception>
    public static void Check(nvrtcResult status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != nvrtcResult.NVRTC_SUCCESS)
            throw Failure(status, NativeCall.FunctionName(call));
    }

    /// <summary>The exception for a failed call to <paramref name="api"/>.</summary>
    public static CudaException Failure(nvrtcResult status, string api) =>
        new(NativeLibraryNames.Nvrtc, api, (int)status, NameOf(status, askLibrary: true), Meaning(status));

    /// <summary>For Dispose/finalizers: whether the call succeeded; a failure is recorded in <see cref="NativeReleaseFailures"/>, never thrown.</summary>
    public static bool Release(nvrtcResult status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == nvrtcResult.NVRTC_SUCCESS)
            return true;
        NativeReleaseFailures.Record($"{NativeCall.FunctionName(call)} failed: {NameOf(status, askLibrary: false)} ({(int)status})");
        return false;
    }

    /// <summary>The status name from NVRTC when it is loaded, else from the table, else "nvrtcResult N".</summary>
    internal static unsafe string NameOf(nvrtcResult status, bool askLibrary)
    {
        if (askLibrary && NativeLibraries.IsLoaded(NativeLibraryNames.Nvrtc) && NvrtcApi.nvrtcGetErrorString(status) is var text && text is not null)
        {
            var name = Marshal.PtrToStringUTF8((nint)text);
            // NVRTC answers an unknown code with a generic text; keep the number then.
            if (!string.IsNullOrEmpty(name) && name.StartsWith("NVRTC_", StringComparison.Ordinal))
                return name;
        }
        return Enum.GetName(status) ?? $"nvrtcResult {(int)status}";
    }

    /// <summary>What a status means, in a few words (nvrtc.h documents the codes; NVRTC's own text is only the name).</summary>
    internal static string Meaning(nvrtcResult status) => status switch
    {
        nvrtcResult.NVRTC_ERROR_OUT_OF_MEMORY => "out of host memory",
        nvrtcResult.NVRTC_ERROR_PROGRAM_CREATION_FAILURE => "the program could not be created",
        nvrtcResult.NVRTC_ERROR_INVALID_INPUT => "an argument was invalid",
        nvrtcResult.NVRTC_ERROR_INVALID_PROGRAM => "the program handle is invalid",
        nvrtcResult.NVRTC_ERROR_INVALID_OPTION => "a compiler option was not recognized by this NVRTC version",
        nvrtcResult.NVRTC_ERROR_COMPILATION => "the source did not compile (see the program log)",
        nvrtcResult.NVRTC_ERROR_BUILTIN_OPERATION_FAILURE => "a builtin operation failed (is libnvrtc-builtins next to libnvrtc?)",
        nvrtcResult.NVRTC_ERROR_INTERNAL_ERROR => "internal compiler error",
        _ => "see nvrtc.h",
    };
}
