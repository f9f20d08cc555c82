namespace CudaGenre.Synthesis;

/// <summary>The parts of the band, as flags, so a section can say who plays in it.</summary>
[Flags]
internal enum BandPart
{
    None = 0,
    Drums = 1,
    Bass = 2,
    Comping = 4,
    SecondComping = 8,
    Lead = 16,
    All = Drums | Bass | Comping | SecondComping | Lead,
}
