namespace CudaGenre.Synthesis;

/// <summary>The role of a stretch of bars in the song's form.</summary>
internal enum SectionKind
{
    Intro,
    Verse,
    Chorus,
    Bridge,
    Break,
}

/// <summary>
/// A section of the song: where it starts, how long it is, how hard the band plays (0–1) and who plays.
/// </summary>
internal sealed record Section(SectionKind Kind, int FirstBar, int Bars, double Intensity, BandPart Parts)
{
    /// <summary>Whether <paramref name="part"/> plays in this section.</summary>
    public bool Has(BandPart part) => (Parts & part) != 0;

    /// <summary>Whether <paramref name="bar"/> is the section's last bar (where fills go).</summary>
    public bool IsLastBar(int bar) => bar == FirstBar + Bars - 1;
}
