using CudaGenre.Core.Metrics;

namespace CudaGenre.Core.Tests.Metrics;

public class EpochMetricsTests
{
    private static EpochMetrics Epoch(int n, double balanced) => new(n, 1.0, 1.1, 0.5, 0.5, balanced);

    [Fact]
    public void Best_IsTheHighestValidationBalancedAccuracy_EarliestOnATie()
    {
        EpochMetrics[] epochs = [Epoch(1, 0.40), Epoch(2, 0.70), Epoch(3, double.NaN), Epoch(4, 0.70), Epoch(5, 0.65)];
        Assert.Equal(2, EpochMetrics.Best(epochs).Epoch);
    }

    [Fact]
    public void Best_NeedsAtLeastOneNumber()
    {
        Assert.Throws<ArgumentException>(() => EpochMetrics.Best([]));
        Assert.Throws<ArgumentException>(() => EpochMetrics.Best([Epoch(1, double.NaN)]));
    }
}
