using CudaGenre.Core;
using CudaGenre.Core.Metrics;

namespace CudaGenre.Trainer.Training;

/// <summary>A 95 % interval around an estimate, and how it was made.</summary>
/// <param name="Estimate">The figure on the whole sample.</param>
/// <param name="Lower">Lower end.</param>
/// <param name="Upper">Upper end.</param>
/// <param name="Method">"wilson" or "bootstrap-percentile (N resamples, seed S)".</param>
internal sealed record ConfidenceInterval(double Estimate, double Lower, double Upper, string Method)
{
    private const double Z95 = 1.959963984540054;

    /// <summary>
    /// Wilson score interval for a proportion (e.g. accuracy = <paramref name="successes"/> / <paramref name="trials"/>):
    /// <c>(p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n)</c>, z = 1.96. Better than the normal
    /// approximation near 0 and 1 and for small n.
    /// </summary>
    public static ConfidenceInterval Wilson(int successes, int trials)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trials);
        if (successes < 0 || successes > trials)
            throw new ArgumentOutOfRangeException(nameof(successes), $"{successes} successes in {trials} trials");
        double n = trials, p = successes / n, z2 = Z95 * Z95;
        var centre = (p + (z2 / (2 * n))) / (1 + (z2 / n));
        var half = Z95 * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n))) / (1 + (z2 / n));
        return new ConfidenceInterval(p, Math.Max(0, centre - half), Math.Min(1, centre + half), "wilson");
    }

    /// <summary>
    /// Percentile bootstrap of balanced accuracy: the samples are drawn with replacement
    /// <paramref name="resamples"/> times (by <see cref="SeededRandom"/>, so the interval is reproducible),
    /// balanced accuracy is computed on each resample (classes absent from a resample are left out, as
    /// sklearn does), and the 2.5th and 97.5th percentiles are taken.
    /// </summary>
    public static ConfidenceInterval BootstrapBalancedAccuracy(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classes, int resamples = 2000, ulong seed = 42)
    {
        if (truth.Count != predicted.Count || truth.Count == 0)
            throw new ArgumentException($"Need equal, non-empty label lists (got {truth.Count} and {predicted.Count}).");
        var names = Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray();
        var estimate = ConfusionMatrix.From(truth, predicted, names).BalancedAccuracy;
        var random = new SeededRandom(seed);
        var values = new double[resamples];
        var support = new int[classes];
        var hits = new int[classes];
        for (var r = 0; r < resamples; r++)
        {
            Array.Clear(support);
            Array.Clear(hits);
            for (var i = 0; i < truth.Count; i++)
            {
                var k = random.NextInt(truth.Count);
                support[truth[k]]++;
                if (truth[k] == predicted[k])
                    hits[truth[k]]++;
            }

            double sum = 0;
            var present = 0;
            for (var c = 0; c < classes; c++)
            {
                if (support[c] == 0)
                    continue;
                sum += (double)hits[c] / support[c];
                present++;
            }

            values[r] = sum / present;
        }

        Array.Sort(values);
        return new ConfidenceInterval(estimate, Percentile(values, 0.025), Percentile(values, 0.975), $"bootstrap-percentile ({resamples} resamples, seed {seed})");
    }

    /// <summary>Linear interpolation between order statistics (numpy's default "linear" method).</summary>
    internal static double Percentile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var lo = (int)Math.Floor(position);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((position - lo) * (sorted[hi] - sorted[lo]));
    }
}
