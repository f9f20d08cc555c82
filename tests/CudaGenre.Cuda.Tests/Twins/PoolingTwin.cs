namespace CudaGenre.Cuda.Tests.Twins;

/// <summary>
/// CPU twin of <c>kernels/pooling.cu</c>: max pooling (<c>maxpool2d_nhwc_{f32,f16,bf16}</c>) and global
/// average pooling (<c>global_avgpool_nhwc_{f32,f16,bf16}</c>), both bit for bit (same operations, same order).
/// </summary>
public static class PoolingTwin
{
    /// <summary>Max-pool output rows (or columns): (size + 2·pad − kernel) / stride + 1, as PyTorch (ceil_mode=False).</summary>
    public static int OutputSize(int size, int kernel, int stride, int pad) => ((size + (2 * pad) - kernel) / stride) + 1;

    /// <summary>
    /// PyTorch's <c>MaxPool2d(kernel, stride, pad)</c>: −inf padding, NaN wins. <paramref name="x"/>:
    /// N × C × H × W, NHWC. Returns N × C × Ho × Wo, NHWC.
    /// </summary>
    public static float[] MaxPool2d(
        KernelStorage storage, float[] x, int nBatch, int channels, int height, int width,
        int kernel, int stride, int pad)
    {
        Storage.RequireTensor(x, nBatch, channels, height, width);
        Storage.RequirePositive(nameof(kernel), kernel);
        Storage.RequirePositive(nameof(stride), stride);
        if (pad < 0 || pad > kernel / 2)
            throw new ArgumentOutOfRangeException(nameof(pad), pad, $"pad must be in 0..kernel/2 = {kernel / 2} (as PyTorch).");
        if (height + (2 * pad) < kernel || width + (2 * pad) < kernel)
            throw new ArgumentException($"A {kernel}×{kernel} window does not fit {height}×{width} with padding {pad}.");

        int outH = OutputSize(height, kernel, stride, pad), outW = OutputSize(width, kernel, stride, pad);
        var y = new float[nBatch * channels * outH * outW];
        for (var n = 0; n < nBatch; n++)
        {
            for (var c = 0; c < channels; c++)
            {
                for (var oh = 0; oh < outH; oh++)
                {
                    for (var ow = 0; ow < outW; ow++)
                    {
                        var m = float.NegativeInfinity;
                        for (var kh = 0; kh < kernel; kh++)
                        {
                            var ih = (oh * stride) - pad + kh;
                            if (ih < 0 || ih >= height)
                                continue;
                            for (var kw = 0; kw < kernel; kw++)
                            {
                                var iw = (ow * stride) - pad + kw;
                                if (iw < 0 || iw >= width)
                                    continue;
                                var v = Storage.Round(storage, x[Storage.NhwcIndex(n, c, ih, iw, channels, height, width)]);
                                if (v > m || float.IsNaN(v))
                                    m = v;
                            }
                        }
                        y[Storage.NhwcIndex(n, c, oh, ow, channels, outH, outW)] = Storage.Round(storage, m);
                    }
                }
            }
        }
        return y;
    }

    /// <summary>
    /// Mean over the <paramref name="spatial"/> = H·W positions of each (n, c), FP32 sum in ascending
    /// position order, then divided by H·W. <paramref name="x"/>: N × C × H × W, NHWC.
    /// Returns N × C, row-major (n·C + c), rounded to <paramref name="storage"/>.
    /// </summary>
    public static float[] GlobalAvgPool(KernelStorage storage, float[] x, int nBatch, int channels, int spatial)
    {
        ArgumentNullException.ThrowIfNull(x);
        Storage.RequirePositive(nameof(nBatch), nBatch);
        Storage.RequirePositive(nameof(channels), channels);
        Storage.RequirePositive(nameof(spatial), spatial);
        Storage.RequireLength(nameof(x), x.Length, (long)nBatch * channels * spatial);

        var y = new float[nBatch * channels];
        for (var n = 0; n < nBatch; n++)
        {
            for (var c = 0; c < channels; c++)
            {
                var sum = 0f;
                for (var p = 0; p < spatial; p++)
                    sum += Storage.Round(storage, x[Storage.NhwcIndex(n, c, 0, p, channels, 1, spatial)]);
                y[(n * channels) + c] = Storage.Round(storage, sum / spatial);
            }
        }
        return y;
    }
}
