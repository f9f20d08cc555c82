namespace CudaGenre.Cuda.Tests.Twins;

public class SoftmaxTwinTests
{
    [Fact]
    public void LogsOfOneTwoThree_GiveOneTwoThreeSixths()
    {
        var y = SoftmaxTwin.Run(KernelStorage.F32, [0f, MathF.Log(2), MathF.Log(3)], 1, 3);
        TwinTestData.AssertClose([1 / 6f, 2 / 6f, 3 / 6f], y, 1e-7);
    }

    [Fact]
    public void LargeLogits_DoNotOverflow()
    {
        // exp(1000) overflows float; after subtracting the maximum it is exp(−1) and exp(0).
        var y = SoftmaxTwin.Run(KernelStorage.F32, [1000f, 1001f, -1000f], 1, 3);
        var e = Math.E;
        TwinTestData.AssertClose([(float)(1 / (1 + e)), (float)(e / (1 + e)), 0f], y, 1e-7);
    }

    [Fact]
    public void RandomRows_MatchADoubleSoftmax_AndSumToOne()
    {
        foreach (var (rows, classes) in new[] { (4, 10), (2, 1), (3, 37), (2, 2500) })
        {
            var x = TwinTestData.Uniform((ulong)(rows * classes), rows * classes, -8, 8);
            var y = SoftmaxTwin.Run(KernelStorage.F32, x, rows, classes);
            var expected = new float[y.Length];
            for (var r = 0; r < rows; r++)
            {
                var row = x.AsSpan(r * classes, classes).ToArray();
                var m = row.Max();
                var s = row.Sum(v => Math.Exp(v - m));
                for (var j = 0; j < classes; j++)
                    expected[(r * classes) + j] = (float)(Math.Exp(row[j] - m) / s);
                Assert.Equal(1.0, y.AsSpan(r * classes, classes).ToArray().Sum(v => (double)v), 1e-5);
            }
            TwinTestData.AssertClose(expected, y, 1e-9, 1e-5);
        }
    }

    [Fact]
    public void NaN_PoisonsItsRowOnly_AndInfinitiesFollowPyTorch()
    {
        var y = SoftmaxTwin.Run(KernelStorage.F32, [1f, float.NaN, 2f, 0f, 0f, float.NegativeInfinity], 2, 3);
        Assert.All(y[..3], v => Assert.True(float.IsNaN(v)));
        TwinTestData.AssertClose([0.5f, 0.5f, 0f], y.AsSpan(3), 1e-7); // −inf → probability 0
        y = SoftmaxTwin.Run(KernelStorage.F32, [float.NegativeInfinity, float.NegativeInfinity, 1f, float.PositiveInfinity], 2, 2);
        Assert.All(y, v => Assert.True(float.IsNaN(v))); // all −inf: (−inf) − (−inf); +inf: inf − inf
    }

    [Theory]
    [InlineData(KernelStorage.F16)]
    [InlineData(KernelStorage.BF16)]
    public void SixteenBitLogits_AreRoundedOnLoad_OutputStaysFp32(KernelStorage storage)
    {
        var x = TwinTestData.Uniform(31, 2 * 10, -5, 5);
        var expected = SoftmaxTwin.Run(KernelStorage.F32, x.Select(v => Storage.Round(storage, v)).ToArray(), 2, 10);
        var y = SoftmaxTwin.Run(storage, x, 2, 10);
        TwinTestData.AssertBitEqual(expected, y);
        Assert.Contains(y, v => v != Storage.Round(storage, v)); // not rounded to the storage type
    }
}
