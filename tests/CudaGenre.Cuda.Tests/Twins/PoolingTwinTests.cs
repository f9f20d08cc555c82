namespace CudaGenre.Cuda.Tests.Twins;

public class PoolingTwinTests
{
    [Fact]
    public void MaxPool2x2Stride2_AsComputedByHand()
    {
        float[] x =
        [
            1, 5, -2, 0,
            3, 2, 7, 1,
            -1, -3, 4, 4,
            -5, -2, 6, 9,
        ];
        Assert.Equal([5f, 7, -1, 9], PoolingTwin.MaxPool2d(KernelStorage.F32, x, 1, 1, 4, 4, 2, 2, 0));
    }

    [Fact]
    public void MaxPool3x3Stride2Pad1_PaddingNeverWins()
    {
        // All values negative: zero padding would give 0; PyTorch pads with −inf.
        float[] x = [-1, -2, -3, -4, -5, -6, -7, -8, -9];
        Assert.Equal([-1f, -2, -4, -5], PoolingTwin.MaxPool2d(KernelStorage.F32, x, 1, 1, 3, 3, 3, 2, 1));
    }

    [Fact]
    public void MaxPool_NaNInAWindow_GivesNaN_OnlyThere()
    {
        float[] x = [1, float.NaN, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
        var y = PoolingTwin.MaxPool2d(KernelStorage.F32, x, 1, 1, 4, 4, 2, 2, 0);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal([7f, 13, 15], y[1..]);
        // NaN first, a larger value after it: still NaN (the NaN is never replaced).
        Assert.True(float.IsNaN(PoolingTwin.MaxPool2d(KernelStorage.F32, [float.NaN, 100f, 1f, 2f], 1, 1, 2, 2, 2, 2, 0)[0]));
    }

    [Theory]
    [InlineData(112, 3, 2, 1, 56)] // ResNet's stem pool
    [InlineData(147, 3, 2, 1, 74)] // Xception's block pools (299 input)
    [InlineData(74, 3, 2, 1, 37)]
    [InlineData(7, 2, 2, 0, 3)] // the CNN's 2×2 pool drops an odd last row, as PyTorch
    [InlineData(2, 2, 2, 1, 2)]
    public void MaxPoolOutputSize_IsPyTorchsFloorFormula(int size, int kernel, int stride, int pad, int expected) =>
        Assert.Equal(expected, PoolingTwin.OutputSize(size, kernel, stride, pad));

    [Fact]
    public void MaxPool_RandomData_MatchesABruteForceReference()
    {
        const int N = 2, C = 3, H = 9, W = 7, K = 3, S = 2, P = 1;
        var x = TwinTestData.Uniform(21, N * C * H * W);
        int outH = PoolingTwin.OutputSize(H, K, S, P), outW = PoolingTwin.OutputSize(W, K, S, P);
        var expected = TensorReference.MaxPoolNchw(x, N, C, H, W, K, S, P, out _, out _);
        var nhwc = PoolingTwin.MaxPool2d(KernelStorage.F32, TensorReference.NchwToNhwc(x, N, C, H, W), N, C, H, W, K, S, P);
        TwinTestData.AssertBitEqual(TensorReference.NchwToNhwc(expected, N, C, outH, outW), nhwc);
    }

    [Theory]
    [InlineData(KernelStorage.F16)]
    [InlineData(KernelStorage.BF16)]
    public void MaxPool_SixteenBit_IsTheMaxOfTheRoundedValues(KernelStorage storage)
    {
        var x = TwinTestData.Uniform(22, 2 * 6 * 6);
        var rounded = x.Select(v => Storage.Round(storage, v)).ToArray();
        TwinTestData.AssertBitEqual(
            PoolingTwin.MaxPool2d(KernelStorage.F32, rounded, 1, 2, 6, 6, 3, 2, 1),
            PoolingTwin.MaxPool2d(storage, x, 1, 2, 6, 6, 3, 2, 1));
    }

    [Fact]
    public void MaxPool_BadPaddingOrWindow_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PoolingTwin.MaxPool2d(KernelStorage.F32, new float[16], 1, 1, 4, 4, 2, 2, 2));
        Assert.Throws<ArgumentException>(() => PoolingTwin.MaxPool2d(KernelStorage.F32, new float[1], 1, 1, 1, 1, 3, 1, 0));
    }

    [Fact]
    public void GlobalAvgPool_AsComputedByHand()
    {
        // N=1, C=2, H×W = 2×2, NHWC. c0: (1 + 2 + 3 + 6)/4 = 3; c1: (−1 + 0 + 0.5 + 2.5)/4 = 0.5.
        Assert.Equal([3f, 0.5f], PoolingTwin.GlobalAvgPool(KernelStorage.F32, [1, -1, 2, 0, 3, 0.5f, 6, 2.5f], 1, 2, 4));
    }

    [Fact]
    public void GlobalAvgPool_RandomData_MatchesADoubleMean()
    {
        const int N = 3, C = 5, HW = 49; // ResNet's 7×7 final map
        var x = TwinTestData.Uniform(23, N * C * HW);
        var expected = new float[N * C];
        for (var i = 0; i < N * C; i++)
            expected[i] = (float)x.AsSpan(i * HW, HW).ToArray().Average(v => (double)v);
        // The double mean reads x as NCHW (planes of HW); the twin gets it NHWC.
        TwinTestData.AssertClose(expected, PoolingTwin.GlobalAvgPool(KernelStorage.F32, TensorReference.NchwToNhwc(x, N, C, 1, HW), N, C, HW), 1e-6);
    }

    [Theory]
    [InlineData(KernelStorage.F16)]
    [InlineData(KernelStorage.BF16)]
    public void GlobalAvgPool_SixteenBit_RoundsLoadsAndTheStore(KernelStorage storage)
    {
        var x = TwinTestData.Uniform(24, 2 * 4 * 9);
        var expected = PoolingTwin.GlobalAvgPool(KernelStorage.F32, x.Select(v => Storage.Round(storage, v)).ToArray(), 2, 4, 9)
            .Select(v => Storage.Round(storage, v)).ToArray();
        TwinTestData.AssertBitEqual(expected, PoolingTwin.GlobalAvgPool(storage, x, 2, 4, 9));
    }
}
