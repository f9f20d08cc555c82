namespace CudaGenre.Cuda.Nvrtc;

/// <summary>NVRTC status codes, names and values as in <c>nvrtc.h</c> (CUDA 12.6).</summary>
public enum nvrtcResult
{
    /// <summary>Success.</summary>
    NVRTC_SUCCESS = 0,

    /// <summary>Out of host memory.</summary>
    NVRTC_ERROR_OUT_OF_MEMORY = 1,

    /// <summary>The program could not be created.</summary>
    NVRTC_ERROR_PROGRAM_CREATION_FAILURE = 2,

    /// <summary>An argument was invalid (e.g. a null pointer).</summary>
    NVRTC_ERROR_INVALID_INPUT = 3,

    /// <summary>The program handle is invalid.</summary>
    NVRTC_ERROR_INVALID_PROGRAM = 4,

    /// <summary>A compiler option was not recognized.</summary>
    NVRTC_ERROR_INVALID_OPTION = 5,

    /// <summary>The source did not compile; the program log says why.</summary>
    NVRTC_ERROR_COMPILATION = 6,

    /// <summary>A builtin operation failed (often: libnvrtc-builtins could not be loaded).</summary>
    NVRTC_ERROR_BUILTIN_OPERATION_FAILURE = 7,

    /// <summary>Name expressions were added after compilation.</summary>
    NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION = 8,

    /// <summary>Lowered names were asked for before compilation.</summary>
    NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION = 9,

    /// <summary>A name expression was not valid.</summary>
    NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID = 10,

    /// <summary>An internal compiler error.</summary>
    NVRTC_ERROR_INTERNAL_ERROR = 11,

    /// <summary>Writing the time-trace file failed.</summary>
    NVRTC_ERROR_TIME_FILE_WRITE_FAILED = 12,
}
