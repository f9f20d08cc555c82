namespace CudaGenre.Engine.Tests;

public class ReferenceComparisonTests
{
    private static ReferenceComparison Result(int count, int agreements, double error, float logit = 1f) =>
        new(count, error, error, agreements, [logit, 0f]);

    [Fact]
    public void Fp32_NeedsTheErrorWithinTolerance_AndEveryTop1()
    {
        Assert.True(Result(90, 90, 9e-5).Passes());
        Assert.False(Result(90, 90, 2e-4).Passes());
        Assert.False(Result(90, 89, 1e-7).Passes());
        Assert.True(Result(90, 90, 2e-4).Passes(tolerance: 1e-3));
    }

    [Theory]
    [InlineData(200, 199, true)]  // 99.5 % exactly
    [InlineData(200, 198, false)]
    [InlineData(90, 90, true)]    // below 200 inputs, 99.5 % means every one
    [InlineData(90, 89, false)]
    public void ReducedPrecision_NeedsTheTop1On995PerMille(int count, int agreements, bool passes) =>
        Assert.Equal(passes, Result(count, agreements, 5e-2).PassesReducedPrecision());

    [Fact]
    public void ReducedPrecision_FailsOnANonFiniteLogit_OrAGivenToleranceMissed()
    {
        Assert.False(Result(10, 10, 1e-3, float.NaN).PassesReducedPrecision());
        Assert.False(Result(10, 10, 1e-3, float.PositiveInfinity).PassesReducedPrecision());
        Assert.False(Result(10, 10, 5e-2).PassesReducedPrecision(tolerance: 1e-2));
        Assert.True(Result(10, 10, 5e-3).PassesReducedPrecision(tolerance: 1e-2));
    }
}
