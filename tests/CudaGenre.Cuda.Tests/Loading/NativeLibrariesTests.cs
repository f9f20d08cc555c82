using CudaGenre.Cuda.Driver;

namespace CudaGenre.Cuda.Tests.Loading;

public class NativeLibrariesTests
{
    [Fact]
    public void ACallIntoTheDriver_EitherWorks_OrThrowsTheTypedNotFoundException_NeverDllNotFound()
    {
        var probe = NativeLibraries.Probe(NativeLibraryNames.Driver);
        if (probe.Found)
        {
            Assert.True(CudaDriver.Version >= 11000, $"driver version {CudaDriver.Version}");
            return;
        }
        // The resolver throws from inside the runtime's binding of the [LibraryImport]; the exception reaches the caller as is.
        var e = Assert.Throws<CudaLibraryNotFoundException>(() => CudaDriver.Version);
        Assert.Equal(NativeLibraryNames.Driver, e.Library);
        Assert.Contains("libcuda.so.1", e.Message, StringComparison.Ordinal);
        Assert.Contains("CUDAGENRE_CUDA_LIB_PATH", e.Message, StringComparison.Ordinal);
        // A second call gives the same clear error (the failure is cached, not turned into a runtime error).
        Assert.Throws<CudaLibraryNotFoundException>(() => CudaDriver.Version);
        Assert.False(CudaDriver.TryInitialize(out var reason));
        Assert.StartsWith("the CUDA driver library was not found (tried libcuda.so.1, libcuda.so", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Dependencies_AreLoadedBeforeTheLibraryThatNeedsThem()
    {
        using var temp = new TempFolder();
        var folder = temp.Folder("libs");
        foreach (var file in new[] { "libcudnn.so.9", "libcublas.so.13", "libcublasLt.so.13", "libnvrtc.so.13" })
            File.WriteAllText(Path.Combine(folder, file), "ok");
        var order = new List<string>();
        var resolver = new LibraryResolver(new LibrarySearch(folder, _ => null, temp.Path, useLoader: false, path =>
        {
            order.Add(Path.GetFileName(path));
            return (0x3000 + order.Count, null);
        }));

        Assert.True(resolver.TryLoad(NativeLibraryNames.Cudnn, out _));
        Assert.Equal(["libcublasLt.so.13", "libcublas.so.13", "libnvrtc.so.13", "libcudnn.so.9"], order);
        // Cached: nothing is loaded twice.
        resolver.Load(NativeLibraryNames.Cublas);
        Assert.Equal(4, order.Count);
    }

    [Fact]
    public void SearchPath_CanBeSetAfterAFailure_ButNotAfterALibraryLoaded()
    {
        using var temp = new TempFolder();
        var folder = temp.Folder("later");
        var resolver = new LibraryResolver(new LibrarySearch(null, _ => null, temp.Path, useLoader: false, path => (File.Exists(path) ? 0x4000 : 0, "absent")));

        var e = Assert.Throws<CudaLibraryNotFoundException>(() => resolver.Load(NativeLibraryNames.Nvrtc));
        Assert.Contains("NativeLibraries.SearchPath: not set", e.Message, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(folder, "libnvrtc.so.12"), "");
        resolver.SearchPath = folder;
        Assert.Equal(0x4000, resolver.Load(NativeLibraryNames.Nvrtc));

        var refused = Assert.Throws<InvalidOperationException>(() => resolver.SearchPath = temp.Path);
        Assert.Contains("nvrtc is already loaded from", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_AreTheFiveLogicalNames()
    {
        Assert.Equal(
            [NativeLibraryNames.Driver, NativeLibraryNames.Nvrtc, NativeLibraryNames.CublasLt, NativeLibraryNames.Cublas, NativeLibraryNames.Cudnn],
            NativeLibraries.Names);
    }
}
