// Shared by the test projects (linked into each): the plain references for layout changes and max pooling,
// written once. Straight loops over every index, nothing clever, so that they are easy to check by eye.
namespace CudaGenre.Tests.Shared;

internal static class TensorReference
{
    /// <summary>[n, c, h, w] → [n, h, w, c] (also KCRS → KRSC for filters).</summary>
    public static float[] NchwToNhwc(float[] x, int n, int c, int h, int w)
    {
        var y = new float[x.Length];
        for (var b = 0; b < n; b++)
            for (var ch = 0; ch < c; ch++)
                for (var i = 0; i < h * w; i++)
                    y[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
        return y;
    }

    /// <summary>[n, h, w, c] → [n, c, h, w].</summary>
    public static float[] NhwcToNchw(float[] x, int n, int c, int h, int w)
    {
        var y = new float[x.Length];
        for (var b = 0; b < n; b++)
            for (var ch = 0; ch < c; ch++)
                for (var i = 0; i < h * w; i++)
                    y[(b * c + ch) * h * w + i] = x[(b * h * w + i) * c + ch];
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
