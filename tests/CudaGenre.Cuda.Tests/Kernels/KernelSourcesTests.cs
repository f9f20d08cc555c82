using CudaGenre.Cuda.Kernels;
using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Kernels;

public class KernelSourcesTests
{
    [Fact]
    public void EveryKernelFile_OfTheRepository_IsEmbedded_ByItsFileName_WithItsExactText()
    {
        var folder = Repository.RequireKernelsFolder();
        var onDisk = Directory.GetFiles(folder, "*.cu").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(onDisk);
        Assert.Equal(onDisk, KernelSources.Names);
        foreach (var name in onDisk.Append(KernelSources.PrecisionHeader))
            Assert.Equal(File.ReadAllText(Path.Combine(folder, name)), KernelSources.ReadFile(name));
    }

    [Fact]
    public void NvrtcSource_IsPrecisionHeader_ANewline_ThenTheFile_WithLineDirectives()
    {
        var name = KernelSources.Names[0];
        var header = KernelSources.ReadFile(KernelSources.PrecisionHeader);
        var kernel = KernelSources.ReadFile(name);
        Assert.Equal($"#line 1 \"precision.cuh\"\n{header}\n#line 1 \"{name}\"\n{kernel}", KernelSources.GetNvrtcSource(name));
    }

    [Fact]
    public void KernelFiles_HaveNoIncludes()
    {
        foreach (var name in KernelSources.Names)
            Assert.DoesNotContain("#include", CudaSource.WithoutComments(KernelSources.ReadFile(name)), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownFile_IsRefused_ListingThoseThatExist()
    {
        var e = Assert.Throws<ArgumentException>(() => KernelSources.ReadFile("nope.cu"));
        Assert.Contains("no kernel source named 'nope.cu'", e.Message, StringComparison.Ordinal);
        Assert.Contains(KernelSources.PrecisionHeader, e.Message, StringComparison.Ordinal);
    }
}
