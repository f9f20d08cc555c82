namespace CudaGenre.Cuda.Nvrtc;

/// <summary>Facts about the NVRTC that was loaded: its version and the architectures it compiles for.</summary>
public static class NvrtcCompiler
{
    private static (int Major, int Minor)? _version;
    private static int[]? _architectures;

    /// <summary>The NVRTC version, e.g. (11, 8).</summary>
    /// <exception cref="CudaLibraryNotFoundException">NVRTC is not found.</exception>
    public static unsafe (int Major, int Minor) Version
    {
        get
        {
            if (_version is { } known)
                return known;
            int major, minor;
            NvrtcStatus.Check(NvrtcApi.nvrtcVersion(&major, &minor));
            _version = (major, minor);
            return (major, minor);
        }
    }

    /// <summary>The architectures it compiles for, ascending (e.g. 35 … 90 for NVRTC 11.8): the XY of compute_XY and sm_XY.</summary>
    public static unsafe IReadOnlyList<int> SupportedArchitectures
    {
        get
        {
            if (_architectures is { } known)
                return known;
            int count;
            NvrtcStatus.Check(NvrtcApi.nvrtcGetNumSupportedArchs(&count));
            var architectures = new int[count];
            fixed (int* values = architectures)
                NvrtcStatus.Check(NvrtcApi.nvrtcGetSupportedArchs(values));
            Array.Sort(architectures);
            _architectures = architectures;
            return architectures;
        }
    }

    /// <summary>Whether NVRTC can be loaded; otherwise a one-line reason.</summary>
    public static bool IsAvailable(out string? reason)
    {
        var probe = NativeLibraries.Probe(NativeLibraryNames.Nvrtc);
        reason = probe.Found ? null : $"NVRTC was not found (tried {string.Join(", ", probe.Sonames)}; `cudagenre info` lists where it looked)";
        return probe.Found;
    }
}
