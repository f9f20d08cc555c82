namespace CudaGenre.Core.Metrics;

/// <summary>What one training epoch achieved. Losses are mean cross-entropy per sample (nats); accuracies are fractions in [0, 1].</summary>
/// <param name="Epoch">Epoch number, counted from 1.</param>
/// <param name="TrainLoss">Mean training loss over the epoch.</param>
/// <param name="ValidationLoss">Mean validation loss after the epoch.</param>
/// <param name="TrainAccuracy">Training accuracy over the epoch.</param>
/// <param name="ValidationAccuracy">Validation accuracy after the epoch.</param>
/// <param name="ValidationBalancedAccuracy">Validation balanced accuracy (mean per-class recall) after the epoch.</param>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double ValidationLoss,
    double TrainAccuracy,
    double ValidationAccuracy,
    double ValidationBalancedAccuracy)
{
    /// <summary>
    /// The epoch with the highest <see cref="ValidationBalancedAccuracy"/> (the one whose weights are kept);
    /// the earliest such epoch on a tie. Epochs whose balanced accuracy is NaN are never best.
    /// </summary>
    /// <exception cref="ArgumentException">There are no epochs, or none has a number for it.</exception>
    public static EpochMetrics Best(IReadOnlyList<EpochMetrics> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        EpochMetrics? best = null;
        foreach (var epoch in epochs)
        {
            if (double.IsNaN(epoch.ValidationBalancedAccuracy))
                continue;
            if (best is null || epoch.ValidationBalancedAccuracy > best.ValidationBalancedAccuracy)
                best = epoch;
        }
        return best ?? throw new ArgumentException("No epoch has a validation balanced accuracy.", nameof(epochs));
    }
}
