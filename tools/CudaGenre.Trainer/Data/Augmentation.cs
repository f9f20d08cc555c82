using CudaGenre.Core;
using CudaGenre.Core.Imaging;

namespace CudaGenre.Trainer.Data;

/// <summary>
/// Training-time augmentation of spectrogram images, SpecAugment style. Time runs along the image width,
/// frequency along the height (low frequencies at the bottom). In order:
/// <list type="number">
/// <item>Random time crop: a window of the original image's columns, between <see cref="MinCropFraction"/>
/// and all of its width, at a random position, resized to the model input (so the network sees a
/// time-stretched excerpt). Needs the decoded image; skipped when only the preprocessed input is kept.</item>
/// <item><see cref="TimeMasks"/> bands of random columns, each up to <see cref="MaxTimeMaskFraction"/>
/// of the width, set to 0 (the channel mean after normalization).</item>
/// <item><see cref="FrequencyMasks"/> bands of random rows, each up to
/// <see cref="MaxFrequencyMaskFraction"/> of the height, set to 0.</item>
/// </list>
/// All randomness comes from the <see cref="SeededRandom"/> given, so a seed reproduces the run.
/// Validation and test inputs are never augmented.
/// </summary>
internal sealed record Augmentation
{
    /// <summary>No augmentation.</summary>
    public static Augmentation None { get; } = new() { Enabled = false };

    /// <summary>The defaults used by <c>--augment</c>.</summary>
    public static Augmentation Default { get; } = new() { Enabled = true };

    /// <summary>Whether anything is applied.</summary>
    public bool Enabled { get; init; }

    /// <summary>Smallest crop, as a fraction of the image width (default 0.8; 1 disables cropping).</summary>
    public double MinCropFraction { get; init; } = 0.8;

    /// <summary>Number of time masks (default 2).</summary>
    public int TimeMasks { get; init; } = 2;

    /// <summary>Largest time mask, as a fraction of the width (default 0.1).</summary>
    public double MaxTimeMaskFraction { get; init; } = 0.1;

    /// <summary>Number of frequency masks (default 2).</summary>
    public int FrequencyMasks { get; init; } = 2;

    /// <summary>Largest frequency mask, as a fraction of the height (default 0.1).</summary>
    public double MaxFrequencyMaskFraction { get; init; } = 0.1;

    /// <summary>Writes an augmented copy of one sample into <paramref name="destination"/> (CHW).</summary>
    public void Apply(RgbImage? image, ReadOnlySpan<float> input, ImagePreprocessor preprocessor, Span<float> destination, SeededRandom random)
    {
        var settings = preprocessor.Settings;
        if (image is not null && MinCropFraction < 1)
        {
            var fraction = random.Uniform(MinCropFraction, 1.0);
            var cropWidth = Math.Max(1, (int)Math.Round(image.Width * fraction));
            var left = random.NextInt(image.Width - cropWidth + 1);
            preprocessor.Process(CropColumns(image, left, cropWidth), destination);
        }
        else
        {
            input.CopyTo(destination);
        }

        int width = settings.Width, height = settings.Height, plane = width * height;
        for (var m = 0; m < TimeMasks; m++)
        {
            var size = random.NextInt((int)(width * MaxTimeMaskFraction) + 1);
            var start = random.NextInt(width - size + 1);
            for (var c = 0; c < 3; c++)
            {
                for (var y = 0; y < height; y++)
                    destination.Slice((c * plane) + (y * width) + start, size).Clear();
            }
        }

        for (var m = 0; m < FrequencyMasks; m++)
        {
            var size = random.NextInt((int)(height * MaxFrequencyMaskFraction) + 1);
            var start = random.NextInt(height - size + 1);
            for (var c = 0; c < 3; c++)
                destination.Slice((c * plane) + (start * width), size * width).Clear();
        }
    }

    /// <summary>Columns <paramref name="left"/> … <paramref name="left"/> + <paramref name="width"/> − 1 of <paramref name="image"/>.</summary>
    internal static RgbImage CropColumns(RgbImage image, int left, int width)
    {
        var crop = new RgbImage(width, image.Height);
        for (var y = 0; y < image.Height; y++)
            image.Pixels.AsSpan(((y * image.Width) + left) * 3, width * 3).CopyTo(crop.Pixels.AsSpan(y * width * 3));
        return crop;
    }
}
