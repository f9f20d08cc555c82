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
