namespace CudaGenre.Cuda.Tests.Twins;

/// <summary>
/// CPU twin of <c>kernels/depthwise_conv3x3.cu</c> (entry points <c>depthwise3x3{,w4,v4,tile}_nhwc_{f32,f16,bf16}</c>, all the same bits):
/// depthwise 3×3 convolution, zero padding 1, with the kernel's exact operation order, so the f32
/// results agree bit for bit.
/// </summary>
public static class DepthwiseConv3x3Twin
{
    /// <summary>Output rows (or columns) for <paramref name="size"/> input rows: (size − 1) / stride + 1.</summary>
    public static int OutputSize(int size, int stride) => ((size - 1) / stride) + 1;

    /// <summary>
    /// Runs the convolution. <paramref name="x"/>: N × C × H × W, NHWC;
    /// <paramref name="w"/>: C × 3 × 3 (PyTorch's [C, 1, 3, 3]); both are read as <paramref name="storage"/>
    /// values. <paramref name="bias"/>: C floats or null. Returns N × C × Ho × Wo, NHWC,
    /// rounded to <paramref name="storage"/>.
    /// </summary>
    public static float[] Run(
        KernelStorage storage, float[] x, float[] w, float[]? bias,
        int nBatch, int channels, int height, int width, int stride, bool reluInput, bool reluOutput)
    {
        ArgumentNullException.ThrowIfNull(w);
        Storage.RequireTensor(x, nBatch, channels, height, width);
        Storage.RequirePositive(nameof(stride), stride);
        Storage.RequireLength(nameof(w), w.Length, channels * 9L);
        if (bias != null)
            Storage.RequireLength(nameof(bias), bias.Length, channels);

        int outH = OutputSize(height, stride), outW = OutputSize(width, stride);
        var y = new float[nBatch * channels * outH * outW];
        for (var n = 0; n < nBatch; n++)
        {
            for (var c = 0; c < channels; c++)
            {
                for (var oh = 0; oh < outH; oh++)
                {
                    for (var ow = 0; ow < outW; ow++)
                    {
                        var acc = 0f;
                        for (var kh = 0; kh < 3; kh++)
                        {
                            var ih = (oh * stride) - 1 + kh;
                            if (ih < 0 || ih >= height)
                                continue;
                            for (var kw = 0; kw < 3; kw++)
                            {
                                var iw = (ow * stride) - 1 + kw;
                                if (iw < 0 || iw >= width)
                                    continue;
                                var v = Storage.Round(storage, x[Storage.NhwcIndex(n, c, ih, iw, channels, height, width)]);
                                if (reluInput)
                                    v = Relu(v);
                                acc = MathF.FusedMultiplyAdd(Storage.Round(storage, w[(((c * 3) + kh) * 3) + kw]), v, acc);
                            }
                        }
                        if (bias != null)
                            acc += bias[c];
                        if (reluOutput)
                            acc = Relu(acc);
                        y[Storage.NhwcIndex(n, c, oh, ow, channels, outH, outW)] = Storage.Round(storage, acc);
                    }
                }
            }
        }
        return y;
    }

    /// <summary>The kernels' ReLU: <c>x &lt; 0 ? 0 : x</c>, so NaN passes through (as torch.relu).</summary>
    internal static float Relu(float x) => x < 0 ? 0 : x;
}
