using CudaGenre.Core.Audio;
using static CudaGenre.Core.Tests.Audio.SignalAnalysis;

namespace CudaGenre.Core.Tests.Audio;

public class ResamplerTests
{
    [Fact]
    public void Downsampling44100To22050_KeepsA1kHzTone()
    {
        var rng = new SeededRandom(1000);
        var amplitude = rng.Uniform(0.3, 0.9);
        var input = Sine(1000, 44100, 44100, amplitude, rng.Uniform(0, 6));
        var output = Resampler.Resample(new AudioClip(input, 44100), 22050);
        Assert.Equal(22050, output.SampleRate);
        Assert.Equal(22050, output.Samples.Length);
        // Away from the edges, where the filter sees zeros outside the clip.
        var f = ZeroCrossingFrequency(output.Samples, 22050, 2000, 18000);
        Assert.InRange(f, 999.5, 1000.5);
        var a = ToneAmplitude(output.Samples, 22050, 1000, 2000, 18000);
        Assert.InRange(a / amplitude, 0.99, 1.01);
        // And nothing else: the total level is the tone's.
        Assert.InRange(Rms(output.Samples, 2000, 18000), amplitude / Math.Sqrt(2) * 0.99, amplitude / Math.Sqrt(2) * 1.01);
    }

    [Fact]
    public void Downsampling_RemovesA15kHzTone_NoAliasing()
    {
        var input = Sine(15000, 44100, 44100, 0.8, 0.3);
        var output = Resampler.Resample(new AudioClip(input, 44100), 22050).Samples;
        // 15 kHz is above the new Nyquist (11025 Hz); without filtering it would alias to 7050 Hz at full level.
        var alias = ToneAmplitude(output, 22050, 7050, 2000, 18000);
        var attenuationDb = 20 * Math.Log10(alias / 0.8);
        Assert.True(attenuationDb < -40, $"alias at {attenuationDb:F1} dB");
        Assert.True(Rms(output, 2000, 18000) < 0.8 * 0.01);
    }

    [Fact]
    public void Upsampling22050To44100_KeepsATone_AndSuppressesItsImage()
    {
        var input = Sine(3000, 22050, 22050, 0.5, 1.0);
        var output = Resampler.Resample(new AudioClip(input, 22050), 44100).Samples;
        Assert.Equal(44100, output.Length);
        Assert.InRange(ToneAmplitude(output, 44100, 3000, 4000, 36000), 0.495, 0.505);
        // Zero-stuffing would leave an image at 22050 − 3000 Hz.
        Assert.True(ToneAmplitude(output, 44100, 19050, 4000, 36000) < 0.5 * 1e-3);
    }

    [Fact]
    public void Downsampling48000To22050_HasTheRightLength_AndKeepsTheTone()
    {
        var rng = new SeededRandom(48);
        var length = 48000 + rng.NextInt(1000);
        var input = Sine(2500, 48000, length, 0.7, rng.Uniform(0, 6));
        var output = Resampler.Resample(new AudioClip(input, 48000), 22050).Samples;
        Assert.Equal((int)Math.Ceiling(length * 147 / 320.0), output.Length); // 22050/48000 = 147/320
        Assert.InRange(ToneAmplitude(output, 22050, 2500, 2000, 18000), 0.7 * 0.99, 0.7 * 1.01);
    }

    [Fact]
    public void AnUnusualRatio_StillKeepsTheTone()
    {
        // 22050/22051 does not reduce: too many phases to tabulate, so positions are rounded (see the class docs).
        var input = Sine(5000, 22051, 22051, 0.6, 0.2);
        var output = Resampler.Resample(new AudioClip(input, 22051), 22050).Samples;
        Assert.Equal(22050, output.Length);
        Assert.InRange(ToneAmplitude(output, 22050, 5000, 2000, 18000), 0.6 * 0.999, 0.6 * 1.001);
        Assert.InRange(ZeroCrossingFrequency(output, 22050, 2000, 18000), 4999.5, 5000.5);
    }

    [Fact]
    public void OutputSampleN_LiesAtInputTimeN_NoDelay()
    {
        var rng = new SeededRandom(7);
        var phase = rng.Uniform(0, 6);
        var input = Sine(200, 44100, 20000, 0.9, phase);
        var output = Resampler.Resample(new AudioClip(input, 44100), 16000).Samples;
        var expected = Sine(200, 16000, output.Length, 0.9, phase);
        for (var n = 1000; n < output.Length - 1000; n++)
            Assert.True(Math.Abs(output[n] - expected[n]) < 1e-3, $"sample {n}: {output[n]} vs {expected[n]}");
    }

    [Fact]
    public void ConstantSignal_KeepsItsLevel()
    {
        var input = Enumerable.Repeat(0.3f, 10000).ToArray();
        var output = Resampler.Resample(new AudioClip(input, 32000), 22050).Samples;
        Assert.All(output[500..^500], v => Assert.InRange(v, 0.3f - 1e-5f, 0.3f + 1e-5f));
    }

    [Fact]
    public void SameRate_ReturnsTheSameClip()
    {
        var clip = new AudioClip(Sine(440, 22050, 100, 0.5), 22050);
        Assert.Same(clip, Resampler.Resample(clip, 22050));
    }

    [Fact]
    public void BadRates_AreRejected()
    {
        var clip = new AudioClip([0.1f, 0.2f], 22050);
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resample(clip, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resample(new AudioClip([0.1f], 0), 22050));
    }
}
