namespace CudaGenre.Cuda.Tests.Twins;

public class SeparableConv3x3TwinTests
{
    [Fact]
    public void OnePixel_TwoChannels_AsComputedByHand()
    {
        // A 1×1 image: only the centre tap of each channel's 3×3 filter sees it.
        var dw = new float[18];
        dw[4] = 2;      // channel 0: d0 = relu(−3)·2 + 0.5 = 0.5 (ReLU on the input)
        dw[9 + 4] = -1; // channel 1: d1 = relu(4·−1 + 0.5) = 0 (ReLU in the middle)
        float[] pw = [10, 100, -1, 1]; // k0 = 10·d0 + 100·d1, k1 = −d0 + d1
        var y = SeparableConv3x3Twin.Run(KernelStorage.F32, [-3f, 4f], dw, [0.5f, 0.5f], pw, [1f, 0f], residual: [0f, 7f],
            1, 2, 1, 1, 2, 1, reluInput: true, reluMid: true, reluOutput: false);
        Assert.Equal([10 * 0.5f + 1, -0.5f + 7], y);
        var relu = SeparableConv3x3Twin.Run(KernelStorage.F32, [-3f, 4f], dw, [0.5f, 0.5f], pw, [1f, 0f], residual: [0f, -7f],
            1, 2, 1, 1, 2, 1, reluInput: true, reluMid: true, reluOutput: true);
        Assert.Equal([6f, 0f], relu);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RandomData_MatchesADoubleReference_OfDepthwiseThenPointwise(int stride)
    {
        const int N = 2, C = 5, H = 7, W = 6, K = 3;
        var x = TwinTestData.Uniform(11, N * H * W * C);
        var dw = TwinTestData.Uniform(12, C * 9);
        var dwBias = TwinTestData.Uniform(13, C);
        var pw = TwinTestData.Uniform(14, K * C);
        var pwBias = TwinTestData.Uniform(15, K);
        int outH = DepthwiseConv3x3Twin.OutputSize(H, stride), outW = DepthwiseConv3x3Twin.OutputSize(W, stride);
        var residual = TwinTestData.Uniform(16, N * outH * outW * K);

        // Written independently of the twins: zero padding by bounds, NHWC indexing, double sums.
        var expected = new float[N * outH * outW * K];
        for (var n = 0; n < N; n++)
        {
            for (var oh = 0; oh < outH; oh++)
            {
                for (var ow = 0; ow < outW; ow++)
                {
                    var d = new double[C];
                    for (var c = 0; c < C; c++)
                    {
                        double s = dwBias[c];
                        for (var kh = 0; kh < 3; kh++)
                        {
                            for (var kw = 0; kw < 3; kw++)
                            {
                                int ih = (oh * stride) + kh - 1, iw = (ow * stride) + kw - 1;
                                if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                                    s += dw[(c * 9) + (kh * 3) + kw] * Math.Max(0, x[((((n * H) + ih) * W) + iw) * C + c]);
                            }
                        }
                        d[c] = s; // no ReLU in the middle here
                    }
                    var p = (((n * outH) + oh) * outW) + ow;
                    for (var k = 0; k < K; k++)
                    {
                        double s = pwBias[k] + residual[(p * K) + k];
                        for (var c = 0; c < C; c++)
                            s += pw[(k * C) + c] * d[c];
                        expected[(p * K) + k] = (float)Math.Max(0, s);
                    }
                }
            }
        }

        var y = SeparableConv3x3Twin.Run(KernelStorage.F32, x, dw, dwBias, pw, pwBias, residual, N, C, H, W, K, stride,
            reluInput: true, reluMid: false, reluOutput: true);
        TwinTestData.AssertClose(expected, y, 1e-5, 1e-5);
    }

    [Theory]
    [InlineData(KernelStorage.F16)]
    [InlineData(KernelStorage.BF16)]
    public void SixteenBit_RoundsTheDepthwiseValues_AsTheSeparateKernelStoresThem(KernelStorage storage)
    {
        const int N = 1, C = 6, H = 4, W = 5, K = 4;
        var x = TwinTestData.Uniform(21, N * H * W * C);
        var dw = TwinTestData.Uniform(22, C * 9);
        var pw = TwinTestData.Uniform(23, K * C);
        var pwBias = TwinTestData.Uniform(24, K);
        var y = SeparableConv3x3Twin.Run(storage, x, dw, null, pw, pwBias, null, N, C, H, W, K, 1, false, false, false);

        // The separate path: the depthwise kernel's stored output, then a 1×1 convolution of it in FP32.
        var stored = DepthwiseConv3x3Twin.Run(storage, x, dw, null, N, C, H, W, 1, false, false);
        var roundedPw = pw.Select(v => Storage.Round(storage, v)).ToArray();
        var separate = SeparableConv3x3Twin.Run(KernelStorage.F32, stored, IdentityDepthwise(C), null,
            roundedPw, pwBias, null, N, C, H, W, K, 1, false, false, false).Select(v => Storage.Round(storage, v)).ToArray();
        TwinTestData.AssertBitEqual(separate, y);

        // Keeping the depthwise values in FP32 would give other results: the rounding is really there.
        var unrounded = DepthwiseConv3x3Twin.Run(KernelStorage.F32, x.Select(v => Storage.Round(storage, v)).ToArray(),
            dw.Select(v => Storage.Round(storage, v)).ToArray(), null, N, C, H, W, 1, false, false);
        Assert.NotEqual(stored, unrounded);
    }

    /// <summary>Depthwise filters with only the centre tap, 1: the pointwise half then sees the input itself.</summary>
    private static float[] IdentityDepthwise(int channels)
    {
        var identity = new float[channels * 9];
        for (var c = 0; c < channels; c++)
            identity[(c * 9) + 4] = 1;
        return identity;
    }

    [Fact]
    public void WrongShapes_AreRejected_WithTheArgumentNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => SeparableConv3x3Twin.Run(KernelStorage.F32, new float[4], new float[18], null,
            new float[5], null, null, 1, 2, 1, 2, 3, 1, false, false, false));
        Assert.Contains("pw holds 5 elements; 6 are needed", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SeparableConv3x3Twin.Run(KernelStorage.F32, new float[4], new float[18], null,
            new float[6], null, new float[5], 1, 2, 1, 2, 3, 1, false, false, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => SeparableConv3x3Twin.Run(KernelStorage.F32, new float[4], new float[18], null,
            new float[6], null, null, 1, 2, 1, 2, 0, 1, false, false, false));
    }
}
