namespace CudaGenre.Cuda.Tests.Twins;

public class BiasActTwinTests
{
    [Fact]
    public void ScaleShiftResidualRelu_AsComputedByHand()
    {
        // N=1, C=2, HW=2, NHWC: (p0 c0, p0 c1, p1 c0, p1 c1).
        // c0: 1·2+1+0.5 = 3.5, −2·2+1+0.5 = −2.5 → 0; c1: 3·0.5−1−4 = −3.5 → 0, 4·0.5−1+1 = 2.
        float[] scale = [2, 0.5f], shift = [1, -1];
        var y = BiasActTwin.Run(KernelStorage.F32, [1, 3, -2, 4], scale, shift, [0.5f, -4, 0.5f, 1], 1, 2, 2, true);
        Assert.Equal([3.5f, 0, 0, 2], y);
    }

    [Fact]
    public void Relu_ComesAfterTheResidualAdd_AsInResNet()
    {
        // relu(bn(conv) + identity): −1 + 2 = 1. Applying ReLU before the add would give 2.
        Assert.Equal([1f], BiasActTwin.Run(KernelStorage.F32, [-1f], null, [0f], [2f], 1, 1, 1, true));
    }

    [Fact]
    public void ScaleAndShift_AreOneFusedMultiplyAdd()
    {
        // (1 + 2^-12)² − 1 = 2^-11 + 2^-24 exactly. Multiplying first rounds 2^-24 away (a tie to even).
        var x = 1f + MathF.Pow(2, -12);
        var y = BiasActTwin.Run(KernelStorage.F32, [x], [x], [-1f], null, 1, 1, 1, false);
        Assert.Equal(MathF.Pow(2, -11) + MathF.Pow(2, -24), y[0]);
        Assert.NotEqual((x * x) - 1f, y[0]);
    }

    [Fact]
    public void NullScaleOrShift_MeanOneAndZero()
    {
        float[] x = [1.5f, -2.25f, 3];
        Assert.Equal([2.5f, -1.25f, 4], BiasActTwin.Run(KernelStorage.F32, x, null, [1f], null, 1, 1, 3, false));
        Assert.Equal([3f, -4.5f, 6], BiasActTwin.Run(KernelStorage.F32, x, [2f], null, null, 1, 1, 3, false));
        Assert.Equal([1.5f, 0, 3], BiasActTwin.Run(KernelStorage.F32, x, null, null, null, 1, 1, 3, true));
    }

    [Fact]
    public void FoldedBatchNorm_MatchesTheUnfoldedFormula()
    {
        // BN(eval) = (x − mean)/sqrt(var + eps)·gamma + beta, folded to x·scale + shift on the host.
        const int N = 2, C = 4, HW = 6;
        const double Eps = 1e-5;
        var x = TwinTestData.Uniform(1, N * C * HW);
        var gamma = TwinTestData.Uniform(2, C, 0.5f, 1.5f);
        var beta = TwinTestData.Uniform(3, C);
        var mean = TwinTestData.Uniform(4, C);
        var variance = TwinTestData.Uniform(5, C, 0.1f, 2f);
        var scale = new float[C];
        var shift = new float[C];
        for (var c = 0; c < C; c++)
        {
            scale[c] = (float)(gamma[c] / Math.Sqrt(variance[c] + Eps));
            shift[c] = (float)(beta[c] - (mean[c] * (double)scale[c]));
        }
        var identity = TwinTestData.Uniform(6, N * C * HW);

        // The reference runs over x and identity as NCHW; the twin gets them NHWC.
        var expected = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var c = i / HW % C;
            var bn = ((x[i] - mean[c]) / Math.Sqrt(variance[c] + Eps) * gamma[c]) + beta[c];
            expected[i] = (float)Math.Max(0, bn + identity[i]);
        }
        var y = BiasActTwin.Run(KernelStorage.F32, TensorReference.NchwToNhwc(x, N, C, 1, HW), scale, shift,
            TensorReference.NchwToNhwc(identity, N, C, 1, HW), N, C, HW, true);
        TwinTestData.AssertClose(TensorReference.NchwToNhwc(expected, N, C, 1, HW), y, 2e-6, 2e-6);
        Assert.Contains(y, v => v == 0); // the ReLU did cut something
        Assert.Contains(y, v => v > 0);
    }

    [Theory]
    [InlineData(KernelStorage.F16)]
    [InlineData(KernelStorage.BF16)]
    public void SixteenBitStorage_RoundsXResidualAndTheStore(KernelStorage storage)
    {
        var x = TwinTestData.Uniform(7, 3 * 8);
        var residual = TwinTestData.Uniform(8, 3 * 8);
        float[] scale = [0.3f, 1.7f, -0.9f], shift = [0.1f, -0.2f, 0.05f];
        var expected = BiasActTwin.Run(KernelStorage.F32, x.Select(v => Storage.Round(storage, v)).ToArray(), scale, shift,
            residual.Select(v => Storage.Round(storage, v)).ToArray(), 1, 3, 8, false).Select(v => Storage.Round(storage, v)).ToArray();
        TwinTestData.AssertBitEqual(expected, BiasActTwin.Run(storage, x, scale, shift, residual, 1, 3, 8, false));
    }

    [Fact]
    public void NaN_PassesThroughTheRelu()
    {
        var y = BiasActTwin.Run(KernelStorage.F32, [float.NaN, -1f], null, null, null, 1, 1, 2, true);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(0f, y[1]);
    }

    [Fact]
    public void WrongShapes_AreRejected_WithTheArgumentNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => BiasActTwin.Run(KernelStorage.F32, new float[4], new float[3], null, null, 1, 2, 2, false));
        Assert.Equal("scale", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => BiasActTwin.Run(KernelStorage.F32, new float[4], null, null, new float[5], 1, 2, 2, false));
        Assert.Equal("residual", e.ParamName);
    }
}
