namespace CudaGenre.Synthesis;

/// <summary>Families of chord progressions; each family has a few variants a clip draws from.</summary>
public enum ProgressionFamily
{
    /// <summary>The 12-bar blues: I7–IV7–I7–V7 in its usual twelve bars (quick-change and minor-blues variants).</summary>
    TwelveBarBlues,

    /// <summary>Three-chord songs on I, IV and V (country, rock and roll, folk).</summary>
    ThreeChord,

    /// <summary>I–V–vi–IV and its rotations (pop).</summary>
    PopAxis,

    /// <summary>I–vi–IV–V (fifties, doo-wop, ballads).</summary>
    DooWop,

    /// <summary>ii–V–I with turnarounds (jazz); iiø–V–i in minor.</summary>
    TwoFiveOne,

    /// <summary>Functional cadences and circle-of-fifths sequences (classical).</summary>
    Cadential,

    /// <summary>Descending minor progressions: i–VII–VI–VII, i–VI–III–VII, the Andalusian i–VII–VI–V.</summary>
    MinorDescent,

    /// <summary>One- and two-chord minor vamps: i–iv, i7–IV7 (dorian), i–VII (funk, disco, reggae, hip hop loops).</summary>
    MinorVamp,

    /// <summary>Riffs on power chords: i–VI–VII, phrygian i–II, i–IV–VI (metal, hard rock).</summary>
    PowerRiff,
}
