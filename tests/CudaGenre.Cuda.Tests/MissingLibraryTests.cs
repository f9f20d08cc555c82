using CudaGenre.Cuda.Blas;
using CudaGenre.Cuda.Dnn;

namespace CudaGenre.Cuda.Tests;

/// <summary>
/// Calling into a library that is not there must fail with an error that names it, not crash.
/// TODO(cuda-driver merge): once the library resolver lands, expect its CudaLibraryNotFoundException (with the places tried)
/// instead of the runtime's DllNotFoundException.
/// </summary>
public class MissingLibraryTests
{
    [Fact]
    public void Cublas_Absent_NamesTheLibrary()
    {
        if (LibraryPresence.Cublas)
            Assert.Skip("libcublas is loadable here");
        var e = Assert.ThrowsAny<Exception>(() => CublasHandle.Create());
        AssertNamesLibrary(e, NativeLibraryNames.Cublas);
    }

    [Fact]
    public void CublasLt_Absent_NamesTheLibrary()
    {
        if (LibraryPresence.CublasLt)
            Assert.Skip("libcublasLt is loadable here");
        var e = Assert.ThrowsAny<Exception>(() => CublasLtHandle.Create());
        AssertNamesLibrary(e, NativeLibraryNames.CublasLt);
    }

    [Fact]
    public void Cudnn_Absent_NamesTheLibrary()
    {
        if (LibraryPresence.Cudnn)
            Assert.Skip("libcudnn is loadable here");
        var e = Assert.ThrowsAny<Exception>(() => TensorDescriptor.Nchw(cudnnDataType_t.CUDNN_DATA_FLOAT, 1, 3, 8, 8));
        AssertNamesLibrary(e, NativeLibraryNames.Cudnn);
    }

    private static void AssertNamesLibrary(Exception e, string library)
    {
        Assert.True(e is DllNotFoundException or CudaException, $"unexpected {e.GetType().Name}: {e.Message}");
        Assert.Contains(library, e.Message, StringComparison.Ordinal);
    }
}
