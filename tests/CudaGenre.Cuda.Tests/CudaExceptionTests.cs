namespace CudaGenre.Cuda.Tests;

public class CudaExceptionTests
{
    [Fact]
    public void Message_NamesTheCall_TheStatus_AndItsText()
    {
        var e = new CudaException(NativeLibraryNames.Driver, "cuModuleLoadData", 218, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed");
        Assert.Equal("cuModuleLoadData failed: CUDA_ERROR_INVALID_PTX (218): a PTX JIT compilation failed", e.Message);
        Assert.Equal(("cuda", "cuModuleLoadData", 218, "CUDA_ERROR_INVALID_PTX"), (e.Library, e.Api, e.Status, e.StatusName));
    }
}
