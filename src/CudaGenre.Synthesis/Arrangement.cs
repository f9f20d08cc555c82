using CudaGenre.Core;
using CudaGenre.Synthesis.Harmony;

namespace CudaGenre.Synthesis;

/// <summary>
/// The song behind one clip: tempo grid (with swing and rubato), the key, the chord progression and the
/// sections. Musical time is counted in beats (quarter notes) from the first downbeat of bar 0; the clip
/// starts a random fraction of a bar in, as a 30-second excerpt of a song would.
/// </summary>
internal sealed class Arrangement
{
    private const double RubatoPeriodBeats = 16;
    private readonly Section[] _sectionOfBar;

    private Arrangement(ClipPlan plan, Chord[] progression, int beatsPerChord, Section[] sections, int bars, double startBeat)
    {
        Plan = plan;
        Progression = progression;
        BeatsPerChord = beatsPerChord;
        Sections = sections;
        Bars = bars;
        StartBeat = startBeat;
        _sectionOfBar = new Section[bars];
        foreach (var s in sections)
        {
            for (var b = Math.Max(0, s.FirstBar); b < Math.Min(bars, s.FirstBar + s.Bars); b++)
                _sectionOfBar[b] = s;
        }
    }

    /// <summary>Beats in a bar (all styles are in 4/4).</summary>
    public const int BeatsPerBar = 4;

    /// <summary>The clip's drawn parameters.</summary>
    public ClipPlan Plan { get; }

    /// <summary>The key.</summary>
    public Key Key => new(Plan.Tonic, Plan.IsMinor);

    /// <summary>The chords, one per <see cref="BeatsPerChord"/> beats, looping.</summary>
    public Chord[] Progression { get; }

    /// <summary>How many beats each chord lasts (harmonic rhythm).</summary>
    public int BeatsPerChord { get; }

    /// <summary>The sections in order.</summary>
    public IReadOnlyList<Section> Sections { get; }

    /// <summary>Number of bars rendered (enough to cover the clip).</summary>
    public int Bars { get; }

    /// <summary>The beat at clip time zero.</summary>
    public double StartBeat { get; }

    /// <summary>Seconds per beat at the nominal tempo.</summary>
    public double SecondsPerBeat => 60.0 / Plan.TempoBpm;

    /// <summary>The section that <paramref name="bar"/> belongs to.</summary>
    public Section SectionOf(int bar) => _sectionOfBar[Math.Clamp(bar, 0, Bars - 1)];

    /// <summary>The chord sounding at <paramref name="beat"/>.</summary>
    public Chord ChordAt(double beat)
    {
        var slot = (int)Math.Floor(beat / BeatsPerChord);
        return Progression[((slot % Progression.Length) + Progression.Length) % Progression.Length];
    }

    /// <summary>The chord that follows the one at <paramref name="beat"/>.</summary>
    public Chord NextChordAfter(double beat) => ChordAt((Math.Floor(beat / BeatsPerChord) + 1) * BeatsPerChord);

    /// <summary>Clip time in seconds of a (straight) beat position, with rubato.</summary>
    public double TimeOfBeat(double beat)
    {
        var drift = Plan.RubatoBeats * (PortableMath.Sin(2 * Math.PI * beat / RubatoPeriodBeats)
            - PortableMath.Sin(2 * Math.PI * StartBeat / RubatoPeriodBeats));
        return (beat - StartBeat + drift) * SecondsPerBeat;
    }

    /// <summary>
    /// Clip time of sixteenth <paramref name="step"/> (0–15, may run past 15 into following bars) of
    /// <paramref name="bar"/>, with swing: the off-beat eighth moves from 1/2 towards 2/3 of the beat and
    /// the sixteenths around it follow.
    /// </summary>
    public double TimeOfStep(int bar, double step) => TimeOfBeat(SwungBeat((bar * BeatsPerBar) + (step / 4.0)));

    /// <summary>A straight beat position moved by swing.</summary>
    public double SwungBeat(double beat)
    {
        var whole = Math.Floor(beat);
        var p = beat - whole;
        var offBeat = 0.5 + (Plan.Swing / 6);
        var swung = p < 0.5 ? p / 0.5 * offBeat : offBeat + ((p - 0.5) / 0.5 * (1 - offBeat));
        return whole + swung;
    }

    /// <summary>Builds the song for a plan: progression, harmonic rhythm, sections.</summary>
    public static Arrangement Compose(ClipPlan plan, SeededRandom random)
    {
        var key = new Key(plan.Tonic, plan.IsMinor);
        var progression = ChordProgressions.Build(plan.Progression, key, plan.ChordColor, random);

        // Harmonic rhythm: a chord per bar, two bars at fast tempos, half a bar for slow jazz and chorales.
        var beatsPerChord = 4;
        if (!ChordProgressions.IsBarForm(plan.Progression))
        {
            if (plan.TempoBpm > 135 && random.Chance(0.6))
                beatsPerChord = 8;
            else if (plan.TempoBpm < 100 && plan.Progression is ProgressionFamily.TwoFiveOne or ProgressionFamily.Cadential
                     && random.Chance(0.5))
                beatsPerChord = 2;
            else if (progression.Length == 2 && random.Chance(0.5))
                beatsPerChord = 8;
        }

        var startBeat = random.Uniform(0, BeatsPerBar);
        var bars = (int)Math.Ceiling((startBeat + ((plan.Seconds / (60.0 / plan.TempoBpm)) * 1.25) + 1) / BeatsPerBar) + 1;
        var sections = ComposeForm(plan, progression.Length * beatsPerChord / BeatsPerBar, bars, random);
        return new Arrangement(plan, progression, beatsPerChord, sections, bars, startBeat);
    }

    private static Section[] ComposeForm(ClipPlan plan, int progressionBars, int bars, SeededRandom random)
    {
        // Section length is a whole number of progression cycles near 8 bars (12 for a 12-bar blues).
        var cycle = Math.Max(1, progressionBars);
        var unit = cycle >= 8 ? cycle : cycle * Math.Max(1, 8 / cycle);
        SectionKind[] form =
        [
            SectionKind.Intro, SectionKind.Verse, SectionKind.Chorus, SectionKind.Verse, SectionKind.Chorus,
            SectionKind.Break, SectionKind.Bridge, SectionKind.Chorus, SectionKind.Chorus,
        ];
        var orchestration = new Dictionary<SectionKind, BandPart>();
        foreach (var kind in Enum.GetValues<SectionKind>())
            orchestration[kind] = Orchestrate(kind, random);

        var sections = new List<Section>();
        var position = random.NextInt(form.Length - 1);
        // Start part-way into a section, as an excerpt would.
        var bar = -random.NextInt(Math.Max(1, unit / 2));
        while (bar < bars)
        {
            var kind = form[position % form.Length];
            var length = kind switch
            {
                SectionKind.Intro => Math.Max(2, unit / 2),
                SectionKind.Break => random.Chance(0.5) ? 2 : Math.Max(2, unit / 2),
                _ => unit,
            };
            var intensity = kind switch
            {
                SectionKind.Chorus => 1.0,
                SectionKind.Verse => 0.85,
                SectionKind.Bridge => 0.85,
                SectionKind.Break => 0.75,
                _ => 0.7,
            } * random.Uniform(0.9, 1.05);
            var parts = orchestration[kind] & plan.Parts;
            // A section needs something to play beyond the bass (e.g. a drum break in a band without drums).
            if ((parts & ~BandPart.Bass) == BandPart.None)
                parts = plan.Parts;
            sections.Add(new Section(kind, bar, length, Math.Min(1, intensity), parts));
            bar += length;
            position++;
        }
        return [.. sections];
    }

    private static BandPart Orchestrate(SectionKind kind, SeededRandom random)
    {
        var parts = BandPart.All;
        switch (kind)
        {
            case SectionKind.Intro:
                if (random.Chance(0.5))
                    parts &= ~BandPart.Drums;
                if (random.Chance(0.4))
                    parts &= ~BandPart.Bass;
                if (random.Chance(0.8))
                    parts &= ~BandPart.Lead;
                break;
            case SectionKind.Verse:
                if (random.Chance(0.5))
                    parts &= ~BandPart.SecondComping;
                break;
            case SectionKind.Break:
                // Either a drum break (rhythm section only) or a drop (the drums stop).
                parts = random.Chance(0.5)
                    ? BandPart.Drums | (random.Chance(0.5) ? BandPart.Bass : BandPart.None)
                    : BandPart.All & ~BandPart.Drums & ~(random.Chance(0.5) ? BandPart.Lead : BandPart.None);
                break;
            case SectionKind.Bridge:
                if (random.Chance(0.4))
                    parts &= ~BandPart.Lead;
                break;
            default:
                break;
        }
        return parts;
    }
}
