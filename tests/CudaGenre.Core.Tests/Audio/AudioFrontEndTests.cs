using CudaGenre.Core.Audio;
using static CudaGenre.Core.Tests.Audio.SignalAnalysis;

namespace CudaGenre.Core.Tests.Audio;

public class AudioFrontEndTests
{
    [Fact]
    public void ToImage_IsResampleThenMelThenRender()
    {
        var rng = new SeededRandom(12);
        var samples = Sine(660, 44100, 44100 * 3, 0.5).Select(v => v + (float)rng.Uniform(-0.05, 0.05)).ToArray();
        var clip = new AudioClip(samples, 44100);
        var image = AudioFrontEnd.ToImage(clip);
        var expected = SpectrogramRenderer.Render(MelSpectrogram.Compute(Resampler.Resample(clip, 22050)));
        Assert.Equal(432, image.Width);
        Assert.Equal(288, image.Height);
        Assert.Equal(expected.Pixels, image.Pixels);
    }

    [Fact]
    public void ToImage_ToneAppearsAsABrightRowAtItsMelHeight()
    {
        var clip = new AudioClip(Sine(1000, 22050, 22050 * 5, 0.5), 22050);
        var image = AudioFrontEnd.ToImage(clip, 100, 128);
        // With 128 rows for 128 bands, row 127 − m shows band m; 1000 Hz is nearest band m*.
        var centres = MelSpectrogram.BandCenterFrequencies();
        var band = Enumerable.Range(0, 128).MinBy(m => Math.Abs(centres[m] - 1000));
        var brightestRow = Enumerable.Range(0, 128).MaxBy(y =>
        {
            var (r, g, b) = image.GetPixel(50, y);
            return r + g + b;
        });
        Assert.InRange(brightestRow, 127 - band - 1, 127 - band + 1);
        Assert.Equal((0, 0, 4), image.GetPixel(50, 0)); // nothing near Nyquist
    }

    [Fact]
    public void ToImage_HonoursTheSettings()
    {
        var clip = new AudioClip(Sine(1000, 16000, 16000 * 2, 0.5), 16000);
        var settings = MelSpectrogramSettings.Default with { SampleRate = 16000, MelCount = 64, TopDb = 60 };
        var image = AudioFrontEnd.ToImage(clip, 50, 64, settings);
        var expected = SpectrogramRenderer.Render(MelSpectrogram.Compute(clip, settings), 50, 64, 60);
        Assert.Equal(expected.Pixels, image.Pixels);
    }
}
