
namespace CudaGenre.Cuda.Tests.Kernels;

/// <summary>The launchers' grid rules and guards (kernels/README.md, "launch"), without a device; their argument widths are checked against the PTX in <see cref="PtxChecksTests"/>.</summary>
public class LauncherTests
{
    [Fact]
    public void Names_FollowOpLayoutPrecision()
    {
        Assert.Equal("depthwise3x3v4_nhwc_bf16", DepthwiseConv3x3Kernels.Launch(DepthwiseVariant.Vector, KernelStorage.BF16,
            1, 2, 0, 3, 1, 8, 5, 5, 1, false, false).EntryPoint);
        Assert.Equal("widen_f16", ConvertKernels.Widen(KernelStorage.F16, 1, 2, 10).EntryPoint);
        Assert.Equal("preprocess.cu", PreprocessKernels.Launch(KernelStorage.F32, 1, 30, 300, 3, 2, 3, 4, 2, 5, 6, 7, 2,
            1, 1, 1, 0, 0, 0, 8, 1, 4, 4).File);
    }

    [Fact]
    public void Grids_FollowTheReadme_OneThreadPerOutput_OneBlockPerTile()
    {
        // 2×8 images of 9×9, stride 2: 5×5 outputs.
        PreparedLaunch Depthwise(DepthwiseVariant variant) => DepthwiseConv3x3Kernels.Launch(variant, KernelStorage.F32, 1, 2, 0, 3, 2, 8, 9, 9, 2, false, false);
        Assert.Equal((2u * 8 * 5 * 5 + 255) / 256, Depthwise(DepthwiseVariant.Plain).Grid.X);
        Assert.Equal((2u * 5 * 2 * 8 + 255) / 256, Depthwise(DepthwiseVariant.Strip).Grid.X);
        Assert.Equal(2u * 2 * 1 * 1, Depthwise(DepthwiseVariant.Tile).Grid.X); // ⌈5/4⌉ row tiles, 1 column tile, 1 channel tile
        Assert.Equal(256u, Depthwise(DepthwiseVariant.Tile).Block.X);
        // 2·9·9 = 162 pixels → 3 pixel tiles; 130 output channels → 3 channel tiles.
        Assert.Equal(9u, SeparableConv3x3Kernels.Launch(KernelStorage.F16, 1, 2, 0, 3, 0, 0, 4, 2, 8, 9, 9, 130, 1, false, false, false).Grid.X);
        Assert.Equal(1u, PoolingKernels.GlobalAvgPool(KernelStorage.F32, 1, 2, 4, 40, 49).Grid.X); // 160 planes, one thread each
        Assert.Equal(2u, PoolingKernels.GlobalAvgPool(KernelStorage.F32, 1, 2, 4, 65, 49).Grid.X); // 260 planes
        Assert.Equal((2u * 8 * 9 * 9 + 255) / 256, PoolingKernels.MaxPool2d(KernelStorage.F32, 1, 2, 2, 8, 17, 17, 3, 2, 1).Grid.X);
    }

    [Fact]
    public void Variants_RefuseWhatTheirKernelCannotRun()
    {
        Assert.Throws<ArgumentException>(() => DepthwiseConv3x3Kernels.Launch(DepthwiseVariant.Vector, KernelStorage.F32, 1, 2, 0, 3, 1, 6, 5, 5, 1, false, false));
        Assert.Throws<ArgumentException>(() => DepthwiseConv3x3Kernels.Launch(DepthwiseVariant.Tile, KernelStorage.F32, 1, 2, 0, 3, 1, 8, 5, 5, 3, false, false));
        Assert.Throws<ArgumentException>(() => DepthwiseConv3x3Kernels.Launch(DepthwiseVariant.Strip, KernelStorage.F32, 1, 2, 0, 3, 1, 8, 5, 5, 0, false, false));
        // The plain kernel takes any stride ≥ 1.
        Assert.Equal("depthwise3x3_nhwc_f32", DepthwiseConv3x3Kernels.Launch(DepthwiseVariant.Plain, KernelStorage.F32, 1, 2, 0, 3, 1, 8, 5, 5, 3, false, false).EntryPoint);
    }

    [Fact]
    public void Preprocess_Retarget_SetsPixelsOutputAndBatch_InPlace_WithoutAllocating()
    {
        var launch = PreprocessKernels.Launch(KernelStorage.F32, 0, 30, 300, 3, 2, 3, 4, 2, 5, 6, 7, 2, 1, 1, 1, 0, 0, 0, 0, 1, 16, 16);
        PreprocessKernels.Retarget(launch, 0x100, 0x200, 1, 16, 16); // first call: JIT, statics
        var before = GC.GetAllocatedBytesForCurrentThread();
        var grid = PreprocessKernels.Retarget(launch, 0xAB00, 0xCD00, 3, 16, 16);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(3u, grid.X);
        Assert.Equal(0xAB00UL, BitConverter.ToUInt64(launch.Arguments.Values, launch.Arguments.OffsetOf(0)));
        Assert.Equal(0xCD00UL, BitConverter.ToUInt64(launch.Arguments.Values, launch.Arguments.OffsetOf(18)));
        Assert.Equal(3, BitConverter.ToInt32(launch.Arguments.Values, launch.Arguments.OffsetOf(19)));
    }
}
