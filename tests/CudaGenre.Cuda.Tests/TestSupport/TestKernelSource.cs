namespace CudaGenre.Cuda.Tests.TestSupport;

/// <summary>
/// The tests' own kernels, <c>TestKernels/*.cu</c>, embedded in the test assembly. Tests compile them with NVRTC;
/// tools/cuda-emulator/build.sh compiles the same files into the emulated device, so a test kernel launches there too.
/// </summary>
internal static class TestKernelSource
{
    /// <summary>The text of <c>TestKernels/<paramref name="fileName"/></c>.</summary>
    public static string Read(string fileName)
    {
        using var stream = typeof(TestKernelSource).Assembly.GetManifestResourceStream("TestKernels." + fileName)
            ?? throw new FileNotFoundException($"TestKernels/{fileName} is not embedded in the test assembly", fileName);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
