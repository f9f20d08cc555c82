using System.Runtime.InteropServices;

namespace CudaGenre.Cuda.Nvrtc;

/// <summary>
/// NVRTC, the runtime CUDA C++ compiler (<c>libnvrtc.so.13/12/11.2</c>), as declared in <c>nvrtc.h</c>.
/// <c>nvrtcProgram</c> = nint. Check statuses with <see cref="NvrtcStatus.Check"/>; <see cref="NvrtcProgram"/>
/// is the usual way in.
/// </summary>
public static unsafe partial class NvrtcApi
{
    private const string Lib = NativeLibraryNames.Nvrtc;

    /// <summary>A static string naming the status, e.g. "NVRTC_ERROR_COMPILATION".</summary>
    [LibraryImport(Lib)]
    public static partial byte* nvrtcGetErrorString(nvrtcResult result);

    /// <summary>The NVRTC version (e.g. 11, 8).</summary>
    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcVersion(int* major, int* minor);

    /// <summary>How many architectures <see cref="nvrtcGetSupportedArchs"/> returns.</summary>
    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcGetNumSupportedArchs(int* numArchs);

    /// <summary>The architectures this NVRTC compiles for, ascending (e.g. 35, 37, …, 90).</summary>
    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcGetSupportedArchs(int* supportedArchs);

    /// <summary>Creates a program from NUL-terminated source; name is used in diagnostics; headers may be 0/null.</summary>
    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcCreateProgram(nint* prog, byte* src, byte* name, int numHeaders, byte** headers, byte** includeNames);

    /// <summary>Destroys a program and sets *prog to null.</summary>
    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcDestroyProgram(nint* prog);

    /// <summary>Compiles with the given options (NUL-terminated strings).</summary>
    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcCompileProgram(nint prog, int numOptions, byte** options);

    /// <summary>Size of the PTX, bytes, including the terminating NUL.</summary>
    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcGetPTXSize(nint prog, nuint* ptxSizeRet);

    /// <summary>Copies the PTX (with its NUL) into a caller buffer.</summary>
    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcGetPTX(nint prog, byte* ptx);

    /// <summary>Size of the CUBIN, bytes (0 unless compiled for a real sm_XY architecture).</summary>
    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcGetCUBINSize(nint prog, nuint* cubinSizeRet);

    /// <summary>Copies the CUBIN into a caller buffer.</summary>
    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcGetCUBIN(nint prog, byte* cubin);

    /// <summary>Size of the compile log, bytes, including the terminating NUL.</summary>
    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcGetProgramLogSize(nint prog, nuint* logSizeRet);

    /// <summary>Copies the compile log (with its NUL) into a caller buffer.</summary>
    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcGetProgramLog(nint prog, byte* log);
}
