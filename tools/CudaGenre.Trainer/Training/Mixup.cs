using CudaGenre.Core;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Training;

/// <summary>
/// Mixup (Zhang et al., 2018) and label smoothing, the two loss-side regularizers of the trainer. A mixed batch
/// is λ·x + (1 − λ)·x[π] for a random permutation π of the batch and λ ~ Beta(α, α); its loss is
/// λ·CE(y) + (1 − λ)·CE(y[π]), each cross-entropy with the same label smoothing ε (PyTorch's definition:
/// the target is (1 − ε)·one-hot + ε/K).
/// </summary>
internal static class Mixup
{
    /// <summary>A draw of Beta(<paramref name="alpha"/>, <paramref name="alpha"/>), as X / (X + Y) with X, Y ~ Gamma(α, 1).</summary>
    public static double SampleBeta(double alpha, SeededRandom random)
    {
        var x = SampleGamma(alpha, random);
        var y = SampleGamma(alpha, random);
        // Both can underflow to 0 for a tiny α; then λ is 0 or 1 with equal chance, the limit of Beta(α, α).
        return x + y > 0 ? x / (x + y) : (random.Chance(0.5) ? 1.0 : 0.0);
    }

    /// <summary>
    /// A draw of Gamma(<paramref name="shape"/>, 1) by Marsaglia and Tsang's method (2000); for a shape below 1,
    /// Gamma(shape + 1) · U^(1/shape), as they give.
    /// </summary>
    public static double SampleGamma(double shape, SeededRandom random)
    {
        if (!(shape > 0) || !double.IsFinite(shape))
            throw new ArgumentOutOfRangeException(nameof(shape), shape, "The Gamma shape must be positive and finite.");
        if (shape < 1)
            return SampleGamma(shape + 1, random) * Math.Pow(1 - random.NextDouble(), 1 / shape);
        var d = shape - (1.0 / 3);
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double z, v;
            do
            {
                z = random.NextGaussian();
                v = 1 + (c * z);
            }
            while (v <= 0);
            v = v * v * v;
            var u = 1 - random.NextDouble(); // in (0, 1], so log(u) is finite
            if (Math.Log(u) < (0.5 * z * z) + d - (d * v) + (d * Math.Log(v)))
                return d * v;
        }
    }

    /// <summary>
    /// Mixes the CHW samples of <paramref name="batch"/> in place: sample i becomes λ·x_i + (1 − λ)·x_π(i). Reads from
    /// a copy, so π may map a sample to one already mixed.
    /// </summary>
    public static void MixBatch(Span<float> batch, int sampleLength, ReadOnlySpan<int> permutation, double lambda)
    {
        var n = permutation.Length;
        if (batch.Length != n * sampleLength)
            throw new ArgumentException($"The batch holds {batch.Length} values, not {n} samples of {sampleLength}.", nameof(batch));
        var original = batch.ToArray();
        var a = (float)lambda;
        var b = (float)(1 - lambda);
        for (var i = 0; i < n; i++)
        {
            var target = batch.Slice(i * sampleLength, sampleLength);
            var first = original.AsSpan(i * sampleLength, sampleLength);
            var second = original.AsSpan(permutation[i] * sampleLength, sampleLength);
            for (var k = 0; k < sampleLength; k++)
                target[k] = (a * first[k]) + (b * second[k]);
        }
    }

    /// <summary>The training loss: λ·CE(logits, y) + (1 − λ)·CE(logits, y[π]), both label-smoothed by ε (λ = 1: plain cross-entropy).</summary>
    public static Tensor Loss(Tensor logits, Tensor target, Tensor? mixedTarget, double lambda, double smoothing)
    {
        var loss = nn.functional.cross_entropy(logits, target, label_smoothing: smoothing);
        if (mixedTarget is null || lambda >= 1)
            return loss;
        return (loss * lambda) + (nn.functional.cross_entropy(logits, mixedTarget, label_smoothing: smoothing) * (1 - lambda));
    }
}
