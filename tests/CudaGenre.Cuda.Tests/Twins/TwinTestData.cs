using CudaGenre.Core;

namespace CudaGenre.Cuda.Tests.Twins;

/// <summary>Seeded random tensors, layout transposes and comparisons shared by the twin tests (and the GPU tests).</summary>
public static class TwinTestData
{
    /// <summary><paramref name="count"/> uniform values in [<paramref name="min"/>, <paramref name="max"/>), seeded.</summary>
    public static float[] Uniform(ulong seed, int count, float min = -2f, float max = 2f)
    {
        var random = new SeededRandom(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
            values[i] = (float)random.Uniform(min, max);
        return values;
    }

    /// <summary>Fails, naming the first offending index, unless |e − a| ≤ atol + rtol·|e| everywhere (NaN must match NaN).</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) || double.IsNaN(a))
            {
                Assert.True(double.IsNaN(e) && double.IsNaN(a), $"index {i}: expected {e}, got {a}");
                continue;
            }
            if (e == a)
                continue;
            Assert.True(Math.Abs(e - a) <= atol + (rtol * Math.Abs(e)), $"index {i}: expected {e:R}, got {a:R} (difference {Math.Abs(e - a):E3})");
        }
    }

    /// <summary>Fails, naming the first offending index, unless the two arrays are identical bit for bit.</summary>
    public static void AssertBitEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToUInt32Bits(expected[i]) != BitConverter.SingleToUInt32Bits(actual[i]))
                Assert.Fail($"index {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }
}
