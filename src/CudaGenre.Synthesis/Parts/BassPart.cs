using CudaGenre.Core;
using CudaGenre.Synthesis.Harmony;
using CudaGenre.Synthesis.Instruments;

namespace CudaGenre.Synthesis.Parts;

/// <summary>The bass player: turns the chords and the bass-line style into notes, and picks the instrument.</summary>
internal static class BassPart
{
    /// <summary>E1: the lowest string of a bass guitar.</summary>
    private const int LowestRoot = 28;

    public static IInstrument Instrument(ClipPlan plan, SeededRandom random)
    {
        var brightness = plan.BassBrightness;
        return plan.BassLine switch
        {
            BassLine.Sub808 => new SubBass808(plan.SampleRate, random, brightness),
            BassLine.Sustained => new BassGuitar(plan.SampleRate, random, brightness, BassKind.Bowed),
            BassLine.Walking => new BassGuitar(plan.SampleRate, random, brightness,
                brightness < 0.45 ? BassKind.Upright : BassKind.Electric),
            BassLine.Octaves or BassLine.RootEighths when random.Chance(0.25) =>
                new BassGuitar(plan.SampleRate, random, brightness, BassKind.Synth),
            _ => new BassGuitar(plan.SampleRate, random, brightness, BassKind.Electric),
        };
    }

    public static List<Note> Compose(Arrangement arrangement, IReadOnlyList<DrumHit> drums, SeededRandom random)
    {
        var notes = new List<Note>();
        var plan = arrangement.Plan;
        if (plan.BassLine == BassLine.None)
            return notes;
        var riff = SyncopatedRiff(random);
        var staccato = random.Uniform(0.55, 0.95);
        var lowest = plan.BassLine == BassLine.Sub808 ? 24 : LowestRoot;
        var previous = double.NaN;
        for (var bar = 0; bar < arrangement.Bars; bar++)
        {
            var section = arrangement.SectionOf(bar);
            if (!section.Has(BandPart.Bass))
                continue;
            var velocity = 0.7 + (0.3 * section.Intensity);
            var barBeat = bar * Arrangement.BeatsPerBar;
            Note Make(double step, double lengthSteps, double pitch, double accent = 1, double bend = 0)
            {
                var start = arrangement.TimeOfStep(bar, step);
                var end = arrangement.TimeOfStep(bar, step + lengthSteps);
                return new Note(start, Math.Max(0.03, end - start), pitch + plan.TuningSemitones,
                    Math.Clamp(velocity * accent * random.Uniform(0.85, 1), 0, 1), bend);
            }
            int Root(double beat) => arrangement.ChordAt(beat).RootAtOrAbove(lowest);

            switch (plan.BassLine)
            {
                case BassLine.Sustained:
                    for (var beat = 0; beat < Arrangement.BeatsPerBar; beat++)
                    {
                        var b = barBeat + beat;
                        if (b % arrangement.BeatsPerChord != 0 && beat != 0)
                            continue;
                        var length = Math.Min(arrangement.BeatsPerChord - (b % arrangement.BeatsPerChord), Arrangement.BeatsPerBar - beat);
                        notes.Add(Make(beat * 4, (length * 4) - 0.3, Root(b) + 12, 0.8));
                    }
                    break;
                case BassLine.RootEighths:
                    for (var s = 0; s < 16; s += 2)
                    {
                        var chord = arrangement.ChordAt(barBeat + (s / 4.0));
                        var pitch = (double)chord.RootAtOrAbove(lowest);
                        if (s % 4 == 2 && random.Chance(0.12))
                            pitch += 12;
                        else if (s == 14 && random.Chance(0.2))
                            pitch += chord.Fifth;
                        notes.Add(Make(s, 2 * staccato, pitch, s % 4 == 0 ? 1 : 0.85));
                    }
                    break;
                case BassLine.RootFifth:
                    for (var beat = 0; beat < 4; beat++)
                    {
                        var b = barBeat + beat;
                        var chord = arrangement.ChordAt(b);
                        var root = chord.RootAtOrAbove(lowest);
                        var changing = arrangement.ChordAt(b + 1) != chord && beat == 3;
                        double pitch = beat % 2 == 0 ? root : root + chord.Fifth - (random.Chance(0.5) ? 12 : 0);
                        if (changing && random.Chance(0.5))
                        {
                            // Walk up into the next chord: two eighths.
                            var target = arrangement.ChordAt(b + 1).RootAtOrAbove(lowest);
                            notes.Add(Make(beat * 4, 2 * staccato, target - 2));
                            notes.Add(Make((beat * 4) + 2, 2 * staccato, target - 1));
                            continue;
                        }
                        notes.Add(Make(beat * 4, 4 * staccato, Math.Max(lowest - 5, pitch)));
                    }
                    break;
                case BassLine.Walking:
                    var current = double.IsNaN(previous) ? Root(barBeat) : previous;
                    for (var beat = 0; beat < 4; beat++)
                    {
                        var b = barBeat + beat;
                        var chord = arrangement.ChordAt(b);
                        var next = arrangement.ChordAt(b + 1);
                        double pitch;
                        if (b % arrangement.BeatsPerChord == 0)
                            pitch = Nearest(chord.Root, current, lowest, lowest + 20);
                        else if (next != chord || beat == 3)
                            pitch = Nearest(next.Root, current, lowest, lowest + 20) + (random.Chance(0.5) ? 1 : -1);
                        else
                            pitch = Nearest(Key.Mod12(chord.Root + (random.Chance(0.5) ? chord.Third : chord.Fifth)), current + (random.Chance(0.5) ? 3 : -3), lowest, lowest + 20);
                        notes.Add(Make(beat * 4, 3.8, pitch, beat % 2 == 0 ? 1 : 0.9));
                        current = pitch;
                    }
                    previous = current;
                    break;
                case BassLine.Boogie:
                    int[] up = [0, 0, 4, 4, 7, 7, 9, 9];
                    int[] down = [10, 10, 9, 9, 7, 7, 4, 4];
                    var figure = bar % 2 == 0 ? up : down;
                    for (var i = 0; i < 8; i++)
                    {
                        var chord = arrangement.ChordAt(barBeat + (i / 2.0));
                        var interval = figure[i] == 4 ? chord.Third : figure[i];
                        notes.Add(Make(i * 2, 2 * staccato, chord.RootAtOrAbove(lowest) + interval, i % 2 == 0 ? 1 : 0.8));
                    }
                    break;
                case BassLine.Octaves:
                    for (var s = 0; s < 16; s += 2)
                    {
                        var root = Root(barBeat + (s / 4.0));
                        notes.Add(Make(s, 2 * staccato * 0.7, root + (s % 4 == 2 ? 12 : 0), s % 4 == 2 ? 0.85 : 1));
                    }
                    break;
                case BassLine.Sub808:
                    var kicks = drums.Where(h => h.Voice == DrumVoice.Kick && h.Bar == bar).Select(h => h.Step).Distinct().Order().ToList();
                    if (kicks.Count == 0)
                        kicks = [0, 10];
                    for (var k = 0; k < kicks.Count; k++)
                    {
                        var s = kicks[k];
                        var until = k + 1 < kicks.Count ? kicks[k + 1] : 16;
                        var chord = arrangement.ChordAt(barBeat + (s / 4.0));
                        double pitch = chord.RootAtOrAbove(lowest);
                        if (k > 0 && random.Chance(0.3))
                            pitch += random.Chance(0.5) ? chord.Fifth : 12;
                        var bend = !double.IsNaN(previous) && previous != pitch && random.Chance(0.5) ? pitch - previous : 0;
                        notes.Add(Make(s, Math.Min(8, until - s) - 0.2, pitch, 1, bend));
                        previous = pitch;
                    }
                    break;
                case BassLine.Syncopated:
                    foreach (var (step, length, interval) in riff)
                    {
                        var chord = arrangement.ChordAt(barBeat + (step / 4.0));
                        var offset = interval switch { 3 => chord.Third, 7 => chord.Fifth, _ => interval };
                        notes.Add(Make(step, length * staccato, chord.RootAtOrAbove(lowest) + offset, step % 4 == 0 ? 1 : 0.9));
                    }
                    break;
                default:
                    break;
            }
        }
        return notes;
    }

    /// <summary>The pitch of pitch class <paramref name="pitchClass"/> nearest to <paramref name="near"/>, kept in range.</summary>
    private static double Nearest(int pitchClass, double near, int low, int high)
    {
        var candidate = (int)Math.Round(near) - 6;
        candidate += Key.Mod12(pitchClass - candidate);
        while (candidate < low)
            candidate += 12;
        while (candidate > high)
            candidate -= 12;
        return candidate;
    }

    /// <summary>A one-bar reggae riff: onsets that avoid the downbeat, lengths in sixteenths, intervals above the root.</summary>
    private static List<(int Step, double Length, int Interval)> SyncopatedRiff(SeededRandom random)
    {
        int[] candidates = [2, 3, 4, 6, 7, 8, 10, 11, 12, 14];
        var onsets = candidates.Where(_ => random.Chance(0.5)).ToList();
        if (random.Chance(0.35))
            onsets.Insert(0, 0);
        if (onsets.Count < 3)
            onsets = [2, 6, 8, 11];
        int[] intervals = [0, 0, 0, 7, 12, 3, 10, -5];
        var riff = new List<(int, double, int)>();
        for (var i = 0; i < onsets.Count; i++)
        {
            var until = i + 1 < onsets.Count ? onsets[i + 1] : 16;
            riff.Add((onsets[i], until - onsets[i], intervals[random.NextInt(intervals.Length)]));
        }
        return riff;
    }
}
