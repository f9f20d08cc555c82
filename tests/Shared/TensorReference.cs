// Shared by the test projects (linked into each): the plain references for convolution, layout changes and max pooling,
// written once. Straight loops over every index, nothing clever, so that they are easy to check by eye.
namespace CudaGenre.Tests.Shared;

internal static class TensorReference
{
    /// <summary>PyTorch conv2d on NCHW input and [out, in/groups, kh, kw] weights, square stride and padding, summed in double.</summary>
    public static float[] Conv2dNchw(float[] x, int n, int cin, int h, int w, float[] weight, int cout, int kh, int kw,
        int stride, int padding, int groups, float[]? bias, out int oh, out int ow) =>
        Conv2dNchw(x, n, cin, h, w, weight, cout, kh, kw, (stride, stride), (padding, padding), (1, 1), groups, bias, out oh, out ow);

    /// <summary>
    /// Cross-correlation as PyTorch's conv2d: NCHW input, [out, in/groups, kh, kw] weights, zero padding, dilation,
    /// groups; each output is bias (or 0), then the products added in (channel, ky, kx) order, in double.
    /// </summary>
    public static float[] Conv2dNchw(float[] x, int n, int cin, int h, int w, float[] weight, int cout, int kh, int kw,
        (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups, float[]? bias, out int oh, out int ow)
    {
        oh = (h + 2 * padding.H - dilation.H * (kh - 1) - 1) / stride.H + 1;
        ow = (w + 2 * padding.W - dilation.W * (kw - 1) - 1) / stride.W + 1;
        var y = new float[n * cout * oh * ow];
        var cinPerGroup = cin / groups;
        var coutPerGroup = cout / groups;
        for (var b = 0; b < n; b++)
            for (var co = 0; co < cout; co++)
            {
                var group = co / coutPerGroup;
                for (var oy = 0; oy < oh; oy++)
                    for (var ox = 0; ox < ow; ox++)
                    {
                        double sum = bias?[co] ?? 0;
                        for (var ci = 0; ci < cinPerGroup; ci++)
                        {
                            var c = group * cinPerGroup + ci;
                            for (var ky = 0; ky < kh; ky++)
                            {
                                var iy = oy * stride.H - padding.H + ky * dilation.H;
                                if (iy < 0 || iy >= h)
                                    continue;
                                for (var kx = 0; kx < kw; kx++)
                                {
                                    var ix = ox * stride.W - padding.W + kx * dilation.W;
                                    if (ix < 0 || ix >= w)
                                        continue;
                                    sum += (double)x[((b * cin + c) * h + iy) * w + ix] * weight[((co * cinPerGroup + ci) * kh + ky) * kw + kx];
                                }
                            }
                        }
                        y[((b * cout + co) * oh + oy) * ow + ox] = (float)sum;
                    }
            }
        return y;
    }

    /// <summary>[n, c, h, w] → [n, h, w, c] (also KCRS → KRSC for filters).</summary>
    public static float[] NchwToNhwc(float[] x, int n, int c, int h, int w) => Transpose(x, n, c, h * w, toNhwc: true);

    /// <summary>[n, h, w, c] → [n, c, h, w].</summary>
    public static float[] NhwcToNchw(float[] x, int n, int c, int h, int w) => Transpose(x, n, c, h * w, toNhwc: false);

    /// <summary>The one NCHW ↔ NHWC permutation: element (b, ch, i) of the HW positions, moved one way or the other.</summary>
    private static float[] Transpose(float[] x, int n, int c, int hw, bool toNhwc)
    {
        var y = new float[x.Length];
        for (var b = 0; b < n; b++)
            for (var ch = 0; ch < c; ch++)
                for (var i = 0; i < hw; i++)
                {
                    int nchw = (b * c + ch) * hw + i, nhwc = (b * hw + i) * c + ch;
                    if (toNhwc)
                        y[nhwc] = x[nchw];
                    else
                        y[nchw] = x[nhwc];
                }
        return y;
    }

    /// <summary>PyTorch max_pool2d on NCHW: padding as −∞ (never wins), floor output size, NaN wins (Math.Max).</summary>
    public static float[] MaxPoolNchw(float[] x, int n, int c, int h, int w, int k, int stride, int padding, out int oh, out int ow)
    {
        oh = (h + 2 * padding - k) / stride + 1;
        ow = (w + 2 * padding - k) / stride + 1;
        var y = new float[n * c * oh * ow];
        for (var plane = 0; plane < n * c; plane++)
            for (var oy = 0; oy < oh; oy++)
                for (var ox = 0; ox < ow; ox++)
                {
                    var best = float.NegativeInfinity;
                    for (var ky = 0; ky < k; ky++)
                        for (var kx = 0; kx < k; kx++)
                        {
                            int iy = oy * stride - padding + ky, ix = ox * stride - padding + kx;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                                best = Math.Max(best, x[(plane * h + iy) * w + ix]);
                        }
                    y[(plane * oh + oy) * ow + ox] = best;
                }
        return y;
    }
}
