namespace CudaGenre.Cuda;

/// <summary>
/// A native CUDA-family call failed. The message names the library, the C function as written in its
/// header, the status (name and number) and the library's own text for it, e.g.
/// "cuModuleLoadData failed: CUDA_ERROR_INVALID_PTX (218): a PTX JIT compilation failed".
/// </summary>
public class CudaException : Exception
{
    /// <summary>Creates the exception for a failed call.</summary>
    /// <param name="library">Logical library name (see <see cref="NativeLibraryNames"/>).</param>
    /// <param name="api">The C function that failed, as in the header.</param>
    /// <param name="status">The numeric status it returned.</param>
    /// <param name="statusName">The status enum name as in the header (e.g. CUBLAS_STATUS_NOT_INITIALIZED).</param>
    /// <param name="description">The library's description of the status, or extra context.</param>
    public CudaException(string library, string api, int status, string statusName, string description)
        : base($"{api} failed: {statusName} ({status}): {description}")
    {
        Library = library;
        Api = api;
        Status = status;
        StatusName = statusName;
    }

    /// <summary>Creates an exception that is not tied to one status code (e.g. a library that cannot be loaded).</summary>
    public CudaException(string library, string message, Exception? inner = null)
        : base(message, inner)
    {
        Library = library;
        Api = "";
        StatusName = "";
    }

    /// <summary>Logical library name, e.g. "cuda", "nvrtc", "cublas", "cublasLt", "cudnn".</summary>
    public string Library { get; }

    /// <summary>The C function that failed ("" when not a status failure).</summary>
    public string Api { get; }

    /// <summary>The numeric status.</summary>
    public int Status { get; }

    /// <summary>The status enum name as in the C header.</summary>
    public string StatusName { get; }
}
