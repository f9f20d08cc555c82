using CudaGenre.Core;
using CudaGenre.Synthesis.Harmony;

namespace CudaGenre.Synthesis;

/// <summary>
/// Everything drawn from a <see cref="GenreStyle"/> for one clip: tempo, key, groove, band, levels,
/// recording and mastering. Deterministic for (genre, seed); <see cref="GenreSynthesizer.Plan"/> gives it
/// without rendering, e.g. to write beside the audio as metadata.
/// </summary>
public sealed record ClipPlan
{
    /// <summary>Genre label (0–9).</summary>
    public required int Genre { get; init; }

    /// <summary>The seed the clip was drawn from.</summary>
    public required ulong Seed { get; init; }

    /// <summary>Clip length, seconds.</summary>
    public required double Seconds { get; init; }

    /// <summary>Sample rate, Hz.</summary>
    public required int SampleRate { get; init; }

    /// <summary>Tempo, quarter notes per minute.</summary>
    public required double TempoBpm { get; init; }

    /// <summary>Swing, 0 (straight) to 1 (triplet).</summary>
    public required double Swing { get; init; }

    /// <summary>Amplitude of slow tempo drift, beats.</summary>
    public required double RubatoBeats { get; init; }

    /// <summary>Tonic pitch class, 0 = C … 11 = B.</summary>
    public required int Tonic { get; init; }

    /// <summary>Whether the key is minor.</summary>
    public required bool IsMinor { get; init; }

    /// <summary>Tuning offset from A = 440 Hz, in semitones (old records and instruments drift).</summary>
    public required double TuningSemitones { get; init; }

    /// <summary>The chord progression family.</summary>
    public required ProgressionFamily Progression { get; init; }

    /// <summary>How rich the chords are.</summary>
    public required ChordColor ChordColor { get; init; }

    /// <summary>MIDI pitch the chord voicings centre on.</summary>
    public required double ChordRegister { get; init; }

    /// <summary>The drum groove (<see cref="DrumGrooves.None"/> when there are no drums).</summary>
    public required DrumGroove Groove { get; init; }

    /// <summary>The bass line style (<see cref="BassLine.None"/> when there is no bass).</summary>
    public required BassLine BassLine { get; init; }

    /// <summary>The comping layers, first one leading (may be empty when comping dropped out).</summary>
    public required IReadOnlyList<CompingChoice> Comping { get; init; }

    /// <summary>The melody instrument, or null for none.</summary>
    public required LeadInstrument? Lead { get; init; }

    /// <summary>The melody's scale.</summary>
    public required MelodyScale Scale { get; init; }

    /// <summary>Chance of a melody note per eighth.</summary>
    public required double LeadDensity { get; init; }

    /// <summary>MIDI pitch the melody centres on.</summary>
    public required double LeadRegister { get; init; }

    /// <summary>Drum, bass, comping (per layer) and lead levels, dB.</summary>
    public required double DrumsDb { get; init; }

    /// <inheritdoc cref="DrumsDb"/>
    public required double BassDb { get; init; }

    /// <inheritdoc cref="DrumsDb"/>
    public required IReadOnlyList<double> CompingDb { get; init; }

    /// <inheritdoc cref="DrumsDb"/>
    public required double LeadDb { get; init; }

    /// <summary>Bass tone, 0–1.</summary>
    public required double BassBrightness { get; init; }

    /// <summary>Tone of pitched instruments, 0–1.</summary>
    public required double Brightness { get; init; }

    /// <summary>Guitar distortion and vocal grit, 0–1.</summary>
    public required double Drive { get; init; }

    /// <summary>Chance of a fill at the end of a section.</summary>
    public required double FillProbability { get; init; }

    /// <summary>Chance of a crash at the start of a section.</summary>
    public required double CrashProbability { get; init; }

    /// <summary>Reverb send, 0–1.</summary>
    public required double ReverbWet { get; init; }

    /// <summary>Reverb decay to −60 dB, seconds.</summary>
    public required double ReverbSeconds { get; init; }

    /// <summary>Background noise colour.</summary>
    public required NoiseColor NoiseColor { get; init; }

    /// <summary>Signal-to-noise ratio, dB.</summary>
    public required double NoiseSnrDb { get; init; }

    /// <summary>Whether the clip has vinyl crackle.</summary>
    public required bool Crackle { get; init; }

    /// <summary>Master low-pass corner, Hz (none when at or above 10 kHz).</summary>
    public required double LowpassHz { get; init; }

    /// <summary>Master high-pass corner, Hz.</summary>
    public required double HighpassHz { get; init; }

    /// <summary>Master high-shelf gain above 6 kHz, dB.</summary>
    public required double AirDb { get; init; }

    /// <summary>Mastering compression, 0–1.</summary>
    public required double Compression { get; init; }

    /// <summary>Depth of slow swells, dB.</summary>
    public required double SwellDb { get; init; }

    /// <summary>Peak level the finished clip is normalized to (per-clip loudness variation), 0.5–0.98.</summary>
    public required double PeakLevel { get; init; }

    /// <summary>The parts present in the clip after dropout.</summary>
    internal BandPart Parts
    {
        get
        {
            var parts = BandPart.None;
            if (!Groove.IsSilent)
                parts |= BandPart.Drums;
            if (BassLine != BassLine.None)
                parts |= BandPart.Bass;
            if (Comping.Count > 0)
                parts |= BandPart.Comping;
            if (Comping.Count > 1)
                parts |= BandPart.SecondComping;
            if (Lead is not null)
                parts |= BandPart.Lead;
            return parts;
        }
    }

    /// <summary>Draws a clip's parameters from <paramref name="style"/>.</summary>
    internal static ClipPlan Draw(GenreStyle style, int genre, ulong seed, double seconds, int sampleRate, SeededRandom random)
    {
        var progression = style.Progressions.Draw(random);
        var isMinor = ChordProgressions.IsAlwaysMinor(progression) || random.Chance(style.MinorProbability);
        var groove = style.Grooves.Draw(random);
        var bass = style.BassLines.Draw(random);
        var comping = style.Comping.DrawDistinct(random, style.CompingLayers.Draw(random)).ToList();
        LeadInstrument? lead = random.Chance(style.LeadProbability) ? style.Leads.Draw(random) : null;

        // Occasional dropout: a part sits the whole clip out, but something harmonic always remains.
        if (bass != BassLine.None && random.Chance(style.DropoutProbability))
            bass = BassLine.None;
        if (lead is not null && random.Chance(style.DropoutProbability))
            lead = null;
        if (comping.Count > 1 && random.Chance(style.DropoutProbability * 2))
            comping.RemoveAt(0);
        if (comping.Count > 0 && lead is not null && random.Chance(style.DropoutProbability))
            comping.Clear();

        return new ClipPlan
        {
            Genre = genre,
            Seed = seed,
            Seconds = seconds,
            SampleRate = sampleRate,
            TempoBpm = style.TempoBpm.Draw(random),
            Swing = style.Swing.Draw(random),
            RubatoBeats = style.Rubato.Draw(random),
            Tonic = random.NextInt(12),
            IsMinor = isMinor,
            TuningSemitones = random.Chance(0.3) ? random.Uniform(-0.5, 0.5) : random.Uniform(-0.08, 0.08),
            Progression = progression,
            ChordColor = style.ChordColors.Draw(random),
            ChordRegister = style.ChordRegister.Draw(random),
            Groove = groove,
            BassLine = bass,
            Comping = comping,
            Lead = lead,
            Scale = style.Scales.Draw(random),
            LeadDensity = style.LeadDensity.Draw(random),
            LeadRegister = style.LeadRegister.Draw(random),
            DrumsDb = style.DrumsDb.Draw(random),
            BassDb = style.BassDb.Draw(random),
            CompingDb = [.. comping.Select((_, i) => style.CompingDb.Draw(random) - (3.0 * i))],
            LeadDb = style.LeadDb.Draw(random),
            BassBrightness = style.BassBrightness.Draw(random),
            Brightness = style.Brightness.Draw(random),
            Drive = style.Drive.Draw(random),
            FillProbability = style.FillProbability,
            CrashProbability = style.CrashProbability,
            ReverbWet = style.ReverbWet.Draw(random),
            ReverbSeconds = style.ReverbSeconds.Draw(random),
            NoiseColor = (NoiseColor)random.NextInt(3),
            NoiseSnrDb = style.NoiseSnrDb.Draw(random),
            Crackle = random.Chance(style.CrackleProbability),
            LowpassHz = style.LowpassHz.Draw(random),
            HighpassHz = style.HighpassHz.Draw(random),
            AirDb = style.AirDb.Draw(random),
            Compression = style.Compression.Draw(random),
            SwellDb = style.SwellDb.Draw(random),
            PeakLevel = random.Uniform(0.5, 0.98),
        };
    }
}
