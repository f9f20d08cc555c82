namespace CudaGenre.Cuda.Tests;

/// <summary>Whether a library can be found here; tests of the "library absent" paths skip where it can.</summary>
internal static class LibraryPresence
{
    public static bool Cublas => NativeLibraries.TryLoad(NativeLibraryNames.Cublas, out _);

    public static bool CublasLt => NativeLibraries.TryLoad(NativeLibraryNames.CublasLt, out _);

    public static bool Cudnn => NativeLibraries.TryLoad(NativeLibraryNames.Cudnn, out _);
}
