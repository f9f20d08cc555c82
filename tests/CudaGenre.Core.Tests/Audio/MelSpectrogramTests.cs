using CudaGenre.Core.Audio;
using static CudaGenre.Core.Tests.Audio.SignalAnalysis;

namespace CudaGenre.Core.Tests.Audio;

public class MelSpectrogramTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(500, 7.5)]          // linear part: 3 mel per 200 Hz
    [InlineData(1000, 15)]          // the break point
    [InlineData(6400, 42)]          // 1000 Hz · 6.4 is exactly 27 mel above it
    [InlineData(2000, 25.081880157308323)] // 15 + 27·ln 2 / ln 6.4
    [InlineData(11025, 49.91059448015905)]  // 15 + 27·ln 11.025 / ln 6.4
    public void HzToMel_Slaney_AtHandComputedPoints(double hz, double mel)
    {
        Assert.Equal(mel, MelSpectrogram.HzToMel(hz), 1e-12);
        Assert.Equal(hz, MelSpectrogram.MelToHz(mel), 1e-9);
    }

    [Fact]
    public void MelToHz_InvertsHzToMel()
    {
        var rng = new SeededRandom(5);
        for (var i = 0; i < 1000; i++)
        {
            var hz = rng.Uniform(0, 22050);
            Assert.Equal(hz, MelSpectrogram.MelToHz(MelSpectrogram.HzToMel(hz)), 1e-9 * Math.Max(1, hz));
        }
    }

    [Fact]
    public void MelFrequencies_MatchLibrosasDocumentedExample()
    {
        // librosa.mel_frequencies(n_mels=40) (fmin 0, fmax 11025, htk=False), as printed in librosa's docs.
        double[] librosa =
        [
            0.0, 85.317, 170.635, 255.952, 341.269, 426.586, 511.904, 597.221, 682.538, 767.855, 853.173, 938.49,
            1024.856, 1119.114, 1222.042, 1334.436, 1457.167, 1591.187, 1737.532, 1897.337, 2071.84, 2262.393,
            2470.47, 2697.686, 2945.799, 3216.731, 3512.582, 3835.643, 4188.417, 4573.636, 4994.285, 5453.621,
            5955.205, 6502.92, 7101.009, 7754.107, 8467.272, 9246.028, 10096.408, 11025.0,
        ];
        var ours = MelSpectrogram.MelFrequencies(40, 0, 11025);
        Assert.Equal(librosa.Length, ours.Length);
        for (var i = 0; i < librosa.Length; i++)
            Assert.Equal(librosa[i], ours[i], 0.0006);
        Assert.Equal(11025.0, ours[^1]);
    }

    [Fact]
    public void FilterBank_HasLibrosasFirstWeight_AndSlaneyUnitArea()
    {
        var bank = MelSpectrogram.FilterBank(MelSpectrogramSettings.Default);
        var dense = bank.ToDense();
        Assert.Equal(128, dense.GetLength(0));
        Assert.Equal(1025, dense.GetLength(1));
        // librosa.filters.mel(sr=22050, n_fft=2048)[0, 1] prints as 0.016 in librosa's docs; by hand:
        // f1 = 25.794 Hz, f2 = 51.587 Hz, bin 1 = 10.767 Hz → (10.767/25.794) · 2/51.587 = 0.016183.
        Assert.Equal(0.016183, dense[0, 1], 1e-5);
        Assert.Equal(0f, dense[0, 0]);

        // Slaney normalization: every triangle has unit area in Hz; wide filters sample it well enough to check.
        var binHz = 22050.0 / 2048;
        var edges = MelSpectrogram.MelFrequencies(130, 0, 11025);
        for (var m = 0; m < 128; m++)
        {
            if (edges[m + 2] - edges[m] < 20 * binHz)
                continue;
            var area = Enumerable.Range(0, 1025).Sum(k => (double)dense[m, k]) * binHz;
            Assert.InRange(area, 0.98, 1.02);
        }

        // Each filter peaks at the bin nearest its centre frequency.
        var centres = MelSpectrogram.BandCenterFrequencies();
        for (var m = 10; m < 128; m++)
        {
            var peak = Enumerable.Range(0, 1025).MaxBy(k => dense[m, k]);
            Assert.InRange(peak * binHz, centres[m] - binHz, centres[m] + binHz);
        }
    }

    [Theory]
    [InlineData(440.0)]
    [InlineData(3000.0)]
    [InlineData(150.0)]
    [InlineData(8000.0)]
    public void PureSine_LandsInTheBandWhoseCentreIsNearest(double hz)
    {
        var rng = new SeededRandom((ulong)hz);
        var clip = new AudioClip(Sine(hz, 22050, 22050 * 2, rng.Uniform(0.1, 0.9), rng.Uniform(0, 6)), 22050);
        var s = MelSpectrogram.Compute(clip);
        var centres = MelSpectrogram.BandCenterFrequencies();
        var nearest = Enumerable.Range(0, 128).MinBy(m => Math.Abs(centres[m] - hz));
        // Mean power over frames, band by band.
        var loudest = Enumerable.Range(0, 128).MaxBy(m => s.Band(m).ToArray().Average(db => Math.Pow(10, db / 10)));
        Assert.Equal(nearest, loudest);
    }

    [Fact]
    public void FrameCount_Is1PlusLengthOverHop_WithCentring()
    {
        var rng = new SeededRandom(3);
        foreach (var length in new[] { 1, 511, 512, 513, 2047, 2048, 22050, 661794 })
        {
            var clip = new AudioClip(Noise(rng, length), 22050);
            var s = MelSpectrogram.Compute(clip);
            Assert.Equal(1 + (length / 512), s.Frames);
            Assert.Equal(128, s.MelCount);
        }

        // 30 s at 22050 Hz: the 1293 frames of a GTZAN clip (661794 samples) and 1292 for exactly 30 s.
        Assert.Equal(1292, MelSpectrogramSettings.Default.FrameCount(661500));
    }

    [Fact]
    public void FrameCount_WithoutCentring_CountsWholeFrames()
    {
        var settings = MelSpectrogramSettings.Default with { Center = false };
        var s = MelSpectrogram.Compute(new AudioClip(Noise(new SeededRandom(4), 5000), 22050), settings);
        Assert.Equal(1 + ((5000 - 2048) / 512), s.Frames);
        Assert.Throws<ArgumentException>(() => MelSpectrogram.Compute(new AudioClip(Noise(new SeededRandom(4), 2000), 22050), settings));
    }

    [Fact]
    public void Decibels_MaxIsExactlyZero_AndTheFloorIsMinus80()
    {
        var rng = new SeededRandom(80);
        // A loud tone, then near-silence: a range far wider than 80 dB, so the floor is reached.
        var samples = Sine(1000, 22050, 44100, 0.8).Concat(Noise(rng, 22050).Select(v => v * 1e-6f)).ToArray();
        var s = MelSpectrogram.Compute(new AudioClip(samples, 22050));
        var values = s.Values.ToArray();
        Assert.Equal(0f, values.Max());
        Assert.Equal(-80f, values.Min(), 1e-4);
        Assert.All(values, v => Assert.InRange(v, -80.0001f, 0f));
        Assert.Contains(values, v => v is > -79 and < -1); // not just two levels
    }

    [Fact]
    public void TopDbNull_KeepsTheWholeRange()
    {
        var rng = new SeededRandom(81);
        var samples = Sine(1000, 22050, 44100, 0.8).Concat(Noise(rng, 22050).Select(v => v * 1e-6f)).ToArray();
        var s = MelSpectrogram.Compute(new AudioClip(samples, 22050), MelSpectrogramSettings.Default with { TopDb = null });
        Assert.True(s.Values.ToArray().Min() < -100);
    }

    [Fact]
    public void Compute_MatchesADirectEvaluationOfLibrosasDefinition()
    {
        // Reference: plain DFT in double precision of zero-padded, periodic-Hann-windowed frames, the power
        // spectrum, dense triangular Slaney filters written from librosa's filters.mel, power_to_db(ref=max).
        var rng = new SeededRandom(2048);
        var samples = Noise(rng, 4000).Select((v, i) => v + (float)(0.5 * Math.Sin(i * 0.3))).ToArray();
        var settings = MelSpectrogramSettings.Default with { MelCount = 40, FftSize = 512, HopLength = 160 };
        var ours = MelSpectrogram.Compute(new AudioClip(samples, 22050), settings);
        var reference = ReferenceLogMel(samples, 22050, 512, 160, 40);
        Assert.Equal(reference.GetLength(1), ours.Frames);
        for (var m = 0; m < 40; m++)
        {
            for (var t = 0; t < ours.Frames; t++)
                Assert.True(Math.Abs(reference[m, t] - ours[m, t]) < 0.01, $"band {m} frame {t}: {ours[m, t]} vs {reference[m, t]}");
        }
    }

    [Fact]
    public void Compute_ResamplesFirst()
    {
        var rng = new SeededRandom(441);
        var clip44 = new AudioClip(Noise(rng, 44100), 44100);
        var direct = MelSpectrogram.Compute(clip44);
        var viaResample = MelSpectrogram.Compute(Resampler.Resample(clip44, 22050));
        Assert.Equal(1 + (22050 / 512), direct.Frames);
        Assert.Equal(viaResample.Values.ToArray(), direct.Values.ToArray());
    }

    [Fact]
    public void Spectrogram_IsBandMajor()
    {
        var values = Enumerable.Range(0, 6).Select(i => (float)i).ToArray();
        var s = new Spectrogram(2, 3, values);
        Assert.Equal(5f, s[1, 2]);
        Assert.Equal(new[] { 3f, 4f, 5f }, s.Band(1).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => s[2, 0]);
        Assert.Throws<ArgumentException>(() => new Spectrogram(2, 2, values));
    }

    [Fact]
    public void InvalidSettings_AreRejected()
    {
        var clip = new AudioClip(Noise(new SeededRandom(1), 5000), 22050);
        Assert.Throws<ArgumentException>(() => MelSpectrogram.Compute(clip, MelSpectrogramSettings.Default with { FftSize = 1000 }));
        Assert.Throws<ArgumentException>(() => MelSpectrogram.Compute(clip, MelSpectrogramSettings.Default with { FMax = 20000 }));
        Assert.Throws<ArgumentException>(() => MelSpectrogram.Compute(clip, MelSpectrogramSettings.Default with { HopLength = 0 }));
        Assert.Throws<ArgumentException>(() => MelSpectrogram.Compute(new AudioClip([], 22050)));
    }

    private static float[] Noise(SeededRandom rng, int length) =>
        Enumerable.Range(0, length).Select(_ => (float)rng.Uniform(-0.5, 0.5)).ToArray();

    private static double[,] ReferenceLogMel(float[] x, int rate, int n, int hop, int mels)
    {
        var padded = new double[x.Length + n];
        for (var i = 0; i < x.Length; i++)
            padded[(n / 2) + i] = x[i];
        var frames = 1 + (x.Length / hop);
        var bins = (n / 2) + 1;

        var edges = MelSpectrogram.MelFrequencies(mels + 2, 0, rate / 2.0);
        var weights = new double[mels, bins];
        for (var m = 0; m < mels; m++)
        {
            for (var k = 0; k < bins; k++)
            {
                var f = k * (double)rate / n;
                var lower = (f - edges[m]) / (edges[m + 1] - edges[m]);
                var upper = (edges[m + 2] - f) / (edges[m + 2] - edges[m + 1]);
                weights[m, k] = Math.Max(0, Math.Min(lower, upper)) * 2 / (edges[m + 2] - edges[m]);
            }
        }

        var power = new double[mels, frames];
        for (var t = 0; t < frames; t++)
        {
            var spectrum = new double[bins];
            for (var k = 0; k < bins; k++)
            {
                double re = 0, im = 0;
                for (var i = 0; i < n; i++)
                {
                    var w = 0.5 - (0.5 * Math.Cos(2 * Math.PI * i / n));
                    var angle = 2 * Math.PI * ((long)k * i % n) / n;
                    re += padded[(t * hop) + i] * w * Math.Cos(angle);
                    im -= padded[(t * hop) + i] * w * Math.Sin(angle);
                }

                spectrum[k] = (re * re) + (im * im);
            }

            for (var m = 0; m < mels; m++)
            {
                for (var k = 0; k < bins; k++)
                    power[m, t] += weights[m, k] * spectrum[k];
            }
        }

        var max = power.Cast<double>().Max();
        var db = new double[mels, frames];
        for (var m = 0; m < mels; m++)
        {
            for (var t = 0; t < frames; t++)
                db[m, t] = Math.Max(-80, 10 * Math.Log10(Math.Max(1e-10, power[m, t]) / max));
        }

        return db;
    }
}
