using CudaGenre.Engine.Cpu;

namespace CudaGenre.Engine.Tests.Cpu;

/// <summary>Winograd F(2×2, 3×3) against the plain double-precision convolution (tests/Shared/TensorReference).</summary>
public sealed unsafe class WinogradTests : IDisposable
{
    private readonly CpuWorkers _cpu = new(3);

    public void Dispose() => _cpu.Dispose();

    [Theory]
    [InlineData(1, 16, 8, 8, 16, 1, false)]    // even map, whole tiles
    [InlineData(2, 16, 7, 9, 24, 1, true)]     // odd sizes: the last tile row and column are half outside
    [InlineData(1, 19, 6, 5, 33, 0, true)]     // no padding; channels off the vector width (scalar tails in and out)
    [InlineData(3, 32, 11, 13, 40, 1, true)]   // several tile blocks, N not a multiple of 16
    [InlineData(1, 64, 14, 14, 64, 1, true)]   // ResNet layer shape
    public void MatchesTheDirectConvolution_WithBiasResidualAndRelu(int batch, int cin, int h, int w, int cout, int padding, bool epilogue)
    {
        var x = Reference.Random(batch * cin * h * w, 20);
        var weight = Reference.Random(cout * cin * 9, 21);
        var bias = Reference.Random(cout, 22);
        var expected = TensorReference.Conv2dNchw(x, batch, cin, h, w, weight, cout, 3, 3, 1, padding, 1, epilogue ? bias : null, out var oh, out var ow);
        var expectedNhwc = TensorReference.NchwToNhwc(expected, batch, cout, oh, ow);
        var residual = Reference.Random(expectedNhwc.Length, 23);
        if (epilogue)
        {
            for (var i = 0; i < expectedNhwc.Length; i++)
            {
                expectedNhwc[i] = Math.Max(expectedNhwc[i] + residual[i], 0f);
            }
        }

        var geometry = new ConvGeometry(batch, h, w, cin, 3, 3, 1, padding);
        var filters = Winograd.TransformFilters(weight, cin, cout);
        var y = new float[geometry.OutPixels * cout];
        var input = TensorReference.NchwToNhwc(x, batch, cin, h, w);
        fixed (float* px = input, py = y, pBias = bias, pResidual = residual)
        {
            var e = epilogue ? new GemmEpilogue { Bias = pBias, Residual = pResidual, ResidualStride = cout, Relu = true } : default;
            var work = new WinogradWork(px, geometry, filters, py, e, new WorkerScratch(_cpu.Count, Winograd.ScratchLength(cin, cout)), _cpu.Count);
            _cpu.Run(work, work.Tiling.Count);
        }
        Assert.True(Reference.ScaledMaxError(y, expectedNhwc) < 1e-5, $"scaled error {Reference.ScaledMaxError(y, expectedNhwc)}");
    }

    [Fact]
    public void AppliesOnlyTo3x3Stride1DenseConvolutionsOfModerateWidth()
    {
        static CudaGenre.Engine.Graph.FusedConv Conv(int cin, int cout, int kernel, int stride, int groups) => new(
            "m", ["x"], "y", new CudaGenre.Core.Models.Conv2dNode("m", "x", "y", cin, cout, new(kernel, kernel), new(stride, stride), new(1, 1), groups, true),
            new float[cout * cin / groups * kernel * kernel], new float[cout], false, false);
        Assert.True(Winograd.Applies(Conv(64, 64, 3, 1, 1)));
        Assert.True(Winograd.Applies(Conv(16, 256, 3, 1, 1)));
        Assert.False(Winograd.Applies(Conv(3, 32, 3, 1, 1)));     // first layer: GEMM depth 3
        Assert.False(Winograd.Applies(Conv(64, 64, 3, 2, 1)));    // stride 2
        Assert.False(Winograd.Applies(Conv(64, 64, 1, 1, 1)));    // 1×1
        Assert.False(Winograd.Applies(Conv(512, 512, 3, 1, 1)));  // 7×7 maps in ResNet: weights would dominate
        Assert.False(Winograd.Applies(Conv(64, 64, 3, 1, 64)));   // depthwise
    }
}
