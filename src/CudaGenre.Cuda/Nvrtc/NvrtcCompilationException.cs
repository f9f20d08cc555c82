namespace CudaGenre.Cuda.Nvrtc;

/// <summary>CUDA source did not compile. The message names the source file, the options and carries NVRTC's full log.</summary>
public sealed class NvrtcCompilationException : CudaException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="sourceName">The source file name given to NVRTC (e.g. "depthwise_conv3x3.cu").</param>
    /// <param name="options">The options it was compiled with.</param>
    /// <param name="log">NVRTC's program log.</param>
    public NvrtcCompilationException(string sourceName, IReadOnlyList<string> options, string log)
        : base(NativeLibraryNames.Nvrtc, "nvrtcCompileProgram", (int)nvrtcResult.NVRTC_ERROR_COMPILATION, nameof(nvrtcResult.NVRTC_ERROR_COMPILATION),
            $"{sourceName} did not compile (options: {string.Join(' ', options)}). NVRTC log:\n{log}")
    {
        SourceName = sourceName;
        Options = options;
        Log = log;
    }

    /// <summary>The source file name.</summary>
    public string SourceName { get; }

    /// <summary>The options used.</summary>
    public IReadOnlyList<string> Options { get; }

    /// <summary>NVRTC's full program log.</summary>
    public string Log { get; }
}
