using CudaGenre.Core.Imaging;

namespace CudaGenre.Core.Audio;

/// <summary>
/// Draws a <see cref="Spectrogram"/> the way the GTZAN images were drawn: magma colours, lowest mel band at the
/// bottom, time from left to right, no axes or borders.
/// </summary>
public static class SpectrogramRenderer
{
    /// <summary>
    /// Renders <paramref name="spectrogram"/> as a <paramref name="width"/> × <paramref name="height"/> RGB image.
    /// The band × frame grid is first resized to the image by bilinear interpolation of the dB values (pixel
    /// centres aligned, edges clamped); each value is then mapped linearly from [−topDb, 0] dB to [0, 1] (values
    /// outside are clamped) and coloured with <see cref="MagmaColormap"/>. Band 0 (the lowest frequency) ends up in
    /// the bottom row, frame 0 in the left column.
    /// </summary>
    /// <param name="spectrogram">dB values, as from <see cref="MelSpectrogram.Compute"/>.</param>
    /// <param name="width">Image width in pixels (time axis). Default 432, the Kaggle GTZAN image width.</param>
    /// <param name="height">Image height in pixels (mel axis). Default 288, the Kaggle GTZAN image height.</param>
    /// <param name="topDb">dB below the maximum that maps to the darkest colour; 0 dB maps to the brightest. Default 80.</param>
    public static RgbImage Render(Spectrogram spectrogram, int width = 432, int height = 288, double topDb = 80)
    {
        ArgumentNullException.ThrowIfNull(spectrogram);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (!(topDb > 0) || double.IsInfinity(topDb))
            throw new ArgumentOutOfRangeException(nameof(topDb), topDb, "The dB range must be positive and finite.");

        var columns = Taps(width, spectrogram.Frames);
        var rows = Taps(height, spectrogram.MelCount);
        var values = spectrogram.Values;
        var frames = spectrogram.Frames;
        var image = new RgbImage(width, height);
        var interpolated = new double[width];
        for (var y = 0; y < height; y++)
        {
            // Image row y counts from the top; mel bands count from the bottom.
            var (b0, b1, wb) = rows[height - 1 - y];
            var lower = values.Slice(b0 * frames, frames);
            var upper = values.Slice(b1 * frames, frames);
            for (var x = 0; x < width; x++)
            {
                var (t0, t1, wt) = columns[x];
                var low = Lerp(lower[t0], lower[t1], wt);
                var high = Lerp(upper[t0], upper[t1], wt);
                interpolated[x] = Lerp(low, high, wb);
            }

            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = MagmaColormap.Map((interpolated[x] + topDb) / topDb);
                image.SetPixel(x, y, r, g, b);
            }
        }

        return image;
    }

    private static double Lerp(double a, double b, double w) => a + ((b - a) * w);

    /// <summary>
    /// For each of <paramref name="outputs"/> positions, the two source cells and the weight of the second:
    /// source coordinate (i + 0.5) · inputs / outputs − 0.5, clamped to the grid.
    /// </summary>
    private static (int Lo, int Hi, double Weight)[] Taps(int outputs, int inputs)
    {
        var taps = new (int, int, double)[outputs];
        var scale = (double)inputs / outputs;
        for (var i = 0; i < outputs; i++)
        {
            var src = Math.Clamp(((i + 0.5) * scale) - 0.5, 0, inputs - 1);
            var lo = (int)Math.Floor(src);
            var hi = Math.Min(lo + 1, inputs - 1);
            taps[i] = (lo, hi, src - lo);
        }

        return taps;
    }
}
