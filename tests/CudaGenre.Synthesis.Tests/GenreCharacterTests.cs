using System.Collections.Concurrent;
using CudaGenre.Core;

namespace CudaGenre.Synthesis.Tests;

/// <summary>Clips rendered once for all character tests: 10 clips of 8 s per genre, on demand.</summary>
public sealed class GenreClipSet
{
    public const int ClipsPerGenre = 10;
    public const double Seconds = 8;
    public const int SampleRate = 22050;

    private readonly ConcurrentDictionary<string, Lazy<(float[] Samples, ClipPlan Plan)[]>> _clips = new();

    public (float[] Samples, ClipPlan Plan)[] Of(string genre) => _clips.GetOrAdd(genre, g => new Lazy<(float[], ClipPlan)[]>(() =>
    {
        var label = Genres.IndexOf(g);
        var clips = new (float[], ClipPlan)[ClipsPerGenre];
        Parallel.For(0, ClipsPerGenre, i =>
        {
            var seed = (ulong)(500 + i);
            clips[i] = (GenreSynthesizer.Synthesize(label, seed, Seconds, SampleRate).Samples,
                GenreSynthesizer.Plan(label, seed, Seconds, SampleRate));
        });
        return clips;
    })).Value;
}

/// <summary>
/// Properties that follow from the style table, measured on the audio with independent DSP
/// (<see cref="AudioFeatures"/>), averaged over ten clips per genre.
/// </summary>
public class GenreCharacterTests(GenreClipSet clips) : IClassFixture<GenreClipSet>
{
    private const int Rate = GenreClipSet.SampleRate;

    [Fact]
    public void Metal_IsBrighterThanClassical()
    {
        // Distorted guitars, cymbal wash and "air" against strings, piano and a soft top end.
        var metal = clips.Of("metal").Average(c => AudioFeatures.SpectralCentroid(c.Samples, Rate));
        var classical = clips.Of("classical").Average(c => AudioFeatures.SpectralCentroid(c.Samples, Rate));
        Assert.True(metal > 1.5 * classical, $"mean spectral centroid: metal {metal:F0} Hz, classical {classical:F0} Hz");
    }

    [Fact]
    public void Classical_IsLessPercussiveThanDisco()
    {
        // No drums at all against hats on every off-beat.
        var classical = clips.Of("classical").Average(c => AudioFeatures.HighBandOnsetRate(c.Samples, Rate));
        var disco = clips.Of("disco").Average(c => AudioFeatures.HighBandOnsetRate(c.Samples, Rate));
        Assert.True(classical < 0.6 * disco, $"high-band onsets per second: classical {classical:F2}, disco {disco:F2}");
    }

    [Fact]
    public void Disco_KickRepeatsEveryQuarterNote()
    {
        // Four on the floor: the low band's onsets repeat at the beat, not the half or whole bar.
        var hits = 0;
        var report = new List<string>();
        foreach (var (samples, plan) in clips.Of("disco"))
        {
            var envelope = AudioFeatures.OnsetEnvelope(samples, Rate, 20, 150);
            var period = AudioFeatures.DominantPeriod(envelope, Rate, 0.3, 1.2);
            var quarter = 60 / plan.TempoBpm;
            report.Add($"{period:F3}/{quarter:F3}");
            if (Math.Abs(period - quarter) / quarter < 0.04)
                hits++;
        }
        Assert.True(hits >= 8, $"{hits} of {GenreClipSet.ClipsPerGenre} clips pulse at the quarter note (measured/expected s: {string.Join(", ", report)})");
    }

    [Fact]
    public void HipHop_HasMoreEnergyBelow100HzThanClassical()
    {
        // 808s and boom-bap kicks against cellos that barely reach below 100 Hz.
        var hiphop = clips.Of("hiphop").Average(c => AudioFeatures.EnergyShareBelow(c.Samples, Rate, 100));
        var classical = clips.Of("classical").Average(c => AudioFeatures.EnergyShareBelow(c.Samples, Rate, 100));
        Assert.True(hiphop > 3 * classical, $"share of energy below 100 Hz: hip hop {hiphop:F3}, classical {classical:F3}");
    }

    [Fact]
    public void Metal_IsMoreCompressedThanClassical()
    {
        // Brick-wall mastering flattens peaks; orchestral recordings keep their dynamics.
        var metal = clips.Of("metal").Average(c => AudioFeatures.CrestFactor(c.Samples));
        var classical = clips.Of("classical").Average(c => AudioFeatures.CrestFactor(c.Samples));
        Assert.True(metal < 0.85 * classical, $"crest factor: metal {metal:F2}, classical {classical:F2}");
    }
}
