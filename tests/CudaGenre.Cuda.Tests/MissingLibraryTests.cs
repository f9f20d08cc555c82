using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Dnn;

namespace CudaGenre.Cuda.Tests;

/// <summary>
/// The first call into a library that is not there fails with <see cref="CudaLibraryNotFoundException"/> from the
/// resolver, naming the library and where it looked; nothing crashes.
/// </summary>
public class MissingLibraryTests
{
    [Fact]
    public void Cublas_Absent_NamesTheLibrary()
    {
        if (LibraryPresence.Cublas)
            Assert.Skip("libcublas is loadable here");
        var e = Assert.Throws<CudaLibraryNotFoundException>(() => CublasHandle.Create());
        AssertNamesLibrary(e, NativeLibraryNames.Cublas, "libcublas.so.13");
    }

    [Fact]
    public void CublasLt_Absent_NamesTheLibrary()
    {
        if (LibraryPresence.CublasLt)
            Assert.Skip("libcublasLt is loadable here");
        var e = Assert.Throws<CudaLibraryNotFoundException>(() => CublasLtHandle.Create());
        AssertNamesLibrary(e, NativeLibraryNames.CublasLt, "libcublasLt.so.13");
    }

    [Fact]
    public void Cudnn_Absent_NamesTheLibrary()
    {
        if (LibraryPresence.Cudnn)
            Assert.Skip("libcudnn is loadable here");
        var e = Assert.Throws<CudaLibraryNotFoundException>(() => TensorDescriptor.Nchw(cudnnDataType_t.CUDNN_DATA_FLOAT, 1, 3, 8, 8));
        AssertNamesLibrary(e, NativeLibraryNames.Cudnn, "libcudnn.so.9");
    }

    private static void AssertNamesLibrary(CudaLibraryNotFoundException e, string library, string soname)
    {
        Assert.Equal(library, e.Library);
        Assert.Contains($"('{library}') could not be loaded", e.Message, StringComparison.Ordinal);
        Assert.Contains(soname, e.Sonames);
        Assert.Contains(soname, e.Message, StringComparison.Ordinal);
    }
}
