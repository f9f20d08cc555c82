using CudaGenre.Cuda.Driver;
using CudaGenre.Cuda.Kernels;

namespace CudaGenre.Cuda.Tests.Kernels;

public class KernelTargetTests
{
    // nvrtcGetSupportedArchs of NVRTC 11.8 and of a CUDA 13 NVRTC (which dropped everything before Turing).
    private static readonly int[] Nvrtc118 = [35, 37, 50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 89, 90];
    private static readonly int[] Nvrtc130 = [75, 80, 86, 87, 88, 89, 90, 100, 103, 110, 120, 121];

    [Theory]
    [InlineData(9, 0, false, "sm_90")]
    [InlineData(8, 9, false, "sm_89")]
    [InlineData(10, 0, false, "compute_90")]
    [InlineData(12, 0, false, "compute_90")]
    [InlineData(8, 8, false, "compute_87")]
    [InlineData(10, 0, true, "sm_100")]
    [InlineData(10, 1, true, "compute_100")]
    public void ForDevice_PrefersItsOwnCubin_ElseTheNewestPtxNotNewerThanIt(int major, int minor, bool cuda13, string expected)
    {
        var target = KernelTarget.ForDevice(new ComputeCapability(major, minor), cuda13 ? Nvrtc130 : Nvrtc118);
        Assert.Equal(expected, target.ToString());
        Assert.Equal($"-arch={expected}", target.ArchOption);
    }

    [Fact]
    public void ForDevice_OlderThanEverySupportedArchitecture_IsRefused()
    {
        var e = Assert.Throws<NotSupportedException>(() => KernelTarget.ForDevice(new ComputeCapability(6, 1), Nvrtc130));
        Assert.Contains("compute capability 6.1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ComputeCapability_ArchAndOrder()
    {
        Assert.Equal(90, new ComputeCapability(9, 0).Arch);
        Assert.Equal(120, new ComputeCapability(12, 0).Arch);
        Assert.True(new ComputeCapability(8, 9) < new ComputeCapability(9, 0));
        Assert.Equal("8.6", new ComputeCapability(8, 6).ToString());
    }
}
