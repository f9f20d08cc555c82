using CudaGenre.Core;
using CudaGenre.Synthesis.Harmony;
using CudaGenre.Synthesis.Instruments;

namespace CudaGenre.Synthesis.Parts;

/// <summary>
/// The melody: phrases of two or four bars with a breath at the end, a rhythm motif repeated from phrase
/// to phrase, stepwise motion in the scale that lands on chord tones on strong beats, and bends, scoops
/// and vowels where the instrument has them. A rapper gets dense sixteenths near one pitch instead.
/// </summary>
internal static class MelodyPart
{
    public static IInstrument Instrument(ClipPlan plan, SeededRandom random)
    {
        var lead = plan.Lead ?? LeadInstrument.Singer;
        return lead switch
        {
            LeadInstrument.LeadGuitar => new DistortedGuitar(plan.SampleRate, random, Math.Max(plan.Drive, 0.5), plan.Brightness, lead: true),
            LeadInstrument.TwangGuitar => new PluckedString(plan.SampleRate, random, plan.Brightness, StringKind.Twang),
            LeadInstrument.Piano => new Piano(plan.SampleRate, random, plan.Brightness, electric: false),
            _ => new LeadVoice(plan.SampleRate, random, lead, plan.Brightness, plan.Drive),
        };
    }

    public static List<Note> Compose(Arrangement arrangement, SeededRandom random)
    {
        var notes = new List<Note>();
        var plan = arrangement.Plan;
        if (plan.Lead is not { } lead)
            return notes;
        var rapping = lead == LeadInstrument.Rapper;
        var bends = lead is LeadInstrument.LeadGuitar or LeadInstrument.TwangGuitar or LeadInstrument.Harmonica
            || (lead == LeadInstrument.Singer && plan.Scale == MelodyScale.Blues);
        var scoops = lead is LeadInstrument.Singer or LeadInstrument.Saxophone or LeadInstrument.Violin;
        var sings = lead is LeadInstrument.Singer or LeadInstrument.Rapper;

        // The playable pitches: the scale across the instrument's range around its register.
        var steps = arrangement.Key.MelodySteps(plan.Scale);
        var low = (int)Math.Round(plan.LeadRegister) - 9;
        var high = (int)Math.Round(plan.LeadRegister) + 9;
        var pitches = Enumerable.Range(low, high - low + 1).Where(p => steps.Contains(Key.Mod12(p - plan.Tonic))).ToArray();
        var position = pitches.Length / 2;

        var subdivision = rapping || (plan.TempoBpm < 100 && plan.LeadDensity > 0.6) ? 1 : 2; // sixteenths or eighths
        var phraseBars = random.Chance(0.5) ? 2 : 4;
        var motif = Motif(plan.LeadDensity, subdivision, phraseBars, random);
        var rapCentre = plan.LeadRegister + random.Uniform(-2, 2);

        for (var bar = 0; bar < arrangement.Bars; bar++)
        {
            var section = arrangement.SectionOf(bar);
            if (!section.Has(BandPart.Lead))
                continue;
            var barInPhrase = ((bar - section.FirstBar) % phraseBars + phraseBars) % phraseBars;
            if (barInPhrase == 0 && random.Chance(0.3))
                motif = Motif(plan.LeadDensity, subdivision, phraseBars, random);
            var onsets = motif[barInPhrase];
            for (var i = 0; i < onsets.Count; i++)
            {
                var step = onsets[i];
                // A note lasts until the next onset: later in this bar, early in the next, or the phrase's end.
                int until;
                if (i + 1 < onsets.Count)
                    until = onsets[i + 1];
                else if (barInPhrase == phraseBars - 1 || motif[barInPhrase + 1].Count == 0)
                    until = 16;
                else
                    until = 16 + motif[barInPhrase + 1][0];
                var start = arrangement.TimeOfStep(bar, step);
                var end = arrangement.TimeOfStep(bar, until);
                // Rapped syllables are clipped; sung and played lines are near legato.
                var legato = rapping ? random.Uniform(0.6, 0.9) : random.Uniform(0.85, 0.97);
                var duration = Math.Max(0.05, (end - start) * legato);
                var velocity = Math.Clamp((0.65 + (0.35 * section.Intensity)) * random.Uniform(0.8, 1) * (step % 4 == 0 ? 1 : 0.9), 0, 1);
                double pitch;
                double bend = 0;
                if (rapping)
                {
                    pitch = rapCentre + random.Uniform(-2.5, 2.5) + (barInPhrase == phraseBars - 1 ? -1 : 0);
                }
                else
                {
                    position = NextPosition(position, pitches.Length, random);
                    var chord = arrangement.ChordAt((bar * 4) + (step / 4.0));
                    if (step % 8 == 0 && !chord.Contains(pitches[position]) && random.Chance(0.7))
                        position = NearestChordTone(position, pitches, chord);
                    pitch = pitches[position];
                    if (bends && random.Chance(0.2))
                        bend = random.Chance(0.5) ? 1 : 2;
                    else if (scoops && random.Chance(0.25))
                        bend = random.Uniform(0.3, 1);
                }
                // Singers get a vowel per syllable; for other instruments the variant means articulation (0: plain).
                var vowel = sings ? random.NextInt(5) : 0;
                notes.Add(new Note(start, duration, pitch + plan.TuningSemitones, velocity, bend, vowel));
            }
        }
        // A melody is monophonic: a note ends before the next begins.
        for (var i = 0; i + 1 < notes.Count; i++)
        {
            var limit = notes[i + 1].Start - notes[i].Start - 0.005;
            if (notes[i].Duration > limit)
                notes[i] = notes[i] with { Duration = Math.Max(0.02, limit) };
        }
        return notes;
    }

    /// <summary>Onset steps per bar of a phrase; the last bar ends early, leaving room to breathe.</summary>
    private static List<List<int>> Motif(double density, int subdivision, int phraseBars, SeededRandom random)
    {
        var motif = new List<List<int>>();
        for (var b = 0; b < phraseBars; b++)
        {
            var onsets = new List<int>();
            var end = b == phraseBars - 1 ? random.Uniform(6, 12) : 16;
            for (var s = 0; s < end; s += subdivision)
            {
                // Strong positions are likelier onsets.
                var p = s % 4 == 0 ? Math.Min(1, density + 0.2) : density;
                if (random.Chance(p))
                    onsets.Add(s);
            }
            motif.Add(onsets);
        }
        return motif;
    }

    private static int NextPosition(int position, int count, SeededRandom random)
    {
        ReadOnlySpan<double> weights = [0.05, 0.15, 0.3, 0.12, 0.3, 0.15, 0.05];
        var move = random.Pick(weights) - 3;
        if (random.Chance(0.1))
            move *= 2;
        var next = position + move;
        // Reflect off the ends of the range.
        if (next < 0)
            next = -next;
        if (next >= count)
            next = (2 * (count - 1)) - next;
        return Math.Clamp(next, 0, count - 1);
    }

    private static int NearestChordTone(int position, int[] pitches, Chord chord)
    {
        for (var d = 1; d < pitches.Length; d++)
        {
            if (position + d < pitches.Length && chord.Contains(pitches[position + d]))
                return position + d;
            if (position - d >= 0 && chord.Contains(pitches[position - d]))
                return position - d;
        }
        return position;
    }
}
