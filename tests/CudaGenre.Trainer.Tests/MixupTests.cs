using System.Text.Json.Nodes;
using CudaGenre.Core;
using CudaGenre.Trainer.Training;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Tests;

public sealed class MixupTests
{
    [Theory]
    [InlineData(0.3)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    public void Gamma_draws_have_the_distributions_mean_and_variance(double shape)
    {
        // Gamma(k, 1): mean k, variance k. 40,000 draws: the sample mean's standard error is sqrt(k / 40000).
        var random = new SeededRandom(11);
        var draws = Enumerable.Range(0, 40_000).Select(_ => Mixup.SampleGamma(shape, random)).ToArray();
        Assert.All(draws, d => Assert.True(d >= 0 && double.IsFinite(d)));
        var mean = draws.Average();
        var variance = draws.Select(d => (d - mean) * (d - mean)).Average();
        Assert.InRange(mean, shape - (4 * Math.Sqrt(shape / draws.Length)), shape + (4 * Math.Sqrt(shape / draws.Length)));
        Assert.InRange(variance / shape, 0.95, 1.05);
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.4)]
    [InlineData(1.0)]
    public void Beta_draws_are_in_the_unit_interval_with_the_distributions_moments(double alpha)
    {
        // Beta(α, α): mean 1/2, variance 1 / (4 (2α + 1)); α = 1 is the uniform distribution.
        var random = new SeededRandom(12);
        var draws = Enumerable.Range(0, 40_000).Select(_ => Mixup.SampleBeta(alpha, random)).ToArray();
        Assert.All(draws, d => Assert.InRange(d, 0.0, 1.0));
        var mean = draws.Average();
        var variance = draws.Select(d => (d - mean) * (d - mean)).Average();
        Assert.InRange(mean, 0.49, 0.51);
        Assert.InRange(variance * 4 * ((2 * alpha) + 1), 0.96, 1.04);
    }

    [Fact]
    public void A_mixed_batch_is_the_weighted_sum_of_each_sample_and_its_partner()
    {
        var random = new SeededRandom(3);
        const int n = 5, length = 7;
        var batch = Enumerable.Range(0, n * length).Select(_ => (float)random.Gaussian(0, 1)).ToArray();
        var original = batch.ToArray();
        int[] permutation = [3, 0, 4, 1, 2];
        const double lambda = 0.3;
        Mixup.MixBatch(batch, length, permutation, lambda);
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < length; k++)
            {
                var expected = (0.3 * original[(i * length) + k]) + (0.7 * original[(permutation[i] * length) + k]);
                Assert.Equal(expected, batch[(i * length) + k], 5);
            }
        }

        Assert.Throws<ArgumentException>(() => Mixup.MixBatch(batch, length + 1, permutation, lambda));
    }

    [Theory]
    [InlineData(1.0, 0.0)]
    [InlineData(0.3, 0.0)]
    [InlineData(1.0, 0.1)]
    [InlineData(0.65, 0.2)]
    public void The_loss_is_the_lambda_weighted_label_smoothed_cross_entropy(double lambda, double smoothing)
    {
        var random = new SeededRandom(21);
        const int n = 6, classes = 10;
        var logits = Enumerable.Range(0, n * classes).Select(_ => (float)random.Gaussian(0, 2)).ToArray();
        var a = Enumerable.Range(0, n).Select(_ => (long)random.NextInt(classes)).ToArray();
        var b = Enumerable.Range(0, n).Select(_ => (long)random.NextInt(classes)).ToArray();

        // By hand, in double: smoothed CE(y) = −(1 − ε) log p_y − (ε / K) Σ_k log p_k, averaged over the batch.
        double Smoothed(int row, long label)
        {
            var z = logits.AsSpan(row * classes, classes).ToArray().Select(v => (double)v).ToArray();
            var max = z.Max();
            var logSum = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
            var logP = z.Select(v => v - logSum).ToArray();
            return (-(1 - smoothing) * logP[label]) - (smoothing / classes * logP.Sum());
        }

        var expected = Enumerable.Range(0, n).Average(i => (lambda * Smoothed(i, a[i])) + ((1 - lambda) * Smoothed(i, b[i])));
        using var scope = NewDisposeScope();
        var loss = Mixup.Loss(tensor(logits, [n, classes]), tensor(a), tensor(b), lambda, smoothing).item<float>();
        Assert.Equal(expected, loss, 4);
    }

    [Fact]
    public void Options_of_a_run_made_before_mixup_keep_their_fingerprint_and_new_ones_round_trip()
    {
        // The options block of a grid run written by the trainer before --label-smoothing and --mixup existed.
        const string old = """{"data":"/d","synthCountPerGenre":null,"split":null,"splitSeed":42,"architecture":"cnn","head":"linear","inputSize":null,"pretrained":null,"referenceLimit":256,"epochs":100,"batchSize":16,"learningRate":0.001,"lrSchedule":"constant","lrStepEpochs":10,"lrStepGamma":0.1,"weightDecay":0,"seed":42,"patience":15,"freezeBackbone":false,"augment":false}""";
        var options = RunOptionsJson.FromJson(JsonNode.Parse(old)!.AsObject(), "/run", 2, "test");
        Assert.Equal(old, RunOptionsJson.ToJson(options).ToJsonString());

        var mixed = options with { Training = options.Training with { LabelSmoothing = 0.1, MixupAlpha = 0.4 } };
        var json = RunOptionsJson.ToJson(mixed);
        Assert.Equal(0.1, (double)json["labelSmoothing"]!);
        Assert.Equal(0.4, (double)json["mixupAlpha"]!);
        var back = RunOptionsJson.FromJson(json, "/run", 2, "test");
        Assert.Equal(mixed.Training, back.Training);
        Assert.NotEqual(RunOptionsJson.Fingerprint(options), RunOptionsJson.Fingerprint(mixed));
    }

    [Theory]
    [InlineData(-0.1, 0, "--label-smoothing")]
    [InlineData(1.0, 0, "--label-smoothing")]
    [InlineData(0, -1, "--mixup")]
    [InlineData(0, double.NaN, "--mixup")]
    public void Out_of_range_values_are_refused_naming_the_option(double smoothing, double alpha, string option)
    {
        var settings = new TrainingSettings { LabelSmoothing = smoothing, MixupAlpha = alpha };
        var e = Assert.Throws<ArgumentException>(settings.Validate);
        Assert.Contains(option, e.Message, StringComparison.Ordinal);
    }
}
