using CudaGenre.Core;
using CudaGenre.Core.Imaging;
using CudaGenre.Trainer.Data;
using CudaGenre.Trainer.Training;

namespace CudaGenre.Trainer.Tests;

public sealed class MetricsAndAugmentationTests
{
    [Theory]
    // Hand-computed Wilson score intervals (z = 1.959964).
    [InlineData(8, 10, 0.49016, 0.94332)]
    [InlineData(0, 20, 0.0, 0.16113)]
    [InlineData(45, 90, 0.39884, 0.60116)]
    public void Wilson_interval_matches_hand_computed_values(int successes, int trials, double lower, double upper)
    {
        var c = ConfidenceInterval.Wilson(successes, trials);
        Assert.Equal((double)successes / trials, c.Estimate, 12);
        Assert.Equal(lower, c.Lower, 4);
        Assert.Equal(upper, c.Upper, 4);
    }

    [Fact]
    public void Bootstrap_interval_brackets_the_estimate_and_is_reproducible()
    {
        var random = new SeededRandom(5);
        var truth = Enumerable.Range(0, 90).Select(i => i % 10).ToArray();
        var predicted = truth.Select(t => random.Chance(0.6) ? t : random.NextInt(10)).ToArray();
        var a = ConfidenceInterval.BootstrapBalancedAccuracy(truth, predicted, 10, 500, 7);
        var b = ConfidenceInterval.BootstrapBalancedAccuracy(truth, predicted, 10, 500, 7);
        Assert.Equal(a, b);
        Assert.InRange(a.Estimate, a.Lower, a.Upper);
        // With 90 samples the 95 % interval is wide: roughly ±10 points.
        Assert.InRange(a.Upper - a.Lower, 0.12, 0.30);
        var perfect = ConfidenceInterval.BootstrapBalancedAccuracy(truth, truth, 10, 200, 1);
        Assert.Equal((1.0, 1.0, 1.0), (perfect.Estimate, perfect.Lower, perfect.Upper));
    }

    [Fact]
    public void Percentile_interpolates_like_numpy()
    {
        double[] sorted = [1, 2, 3, 4];
        Assert.Equal(1.075, ConfidenceInterval.Percentile(sorted, 0.025), 12);
        Assert.Equal(3.925, ConfidenceInterval.Percentile(sorted, 0.975), 12);
    }

    [Fact]
    public void Masks_zero_whole_bands_and_the_same_seed_gives_the_same_augmentation()
    {
        var settings = new PreprocessSettings { Width = 40, Height = 30 };
        var input = Enumerable.Range(0, settings.TensorLength).Select(i => 1f + (i % 7)).ToArray();
        var preprocessor = new ImagePreprocessor(settings);
        var masksOnly = Augmentation.Default with { MinCropFraction = 1, TimeMasks = 1, FrequencyMasks = 0, MaxTimeMaskFraction = 0.25 };
        var a = new float[input.Length];
        var b = new float[input.Length];
        masksOnly.Apply(null, input, preprocessor, a, new SeededRandom(3));
        masksOnly.Apply(null, input, preprocessor, b, new SeededRandom(3));
        Assert.Equal(a, b);
        // Zeroed entries form whole columns (time), the same in every row and channel; the rest is the input.
        var zeroColumns = Enumerable.Range(0, 40).Where(x => a[x] == 0).ToArray();
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < 30; y++)
            {
                for (var x = 0; x < 40; x++)
                {
                    var i = (c * 1200) + (y * 40) + x;
                    Assert.Equal(zeroColumns.Contains(x) ? 0 : input[i], a[i]);
                }
            }
        }

        Assert.InRange(zeroColumns.Length, 0, 10);
        if (zeroColumns.Length > 0)
            Assert.Equal(zeroColumns.Length - 1, zeroColumns[^1] - zeroColumns[0]);
    }

    [Fact]
    public void Time_crop_cuts_columns_of_the_original_image()
    {
        var image = new RgbImage(10, 4);
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 10; x++)
                image.SetPixel(x, y, (byte)(x * 20), (byte)y, 7);
        }

        var crop = Augmentation.CropColumns(image, 3, 5);
        Assert.Equal((5, 4), (crop.Width, crop.Height));
        Assert.Equal(((byte)60, (byte)2, (byte)7), crop.GetPixel(0, 2));
        Assert.Equal(((byte)140, (byte)3, (byte)7), crop.GetPixel(4, 3));
    }

    [Fact]
    public void Batches_without_augmentation_are_the_preprocessed_inputs()
    {
        var set = TinyData.Make(1, 8, 12, 3);
        var batch = new float[2 * set.InputLength];
        set.FillBatch([4, 1], batch, Augmentation.Default, null);
        Assert.Equal(set.Input(4).ToArray(), batch[..set.InputLength]);
        Assert.Equal(set.Input(1).ToArray(), batch[set.InputLength..]);
    }
}
