namespace CudaGenre.Cuda;

/// <summary>
/// The logical names used in <c>[LibraryImport]</c> declarations. The resolver maps each to a real file
/// (a soname for CUDA 11, 12 or 13, or cuDNN 8/9) found in the search order of the design:
/// explicit setting, <c>CUDAGENRE_CUDA_LIB_PATH</c>, the normal loader search, known install places.
/// </summary>
public static class NativeLibraryNames
{
    /// <summary>The CUDA driver API (libcuda.so.1, comes with the NVIDIA driver).</summary>
    public const string Driver = "cuda";

    /// <summary>The runtime compiler NVRTC (libnvrtc.so.13/12/11.2).</summary>
    public const string Nvrtc = "nvrtc";

    /// <summary>cuBLAS (libcublas.so.13/12/11).</summary>
    public const string Cublas = "cublas";

    /// <summary>cuBLASLt (libcublasLt.so.13/12/11).</summary>
    public const string CublasLt = "cublasLt";

    /// <summary>cuDNN (libcudnn.so.9/8).</summary>
    public const string Cudnn = "cudnn";
}
