using CudaGenre.Core;
using CudaGenre.Synthesis.Instruments;

namespace CudaGenre.Synthesis.Parts;

/// <summary>One drum stroke: which piece, when (clip seconds), how hard (0–1), and where in the bar.</summary>
internal readonly record struct DrumHit(DrumVoice Voice, double Time, double Velocity, int Bar, int Step, int Variant = 0);

/// <summary>
/// The drummer: realizes the groove's step probabilities once per section (so bars repeat, as a drummer's
/// do), varies a few steps per bar, plays fills into section changes and crashes on section starts, and
/// humanizes timing and velocity.
/// </summary>
internal static class DrumPart
{
    private const double PerBarVariation = 0.12;

    public static List<DrumHit> Compose(Arrangement arrangement, DrumKitStyle kit, SeededRandom random)
    {
        var hits = new List<DrumHit>();
        var groove = arrangement.Plan.Groove;
        if (groove.IsSilent)
            return hits;
        var jitter = kit.TimingJitterMs.Draw(random) / 1000;
        var voices = groove.Voices.ToArray();
        var fast = arrangement.Plan.TempoBpm > 150;
        foreach (var section in arrangement.Sections)
        {
            if (!section.Has(BandPart.Drums))
                continue;
            // The section's own take on the groove.
            var pattern = new bool[voices.Length, DrumGroove.Steps];
            for (var v = 0; v < voices.Length; v++)
            {
                for (var s = 0; s < DrumGroove.Steps; s++)
                    pattern[v, s] = random.Chance(groove.Probability(voices[v], s));
            }
            var fill = random.Chance(arrangement.Plan.FillProbability);
            var fillStart = random.Chance(0.5) ? 8 : 12;
            var crash = random.Chance(arrangement.Plan.CrashProbability);
            var loudness = Math.Sqrt(section.Intensity);
            for (var bar = Math.Max(0, section.FirstBar); bar < Math.Min(arrangement.Bars, section.FirstBar + section.Bars); bar++)
            {
                var fillBar = fill && section.IsLastBar(bar);
                for (var v = 0; v < voices.Length; v++)
                {
                    for (var s = 0; s < DrumGroove.Steps; s++)
                    {
                        if (fillBar && s >= fillStart)
                            continue;
                        var p = groove.Probability(voices[v], s);
                        var plays = random.Chance(PerBarVariation) ? random.Chance(p) : pattern[v, s];
                        if (!plays)
                            continue;
                        var velocity = Accent(s) * (0.55 + (0.45 * p)) * loudness * random.Uniform(0.85, 1);
                        var time = arrangement.TimeOfStep(bar, s) + Humanize(jitter, random);
                        hits.Add(new DrumHit(voices[v], time, velocity, bar, s));
                        if (voices[v] == DrumVoice.ClosedHat && random.Chance(groove.HatRollProbability))
                            AddRoll(arrangement, bar, s, velocity, hits, random);
                    }
                }
                if (crash && bar == section.FirstBar)
                    hits.Add(new DrumHit(DrumVoice.Crash, arrangement.TimeOfStep(bar, 0), 0.9 * loudness, bar, 0));
                if (fillBar)
                    AddFill(arrangement, bar, fillStart, fast, jitter, hits, random);
            }
        }
        hits.Sort((a, b) => a.Time.CompareTo(b.Time));
        return hits;
    }

    public static void Render(IEnumerable<DrumHit> hits, DrumKit kit, float[] track)
    {
        foreach (var hit in hits)
            kit.Play(hit.Voice, hit.Time, hit.Velocity, track, hit.Variant);
    }

    /// <summary>Metric accent: downbeat strongest, then beats, off-beat eighths, sixteenths.</summary>
    private static double Accent(int step) => step switch
    {
        0 => 1.0,
        8 => 0.95,
        4 or 12 => 0.93,
        _ when step % 2 == 0 => 0.8,
        _ => 0.65,
    };

    /// <summary>A near-normal timing offset with standard deviation <paramref name="spread"/> seconds.</summary>
    private static double Humanize(double spread, SeededRandom random)
        => (random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 2 * spread;

    private static void AddRoll(Arrangement arrangement, int bar, int step, double velocity, List<DrumHit> hits, SeededRandom random)
    {
        var count = random.Chance(0.5) ? 2 : 3;
        for (var k = 1; k < count; k++)
        {
            var time = arrangement.TimeOfStep(bar, step + ((double)k / count));
            hits.Add(new DrumHit(DrumVoice.ClosedHat, time, velocity * (0.75 - (0.1 * k)), bar, step));
        }
    }

    private static void AddFill(Arrangement arrangement, int bar, int fillStart, bool fast, double jitter, List<DrumHit> hits, SeededRandom random)
    {
        var stride = fast ? 2 : 1;
        var useToms = random.Chance(0.6);
        var count = (16 - fillStart) / stride;
        for (var i = 0; i < count; i++)
        {
            var s = fillStart + (i * stride);
            var velocity = 0.6 + (0.4 * i / Math.Max(1, count - 1));
            var time = arrangement.TimeOfStep(bar, s) + Humanize(jitter, random);
            if (useToms && i >= count / 3)
            {
                // Down the toms: high, mid, low.
                var tom = 2 - Math.Min(2, 3 * (i - (count / 3)) / Math.Max(1, count - (count / 3)));
                hits.Add(new DrumHit(DrumVoice.Tom, time, velocity, bar, s, tom));
            }
            else
            {
                hits.Add(new DrumHit(DrumVoice.Snare, time, velocity, bar, s));
            }
        }
        hits.Add(new DrumHit(DrumVoice.Kick, arrangement.TimeOfStep(bar, fillStart), 0.8, bar, fillStart));
    }
}
