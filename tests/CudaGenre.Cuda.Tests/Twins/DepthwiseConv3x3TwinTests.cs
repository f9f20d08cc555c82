namespace CudaGenre.Cuda.Tests.Twins;

public class DepthwiseConv3x3TwinTests
{
    private static readonly float[] OneToNine = [1, 2, 3, 4, 5, 6, 7, 8, 9];

    [Fact]
    public void Stride1_Cross_AsComputedByHand()
    {
        // out = 2·x(h, w) + the 4 neighbours that exist (zero padding).
        float[] w = [0, 1, 0, 1, 2, 1, 0, 1, 0];
        var y = DepthwiseConv3x3Twin.Run(KernelStorage.F32, OneToNine, w, null, 1, 1, 3, 3, 1, false, false);
        Assert.Equal([8f, 13, 14, 21, 30, 29, 26, 37, 32], y);
    }

    [Fact]
    public void SingleTaps_ShiftTheImage_AsACrossCorrelation()
    {
        // PyTorch's Conv2d is a cross-correlation: tap (kh, kw) reads x(h − 1 + kh, w − 1 + kw).
        var topLeft = new float[9];
        topLeft[0] = 1;
        Assert.Equal([0f, 0, 0, 0, 1, 2, 0, 4, 5], DepthwiseConv3x3Twin.Run(KernelStorage.F32, OneToNine, topLeft, null, 1, 1, 3, 3, 1, false, false));
        var rightOfCentre = new float[9];
        rightOfCentre[(1 * 3) + 2] = 1;
        Assert.Equal([2f, 3, 0, 5, 6, 0, 8, 9, 0], DepthwiseConv3x3Twin.Run(KernelStorage.F32, OneToNine, rightOfCentre, null, 1, 1, 3, 3, 1, false, false));
    }

    [Fact]
    public void Stride2_BoxSum_AsComputedByHand()
    {
        var x = Enumerable.Range(1, 16).Select(v => (float)v).ToArray(); // 4×4
        var ones = Enumerable.Repeat(1f, 9).ToArray();
        var y = DepthwiseConv3x3Twin.Run(KernelStorage.F32, x, ones, null, 1, 1, 4, 4, 2, false, false);
        // Windows centred on (0,0), (0,2), (2,0), (2,2).
        Assert.Equal([1f + 2 + 5 + 6, 2 + 3 + 4 + 6 + 7 + 8, 5 + 6 + 9 + 10 + 13 + 14, 6 + 7 + 8 + 10 + 11 + 12 + 14 + 15 + 16], y);
    }

    [Theory]
    [InlineData(4, 1, 4)]
    [InlineData(4, 2, 2)]
    [InlineData(5, 2, 3)]
    [InlineData(112, 2, 56)]
    [InlineData(1, 2, 1)]
    public void OutputSize_IsPyTorchsWithPadding1(int size, int stride, int expected)
    {
        Assert.Equal(expected, DepthwiseConv3x3Twin.OutputSize(size, stride));
        Assert.Equal(((size + 2 - 3) / stride) + 1, expected); // floor((H + 2p − k)/s) + 1
    }

    [Theory]
    [InlineData(false, false, -5f)]
    [InlineData(true, false, 1f)] // relu(−3)·2 + 1
    [InlineData(false, true, 0f)] // relu(−3·2 + 1)
    [InlineData(true, true, 1f)]
    public void ReluFlags_ApplyBeforeTheConvolution_AndAfterTheBias(bool reluInput, bool reluOutput, float expected)
    {
        var w = new float[9];
        w[4] = 2;
        var y = DepthwiseConv3x3Twin.Run(KernelStorage.F32, [-3f], w, [1f], 1, 1, 1, 1, 1, reluInput, reluOutput);
        Assert.Equal([expected], y);
    }

    [Fact]
    public void EachChannel_UsesItsOwnWeights()
    {
        // 2 channels, 1×2 image. Channel 0: centre tap 1; channel 1: centre tap 10 and left tap 1.
        var w = new float[18];
        w[4] = 1;
        w[9 + 4] = 10;
        w[9 + 3] = 1;
        float[] nhwc = [1, 3, 2, 4]; // c0: (1, 2), c1: (3, 4)
        Assert.Equal([1f, 30, 2, 43], DepthwiseConv3x3Twin.Run(KernelStorage.F32, nhwc, w, null, 1, 2, 1, 2, 1, false, false));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RandomData_MatchesAPaddedDoubleReference(int stride)
    {
        const int N = 2, C = 5, H = 9, W = 6;
        var x = TwinTestData.Uniform(1, N * C * H * W);
        var w = TwinTestData.Uniform(2, C * 9);
        var bias = TwinTestData.Uniform(3, C);
        int outH = DepthwiseConv3x3Twin.OutputSize(H, stride), outW = DepthwiseConv3x3Twin.OutputSize(W, stride);

        // Reference: pad explicitly with zeros, then correlate in double, written independently of the twin.
        var expected = new float[N * C * outH * outW];
        for (var n = 0; n < N; n++)
        {
            for (var c = 0; c < C; c++)
            {
                var padded = new double[H + 2, W + 2];
                for (var h = 0; h < H; h++)
                    for (var ww = 0; ww < W; ww++)
                        padded[h + 1, ww + 1] = Math.Max(0, x[(((n * C) + c) * H * W) + (h * W) + ww]);
                for (var oh = 0; oh < outH; oh++)
                {
                    for (var ow = 0; ow < outW; ow++)
                    {
                        double s = bias[c];
                        for (var kh = 0; kh < 3; kh++)
                            for (var kw = 0; kw < 3; kw++)
                                s += w[(c * 9) + (kh * 3) + kw] * padded[(oh * stride) + kh, (ow * stride) + kw];
                        expected[(((n * C) + c) * outH * outW) + (oh * outW) + ow] = (float)Math.Max(0, s);
                    }
                }
            }
        }

        var nhwc = DepthwiseConv3x3Twin.Run(KernelStorage.F32, TensorReference.NchwToNhwc(x, N, C, H, W), w, bias, N, C, H, W, stride, true, true);
        TwinTestData.AssertClose(TensorReference.NchwToNhwc(expected, N, C, outH, outW), nhwc, 2e-6, 2e-6);
    }

    [Theory]
    [InlineData(KernelStorage.F16)]
    [InlineData(KernelStorage.BF16)]
    public void SixteenBitStorage_RoundsLoadsAndTheStore_AndAccumulatesInFp32(KernelStorage storage)
    {
        const int N = 1, C = 3, H = 5, W = 4;
        var x = TwinTestData.Uniform(4, N * C * H * W);
        var w = TwinTestData.Uniform(5, C * 9);
        var bias = TwinTestData.Uniform(6, C);
        var roundedX = x.Select(v => Storage.Round(storage, v)).ToArray();
        var roundedW = w.Select(v => Storage.Round(storage, v)).ToArray();
        var fp32 = DepthwiseConv3x3Twin.Run(KernelStorage.F32, roundedX, roundedW, bias, N, C, H, W, 1, false, false);
        var y = DepthwiseConv3x3Twin.Run(storage, x, w, bias, N, C, H, W, 1, false, false);
        TwinTestData.AssertBitEqual(fp32.Select(v => Storage.Round(storage, v)).ToArray(), y);
        // The loads are rounded too: rounding only the FP32 result of the unrounded inputs differs somewhere.
        var storeOnly = DepthwiseConv3x3Twin.Run(KernelStorage.F32, x, w, bias, N, C, H, W, 1, false, false)
            .Select(v => Storage.Round(storage, v)).ToArray();
        Assert.NotEqual(storeOnly, y);
    }

    [Fact]
    public void WrongShapes_AreRejected_WithTheArgumentNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => DepthwiseConv3x3Twin.Run(KernelStorage.F32, new float[8], new float[9], null, 1, 1, 3, 3, 1, false, false));
        Assert.Contains("x holds 8 elements; 9 are needed", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => DepthwiseConv3x3Twin.Run(KernelStorage.F32, new float[9], new float[9], new float[2], 1, 1, 3, 3, 1, false, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => DepthwiseConv3x3Twin.Run(KernelStorage.F32, new float[9], new float[9], null, 1, 1, 3, 3, 0, false, false));
    }
}
