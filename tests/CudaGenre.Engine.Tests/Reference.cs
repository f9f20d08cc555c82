using CudaGenre.Core;

namespace CudaGenre.Engine.Tests;

/// <summary>Plain, obviously-correct reference operations in double precision, and seeded random data.</summary>
internal static class Reference
{
    public static float[] Random(int length, ulong seed, float scale = 1f)
    {
        var random = new SeededRandom(seed);
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }
        return values;
    }

    /// <summary>C = A[m,k]·B[k,n] (+ bias[n]) (+ residual[m,n]) then optional ReLU.</summary>
    public static float[] Gemm(float[] a, float[] b, int m, int k, int n, float[]? bias = null, float[]? residual = null, bool relu = false)
    {
        var c = new float[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var p = 0; p < k; p++)
                {
                    sum += (double)a[i * k + p] * b[p * n + j];
                }
                sum += bias?[j] ?? 0;
                sum += residual?[i * n + j] ?? 0;
                c[i * n + j] = (float)(relu ? Math.Max(sum, 0) : sum);
            }
        }
        return c;
    }

    /// <summary>PyTorch conv2d on NCHW input and [out, in/groups, kh, kw] weights, in double.</summary>
    public static float[] Conv2dNchw(float[] x, int n, int cin, int h, int w, float[] weight, int cout, int kh, int kw,
        int stride, int padding, int groups, float[]? bias, out int oh, out int ow)
    {
        oh = (h + 2 * padding - kh) / stride + 1;
        ow = (w + 2 * padding - kw) / stride + 1;
        var y = new float[n * cout * oh * ow];
        var cinPerGroup = cin / groups;
        var coutPerGroup = cout / groups;
        for (var b = 0; b < n; b++)
        {
            for (var co = 0; co < cout; co++)
            {
                var group = co / coutPerGroup;
                for (var oy = 0; oy < oh; oy++)
                {
                    for (var ox = 0; ox < ow; ox++)
                    {
                        double sum = bias?[co] ?? 0;
                        for (var ci = 0; ci < cinPerGroup; ci++)
                        {
                            var c = group * cinPerGroup + ci;
                            for (var ky = 0; ky < kh; ky++)
                            {
                                var iy = oy * stride - padding + ky;
                                if (iy < 0 || iy >= h)
                                {
                                    continue;
                                }
                                for (var kx = 0; kx < kw; kx++)
                                {
                                    var ix = ox * stride - padding + kx;
                                    if (ix < 0 || ix >= w)
                                    {
                                        continue;
                                    }
                                    sum += (double)x[((b * cin + c) * h + iy) * w + ix] * weight[((co * cinPerGroup + ci) * kh + ky) * kw + kx];
                                }
                            }
                        }
                        y[((b * cout + co) * oh + oy) * ow + ox] = (float)sum;
                    }
                }
            }
        }
        return y;
    }

    /// <summary>Max |a-b| / max(1, max |b|): error relative to the reference's scale.</summary>
    public static double ScaledMaxError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0, scale = 1;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs((double)actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
        }
        return worst / scale;
    }
}
