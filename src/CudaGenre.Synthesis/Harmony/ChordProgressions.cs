using CudaGenre.Core;

namespace CudaGenre.Synthesis.Harmony;

/// <summary>Turns a progression family into the chords of one clip: a variant, a key, a colour.</summary>
internal static class ChordProgressions
{
    /// <summary>A scale degree: semitones above the tonic, its triad, and the seventh chord it becomes.</summary>
    private readonly record struct Degree(int Offset, ChordQuality Triad, ChordQuality Seventh);

    // Major-key degrees.
    private static readonly Degree I = new(0, ChordQuality.Major, ChordQuality.Major7);
    private static readonly Degree ii = new(2, ChordQuality.Minor, ChordQuality.Minor7);
    private static readonly Degree iii = new(4, ChordQuality.Minor, ChordQuality.Minor7);
    private static readonly Degree IV = new(5, ChordQuality.Major, ChordQuality.Major7);
    private static readonly Degree V = new(7, ChordQuality.Major, ChordQuality.Dominant7);
    private static readonly Degree vi = new(9, ChordQuality.Minor, ChordQuality.Minor7);
    private static readonly Degree viiDim = new(11, ChordQuality.Diminished, ChordQuality.HalfDiminished7);
    private static readonly Degree bVII = new(10, ChordQuality.Major, ChordQuality.Dominant7);

    // Blues degrees: every chord is a dominant seventh.
    private static readonly Degree I7 = new(0, ChordQuality.Major, ChordQuality.Dominant7);
    private static readonly Degree IV7 = new(5, ChordQuality.Major, ChordQuality.Dominant7);
    private static readonly Degree V7 = new(7, ChordQuality.Major, ChordQuality.Dominant7);

    // Minor-key degrees.
    private static readonly Degree i = new(0, ChordQuality.Minor, ChordQuality.Minor7);
    private static readonly Degree bII = new(1, ChordQuality.Major, ChordQuality.Major7);
    private static readonly Degree iiHalfDim = new(2, ChordQuality.Diminished, ChordQuality.HalfDiminished7);
    private static readonly Degree III = new(3, ChordQuality.Major, ChordQuality.Major7);
    private static readonly Degree iv = new(5, ChordQuality.Minor, ChordQuality.Minor7);
    private static readonly Degree IVDorian = new(5, ChordQuality.Major, ChordQuality.Dominant7);
    private static readonly Degree v = new(7, ChordQuality.Minor, ChordQuality.Minor7);
    private static readonly Degree VI = new(8, ChordQuality.Major, ChordQuality.Major7);
    private static readonly Degree VII = new(10, ChordQuality.Major, ChordQuality.Dominant7);
    private static readonly Degree VI7 = new(8, ChordQuality.Major, ChordQuality.Dominant7);

    /// <summary>Whether a family is minor whatever the style's minor probability says.</summary>
    public static bool IsAlwaysMinor(ProgressionFamily family)
        => family is ProgressionFamily.MinorDescent or ProgressionFamily.MinorVamp or ProgressionFamily.PowerRiff;

    /// <summary>Whether the family's chords each last exactly one bar (the 12-bar form).</summary>
    public static bool IsBarForm(ProgressionFamily family) => family == ProgressionFamily.TwelveBarBlues;

    /// <summary>Draws a variant of <paramref name="family"/> and spells it in <paramref name="key"/> with <paramref name="color"/>.</summary>
    public static Chord[] Build(ProgressionFamily family, Key key, ChordColor color, SeededRandom random)
    {
        var variants = Variants(family, key.IsMinor);
        var degrees = variants[random.NextInt(variants.Length)];
        return [.. degrees.Select(d => new Chord(key.PitchClass(d.Offset), Colour(d, color)))];
    }

    private static ChordQuality Colour(Degree degree, ChordColor color) => color switch
    {
        ChordColor.Power => ChordQuality.Power,
        ChordColor.Triad => degree.Triad,
        ChordColor.Seventh => degree.Seventh,
        _ => degree.Seventh switch
        {
            ChordQuality.Major7 => ChordQuality.Major9,
            ChordQuality.Minor7 => ChordQuality.Minor9,
            ChordQuality.Dominant7 => degree.Offset == 7 ? ChordQuality.Dominant13 : ChordQuality.Dominant9,
            var other => other,
        },
    };

    private static Degree[][] Variants(ProgressionFamily family, bool minor) => (family, minor) switch
    {
        (ProgressionFamily.TwelveBarBlues, false) =>
        [
            [I7, I7, I7, I7, IV7, IV7, I7, I7, V7, IV7, I7, V7],
            [I7, IV7, I7, I7, IV7, IV7, I7, I7, V7, IV7, I7, V7],
            [I7, IV7, I7, I7, IV7, IV7, I7, I7, V7, V7, I7, I7],
        ],
        (ProgressionFamily.TwelveBarBlues, true) =>
        [
            [i, i, i, i, iv, iv, i, i, VI7, V7, i, V7],
            [i, iv, i, i, iv, iv, i, i, VI7, V7, i, i],
        ],
        (ProgressionFamily.ThreeChord, false) => [[I, IV, V, IV], [I, IV, I, V], [I, V, IV, I], [I, I, IV, V], [I, bVII, IV, I]],
        (ProgressionFamily.ThreeChord, true) => [[i, iv, v, iv], [i, iv, VII, i], [i, iv, i, V]],
        (ProgressionFamily.PopAxis, false) => [[I, V, vi, IV], [vi, IV, I, V], [IV, I, V, vi], [I, vi, IV, V]],
        (ProgressionFamily.PopAxis, true) => [[i, VI, III, VII], [VI, VII, i, i], [i, VII, VI, VII]],
        (ProgressionFamily.DooWop, false) => [[I, vi, IV, V], [I, vi, ii, V]],
        (ProgressionFamily.DooWop, true) => [[i, VI, iv, V], [i, VI, III, VII]],
        (ProgressionFamily.TwoFiveOne, false) => [[ii, V, I, I], [I, vi, ii, V], [iii, vi, ii, V], [ii, V, I, IV]],
        (ProgressionFamily.TwoFiveOne, true) => [[iiHalfDim, V, i, i], [i, iv, iiHalfDim, V], [i, VI, iiHalfDim, V]],
        (ProgressionFamily.Cadential, false) => [[I, IV, V, I], [I, vi, ii, V], [I, IV, I, V], [I, IV, viiDim, iii, vi, ii, V, I]],
        (ProgressionFamily.Cadential, true) => [[i, iv, V, i], [i, VI, iv, V], [i, iv, VII, III, VI, iiHalfDim, V, i]],
        (ProgressionFamily.MinorDescent, _) => [[i, VII, VI, VII], [i, VI, III, VII], [i, VII, VI, V], [i, iv, VI, V]],
        (ProgressionFamily.MinorVamp, _) => [[i, iv], [i, IVDorian], [i, VII], [i, i, i, VI], [i, v]],
        (ProgressionFamily.PowerRiff, _) => [[i, VI, VII, i], [i, bII, i, i], [i, i, VI, VII], [i, III, iv, VI], [i, VII, VI, VII]],
        _ => [[I, IV, V, I]],
    };
}
