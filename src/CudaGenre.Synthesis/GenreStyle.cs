namespace CudaGenre.Synthesis;

/// <summary>
/// What one genre sounds like, as distributions a clip's parameters are drawn from: tempo and feel,
/// drums, bass, harmony, comping, melody, space and mastering. The ten styles live in one table,
/// <see cref="GenreStyles"/>. Levels are in dB relative to a track whose RMS is 1 before mixing.
/// </summary>
public sealed record GenreStyle
{
    /// <summary>The genre's name, as in <see cref="Core.Genres.Names"/>.</summary>
    public required string Genre { get; init; }

    // ── Time ──────────────────────────────────────────────────────────────────────────────────

    /// <summary>Tempo in quarter notes per minute.</summary>
    public required ValueRange TempoBpm { get; init; }

    /// <summary>Swing: 0 is straight eighths, 1 is full triplet swing (the off-beat at 2/3 of the beat).</summary>
    public required ValueRange Swing { get; init; }

    /// <summary>Rubato: amplitude, in beats, of slow tempo drift (0 for a click-steady band).</summary>
    public ValueRange Rubato { get; init; } = ValueRange.Fixed(0);

    // ── Drums ─────────────────────────────────────────────────────────────────────────────────

    /// <summary>Which groove the drummer plays (<see cref="DrumGrooves.None"/> for no drums).</summary>
    public required WeightedChoice<DrumGroove> Grooves { get; init; }

    /// <summary>How the kit sounds.</summary>
    public required DrumKitStyle Kit { get; init; }

    /// <summary>Drum track level, dB.</summary>
    public required ValueRange DrumsDb { get; init; }

    /// <summary>Chance of a fill in the last bar of a section.</summary>
    public required double FillProbability { get; init; }

    /// <summary>Chance of a crash cymbal on the first beat of a section.</summary>
    public required double CrashProbability { get; init; }

    // ── Bass ──────────────────────────────────────────────────────────────────────────────────

    /// <summary>How the bass moves.</summary>
    public required WeightedChoice<BassLine> BassLines { get; init; }

    /// <summary>Bass track level, dB.</summary>
    public required ValueRange BassDb { get; init; }

    /// <summary>Bass tone, 0 (round, sub) to 1 (bright, picked).</summary>
    public required ValueRange BassBrightness { get; init; }

    // ── Harmony ───────────────────────────────────────────────────────────────────────────────

    /// <summary>Chance the clip is in a minor key (progression families that are minor by nature override it).</summary>
    public required double MinorProbability { get; init; }

    /// <summary>Which chord progression family the song uses.</summary>
    public required WeightedChoice<ProgressionFamily> Progressions { get; init; }

    /// <summary>How rich the voicings are.</summary>
    public required WeightedChoice<ChordColor> ChordColors { get; init; }

    /// <summary>MIDI pitch the chord voicings centre on (register: metal low, pop mid).</summary>
    public required ValueRange ChordRegister { get; init; }

    // ── Comping ───────────────────────────────────────────────────────────────────────────────

    /// <summary>Who plays the chords, and how.</summary>
    public required WeightedChoice<CompingChoice> Comping { get; init; }

    /// <summary>How many comping layers play together (drawn without repeating a choice).</summary>
    public required WeightedChoice<int> CompingLayers { get; init; }

    /// <summary>Comping track level (each layer), dB.</summary>
    public required ValueRange CompingDb { get; init; }

    /// <summary>Tone of the pitched instruments, 0 (dark, soft) to 1 (bright, many harmonics).</summary>
    public required ValueRange Brightness { get; init; }

    /// <summary>Distortion of guitars and grit of the singer, 0 (clean) to 1 (high-gain metal).</summary>
    public required ValueRange Drive { get; init; }

    // ── Melody ────────────────────────────────────────────────────────────────────────────────

    /// <summary>Chance the clip has a melody at all.</summary>
    public required double LeadProbability { get; init; }

    /// <summary>Who sings or plays the melody.</summary>
    public required WeightedChoice<LeadInstrument> Leads { get; init; }

    /// <summary>Which scale melodies use.</summary>
    public required WeightedChoice<MelodyScale> Scales { get; init; }

    /// <summary>Chance of a new melody note on each eighth (0.9 is a busy bebop or rap line).</summary>
    public required ValueRange LeadDensity { get; init; }

    /// <summary>Melody track level, dB.</summary>
    public required ValueRange LeadDb { get; init; }

    /// <summary>MIDI pitch the melody centres on.</summary>
    public required ValueRange LeadRegister { get; init; }

    // ── Space, recording and mastering ────────────────────────────────────────────────────────

    /// <summary>Reverb send, 0 (dry) to 1 (all reverb).</summary>
    public required ValueRange ReverbWet { get; init; }

    /// <summary>Reverb decay time to −60 dB, seconds.</summary>
    public required ValueRange ReverbSeconds { get; init; }

    /// <summary>Signal-to-noise ratio of the background noise, dB (old recordings: low).</summary>
    public required ValueRange NoiseSnrDb { get; init; }

    /// <summary>Chance of vinyl crackle.</summary>
    public required double CrackleProbability { get; init; }

    /// <summary>Recording bandwidth: the master low-pass corner, Hz (above 10 kHz: none).</summary>
    public required ValueRange LowpassHz { get; init; }

    /// <summary>The master high-pass corner, Hz (old recordings lose the low end).</summary>
    public required ValueRange HighpassHz { get; init; }

    /// <summary>"Air": master high-shelf gain above 6 kHz, dB (modern pop productions are bright, old records dull).</summary>
    public required ValueRange AirDb { get; init; }

    /// <summary>Mastering compression and saturation, 0 (none, wide dynamics) to 1 (brick-wall loud).</summary>
    public required ValueRange Compression { get; init; }

    /// <summary>Depth of slow crescendos and diminuendos over the clip, dB.</summary>
    public required ValueRange SwellDb { get; init; }

    /// <summary>Chance that each of bass, comping and melody sits the whole clip out.</summary>
    public required double DropoutProbability { get; init; }
}
