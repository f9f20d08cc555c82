using CudaGenre.Core;
using CudaGenre.Synthesis.Harmony;
using CudaGenre.Synthesis.Instruments;

namespace CudaGenre.Synthesis.Parts;

/// <summary>
/// The comping player: voices each chord for the instrument (close voicings for keys, open six-string
/// shapes for guitars, power chords for the chug) and plays it in the layer's rhythm.
/// </summary>
internal static class CompingPart
{
    public static IInstrument Instrument(CompingInstrument instrument, ClipPlan plan, SeededRandom random)
    {
        var sr = plan.SampleRate;
        var b = plan.Brightness;
        return instrument switch
        {
            CompingInstrument.Piano => new Piano(sr, random, b, electric: false),
            CompingInstrument.ElectricPiano => new Piano(sr, random, b, electric: true),
            CompingInstrument.Organ => new Organ(sr, random, b),
            CompingInstrument.Strings => new Ensemble(sr, random, b, EnsembleKind.Strings),
            CompingInstrument.SynthPad => new Ensemble(sr, random, b, EnsembleKind.SynthPad),
            CompingInstrument.Brass => new Ensemble(sr, random, b, EnsembleKind.Brass),
            CompingInstrument.AcousticGuitar => new PluckedString(sr, random, b, StringKind.Acoustic),
            CompingInstrument.CleanGuitar => new PluckedString(sr, random, b, StringKind.CleanElectric),
            _ => new DistortedGuitar(sr, random, plan.Drive, b, lead: false),
        };
    }

    public static List<Note> Compose(Arrangement arrangement, CompingChoice choice, BandPart layer, double registerShift, SeededRandom random)
    {
        var notes = new List<Note>();
        var plan = arrangement.Plan;
        var guitar = choice.Instrument is CompingInstrument.AcousticGuitar or CompingInstrument.CleanGuitar
            or CompingInstrument.DistortedGuitar;
        var centre = plan.ChordRegister + registerShift;
        var maxNotes = random.Chance(0.5) ? 3 : 4;
        var strings = 4 + random.NextInt(3);
        var rhythm = Pattern(choice.Rhythm, plan, random);
        var arpeggioUp = random.Chance(0.6);
        var stepsPerArpeggioNote = plan.TempoBpm < 90 ? 1 : 2;

        for (var bar = 0; bar < arrangement.Bars; bar++)
        {
            var section = arrangement.SectionOf(bar);
            if (!section.Has(layer))
                continue;
            var barBeat = bar * Arrangement.BeatsPerBar;
            var loud = 0.6 + (0.4 * section.Intensity);
            int[] Voice(Chord chord) => choice.Rhythm == CompingRhythm.Chug
                ? new Chord(chord.Root, ChordQuality.Power).GuitarVoicing((int)Math.Round(centre) - 5, 3)
                : guitar ? chord.GuitarVoicing((int)Math.Round(centre) - 10, strings)
                : chord.Voicing(centre, maxNotes);
            void Add(int[] pitches, double step, double lengthSteps, double velocity, double spreadSeconds = 0, int variant = 0)
            {
                var start = arrangement.TimeOfStep(bar, step);
                var end = arrangement.TimeOfStep(bar, step + lengthSteps);
                var v = Math.Clamp(velocity * loud * random.Uniform(0.85, 1), 0.05, 1);
                for (var i = 0; i < pitches.Length; i++)
                {
                    var offset = spreadSeconds * i;
                    notes.Add(new Note(start + offset, Math.Max(0.03, end - start - offset), pitches[i] + plan.TuningSemitones, v, 0, variant));
                }
            }

            switch (choice.Rhythm)
            {
                case CompingRhythm.Sustained:
                    for (var beat = 0; beat < 4; beat++)
                    {
                        var b = barBeat + beat;
                        if (b % arrangement.BeatsPerChord != 0 && beat != 0)
                            continue;
                        var length = Math.Min(arrangement.BeatsPerChord - (b % arrangement.BeatsPerChord), 4 - beat);
                        Add(Voice(arrangement.ChordAt(b)), beat * 4, (length * 4) + 0.2, 0.8);
                    }
                    break;
                case CompingRhythm.Arpeggio:
                    var chordOfBar = arrangement.ChordAt(barBeat);
                    for (var s = 0; s < 16; s += stepsPerArpeggioNote)
                    {
                        var chord = arrangement.ChordAt(barBeat + (s / 4.0));
                        var tones = Voice(chord).Concat(Voice(chord).Select(p => p + 12)).ToArray();
                        var i = s / stepsPerArpeggioNote;
                        var index = arpeggioUp ? i % tones.Length : (tones.Length - 1) - (i % tones.Length);
                        // Pedal down: each note rings to the end of the chord.
                        var ring = chord == chordOfBar ? Math.Max(stepsPerArpeggioNote, 16 - s) : stepsPerArpeggioNote * 2;
                        Add([tones[index]], s, ring, s % 4 == 0 ? 0.85 : 0.7);
                    }
                    break;
                default:
                    // Pattern-based rhythms: (step, length, velocity, articulation).
                    var hits = rhythm(bar, section);
                    for (var h = 0; h < hits.Count; h++)
                    {
                        var (step, length, velocity, variant) = hits[h];
                        var chord = arrangement.ChordAt(barBeat + (step / 4.0));
                        var pitches = Voice(chord);
                        var spread = 0.0;
                        if (choice.Rhythm == CompingRhythm.Strum)
                        {
                            // Down-strums low to high over all strings; up-strums catch the top strings, high to low.
                            spread = random.Uniform(0.008, 0.02);
                            if (variant == 2)
                                pitches = [.. pitches.Reverse().Take(3)];
                        }
                        else if (choice.Rhythm == CompingRhythm.JazzComp && pitches.Length > 3)
                        {
                            pitches = pitches[1..]; // rootless: the bass has the root
                        }
                        Add(pitches, step, length, velocity, spread, variant == 2 ? 0 : variant);
                    }
                    break;
            }
        }
        return notes;
    }

    private delegate List<(double Step, double Length, double Velocity, int Variant)> RhythmPattern(int bar, Section section);

    /// <summary>
    /// A rhythm for the clip. Patterns are drawn once per section and repeated bar after bar (a few steps vary),
    /// as a player settles into a part.
    /// </summary>
    private static RhythmPattern Pattern(CompingRhythm rhythm, ClipPlan plan, SeededRandom random)
    {
        Section? current = null;
        List<(double, double, double, int)> bars = [];
        var sixteenthChugs = plan.Drive > 0.6 && plan.TempoBpm < 150 && random.Chance(0.6);
        var organBubble = random.Chance(0.5);
        var skankLength = random.Uniform(0.5, 1);

        List<(double, double, double, int)> Draw()
        {
            var hits = new List<(double, double, double, int)>();
            switch (rhythm)
            {
                case CompingRhythm.Quarters:
                    for (var s = 0; s < 16; s += 4)
                        hits.Add((s, 3.4, s % 8 == 0 ? 0.85 : 0.75, 0));
                    break;
                case CompingRhythm.Strum:
                    var strums = new List<(double Step, bool Down)>();
                    for (var s = 0; s < 16; s += 2)
                    {
                        if (s % 4 == 0 ? random.Chance(0.9) : random.Chance(0.6))
                            strums.Add((s, s % 4 == 0));
                    }
                    for (var i = 0; i < strums.Count; i++)
                    {
                        var until = i + 1 < strums.Count ? strums[i + 1].Step : 16;
                        hits.Add((strums[i].Step, until - strums[i].Step + 0.3, strums[i].Down ? 0.85 : 0.6, strums[i].Down ? 0 : 2));
                    }
                    break;
                case CompingRhythm.Skank:
                    for (var s = 2; s < 16; s += 4)
                    {
                        // Short skanks are choked (muted) by the fretting hand.
                        hits.Add((s, skankLength, 0.8, skankLength < 0.75 ? 1 : 0));
                        if (organBubble && random.Chance(0.5))
                            hits.Add((s + 1, 0.6, 0.55, 1));
                    }
                    break;
                case CompingRhythm.Chug:
                    var stride = sixteenthChugs ? 1 : 2;
                    for (var s = 0; s < 16; s += stride)
                    {
                        if (s % 8 == 0)
                            hits.Add((s, stride * (random.Chance(0.5) ? 4 : 2), 1, 0)); // open accent
                        else if (random.Chance(0.8))
                            hits.Add((s, stride * 0.9, 0.85, 1)); // palm-muted chug
                    }
                    for (var i = 0; i + 1 < hits.Count; i++)
                    {
                        // An open chord rings only until the next hit.
                        var (s, l, v, a) = hits[i];
                        hits[i] = (s, Math.Min(l, hits[i + 1].Item1 - s), v, a);
                    }
                    break;
                case CompingRhythm.JazzComp:
                    if (random.Chance(0.4))
                    {
                        hits.Add((0, 1.5, 0.75, 0));
                        hits.Add((6, 3, 0.7, 0)); // the Charleston
                    }
                    else
                    {
                        double[] spots = [0, 2, 6, 8, 10, 14];
                        foreach (var spot in spots)
                        {
                            if (random.Chance(0.35))
                                hits.Add((spot, random.Uniform(1.5, 5), random.Uniform(0.55, 0.85), 0));
                        }
                    }
                    break;
                case CompingRhythm.Scratch:
                    for (var s = 0; s < 16; s++)
                    {
                        if (random.Chance(s % 4 == 2 ? 0.9 : 0.65))
                            hits.Add((s, 0.7, s % 4 == 2 ? 0.85 : 0.6, s % 8 == 6 && random.Chance(0.5) ? 0 : 1));
                    }
                    break;
                default: // stabs
                    double[] candidates = [0, 2, 3, 6, 8, 10, 11, 14];
                    foreach (var c in candidates)
                    {
                        if (random.Chance(0.4))
                            hits.Add((c, random.Uniform(1, 2.5), 0.8, 0));
                    }
                    if (hits.Count == 0)
                        hits.Add((2, 2, 0.8, 0));
                    break;
            }
            return hits;
        }

        return (bar, section) =>
        {
            if (!ReferenceEquals(section, current))
            {
                current = section;
                bars = Draw();
            }
            // Most bars repeat the section's pattern; some are played afresh.
            return random.Chance(0.2) ? Draw() : bars;
        };
    }
}
