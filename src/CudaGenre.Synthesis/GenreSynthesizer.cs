using CudaGenre.Core.Audio;
using CudaGenre.Core;
using CudaGenre.Synthesis.Effects;
using CudaGenre.Synthesis.Instruments;
using CudaGenre.Synthesis.Parts;

namespace CudaGenre.Synthesis;

/// <summary>
/// Synthesizes genre-typical music clips from the style table, as a stand-in for GTZAN where the real data
/// cannot be had. A clip is fully determined by (genre, seed, seconds, sample rate): every draw comes from
/// <see cref="SeededRandom"/> streams derived from the seed, and all arithmetic is portable, so the same
/// arguments give the same samples on every machine. Thread-safe: calls share no state.
/// </summary>
public static class GenreSynthesizer
{
    /// <summary>The sample rate GTZAN (and librosa's default) uses, Hz.</summary>
    public const int DefaultSampleRate = 22050;

    /// <summary>The length of a GTZAN clip, seconds.</summary>
    public const double DefaultSeconds = 30;

    // Independent random streams, so that changing how one part draws leaves the others as they were.
    private enum RandomStream : ulong
    {
        Plan = 1,
        Arrangement,
        Kit,
        Drums,
        BassInstrument,
        Bass,
        LeadInstrument,
        Lead,
        Master,
        Noise,
        Comping = 100,
    }

    /// <summary>
    /// Renders a clip of genre <paramref name="genre"/> (label 0–9, <see cref="Genres"/> order): mono,
    /// <paramref name="seconds"/> × <paramref name="sampleRate"/> samples, peak-normalized to a per-clip level
    /// between 0.5 and 0.98.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The genre, length or sample rate is out of range.</exception>
    public static AudioClip Synthesize(int genre, ulong seed, double seconds = DefaultSeconds, int sampleRate = DefaultSampleRate)
    {
        var plan = Plan(genre, seed, seconds, sampleRate);
        var style = GenreStyles.For(genre);
        var length = (int)Math.Round(seconds * sampleRate);
        var arrangement = Arrangement.Compose(plan, Random(plan, RandomStream.Arrangement));

        var tracks = new List<(float[] Samples, double LevelDb, double FloorRms)>();

        var hits = DrumPart.Compose(arrangement, style.Kit, Random(plan, RandomStream.Drums));
        if (hits.Count > 0)
        {
            var kit = new DrumKit(sampleRate, style.Kit, Random(plan, RandomStream.Kit));
            var drums = new float[length];
            DrumPart.Render(hits, kit, drums);
            tracks.Add((drums, plan.DrumsDb, kit.ReferenceRms(arrangement.SecondsPerBeat)));
        }

        var bassNotes = BassPart.Compose(arrangement, hits, Random(plan, RandomStream.Bass));
        if (bassNotes.Count > 0)
            tracks.Add((Render(BassPart.Instrument(plan, Random(plan, RandomStream.BassInstrument)), bassNotes, length), plan.BassDb, 0));

        for (var layer = 0; layer < plan.Comping.Count; layer++)
        {
            var random = Random(plan, RandomStream.Comping + (ulong)layer);
            var choice = plan.Comping[layer];
            var flag = layer == 0 ? BandPart.Comping : BandPart.SecondComping;
            var shift = layer == 0 ? 0 : random.Uniform(3, 10);
            var notes = CompingPart.Compose(arrangement, choice, flag, shift, random);
            if (notes.Count > 0)
                tracks.Add((Render(CompingPart.Instrument(choice.Instrument, plan, random), notes, length), plan.CompingDb[layer], 0));
        }

        var melody = MelodyPart.Compose(arrangement, Random(plan, RandomStream.Lead));
        if (melody.Count > 0)
            tracks.Add((Render(MelodyPart.Instrument(plan, Random(plan, RandomStream.LeadInstrument)), melody, length), plan.LeadDb, 0));

        var mix = Mix(tracks, length);
        Master(mix, plan, Random(plan, RandomStream.Master), Random(plan, RandomStream.Noise));
        return new AudioClip(mix, sampleRate);
    }

    /// <summary>
    /// The parameters <see cref="Synthesize"/> draws for these arguments (tempo, key, band, levels…),
    /// without rendering any audio.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The genre, length or sample rate is out of range.</exception>
    public static ClipPlan Plan(int genre, ulong seed, double seconds = DefaultSeconds, int sampleRate = DefaultSampleRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(genre);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(genre, Genres.Count);
        if (!(seconds > 0 && seconds <= 600))
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "A clip must be longer than 0 and at most 600 seconds.");
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 8000);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sampleRate, 192000);
        var style = GenreStyles.For(genre);
        var random = new SeededRandom(SeededRandom.Mix(seed, (ulong)genre, (ulong)RandomStream.Plan));
        return ClipPlan.Draw(style, genre, seed, seconds, sampleRate, random);
    }

    private static SeededRandom Random(ClipPlan plan, RandomStream stream)
        => new(SeededRandom.Mix(plan.Seed, (ulong)plan.Genre, (ulong)stream));

    private static float[] Render(IInstrument instrument, List<Note> notes, int length)
    {
        var track = new float[length];
        foreach (var note in notes)
            instrument.Play(note, track);
        instrument.Finish(track);
        return track;
    }

    /// <summary>
    /// Sums the tracks at their levels. Each track is first brought to a reference loudness measured over the
    /// stretches where it plays, so a level in the style table means the same whatever the instrument; a
    /// track quieter than its floor (a soft, sparse drum part) is not brought up past it.
    /// </summary>
    private static float[] Mix(List<(float[] Samples, double LevelDb, double FloorRms)> tracks, int length)
    {
        var mix = new float[length];
        foreach (var (samples, levelDb, floorRms) in tracks)
        {
            var rms = Math.Max(ActiveRms(samples), floorRms);
            if (rms <= 0)
                continue;
            var gain = (float)(0.1 * PortableMath.DbToGain(levelDb) / rms);
            for (var i = 0; i < length; i++)
                mix[i] += gain * samples[i];
        }
        return mix;
    }

    /// <summary>The RMS over blocks that are not silent.</summary>
    private static double ActiveRms(float[] samples)
    {
        const int block = 1024;
        double sum = 0;
        long count = 0;
        for (var start = 0; start < samples.Length; start += block)
        {
            var span = samples.AsSpan(start, Math.Min(block, samples.Length - start));
            var energy = 0.0;
            foreach (var s in span)
                energy += s * (double)s;
            if (energy / span.Length > 1e-8)
            {
                sum += energy;
                count += span.Length;
            }
        }
        return count == 0 ? 0 : Math.Sqrt(sum / count);
    }

    /// <summary>The studio and the record: reverb, swells, noise floor, recording EQ and bandwidth, mastering, level.</summary>
    private static void Master(float[] mix, ClipPlan plan, SeededRandom random, SeededRandom noiseRandom)
    {
        var sr = plan.SampleRate;
        var dryRms = ActiveRms(mix);
        if (dryRms <= 0)
            return;

        var wet = Reverb.Render(mix, sr, plan.ReverbSeconds, random.Uniform(0.2, 0.8), random.Uniform(0.005, 0.03));
        var wetGain = (float)(plan.ReverbWet * dryRms / Math.Max(ActiveRms(wet), 1e-9));
        var dryGain = (float)(1 - (0.5 * plan.ReverbWet));
        for (var i = 0; i < mix.Length; i++)
            mix[i] = (dryGain * mix[i]) + (wetGain * wet[i]);

        Dynamics.Swell(mix, sr, plan.SwellDb, random);

        // The recording: a noise floor, then the medium's bandwidth and EQ, which shape the noise too.
        var level = ActiveRms(mix);
        var noise = new float[mix.Length];
        BackgroundNoise.Render(noise, plan.NoiseColor, noiseRandom);
        var noiseGain = (float)(level * PortableMath.DbToGain(-plan.NoiseSnrDb));
        for (var i = 0; i < mix.Length; i++)
            mix[i] += noiseGain * noise[i];
        if (plan.Crackle)
            BackgroundNoise.AddCrackle(mix, sr, noiseRandom.Uniform(2, 15), (float)(level * noiseRandom.Uniform(0.3, 1.2)), noiseRandom);
        Biquad.HighPass(plan.HighpassHz, 0.7, sr).Process(mix);
        Biquad.HighShelf(6000, plan.AirDb, sr).Process(mix);
        if (plan.LowpassHz < 10000 && plan.LowpassHz < sr * 0.45)
        {
            // Two stages: old records roll off steeply.
            Biquad.LowPass(plan.LowpassHz, 0.7, sr).Process(mix);
            Biquad.LowPass(plan.LowpassHz * 1.2, 0.7, sr).Process(mix);
        }

        // Mastering last, so the limiter decides the peaks.
        Dynamics.Compress(mix, plan.Compression);

        var peak = Dynamics.Peak(mix);
        if (peak > 0)
        {
            var g = (float)(plan.PeakLevel / peak);
            for (var i = 0; i < mix.Length; i++)
                mix[i] *= g;
        }
    }
}
