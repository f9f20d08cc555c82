namespace CudaGenre.Synthesis;

/// <summary>How the bass player moves through the chords.</summary>
public enum BassLine
{
    /// <summary>No bass part.</summary>
    None,

    /// <summary>Long held roots, one per chord (cellos and basses under an orchestra, organ pedal).</summary>
    Sustained,

    /// <summary>Driving eighth-note roots with the odd fifth or octave (rock, metal, pop).</summary>
    RootEighths,

    /// <summary>Root on beats 1 and 3, fifth on 2 and 4, walk-ups into chord changes (country "boom-chick").</summary>
    RootFifth,

    /// <summary>Quarter-note walking line: chord tones and a chromatic approach into the next root (jazz, blues).</summary>
    Walking,

    /// <summary>Boogie shuffle figure root–third–fifth–sixth on swung eighths (blues, rock and roll).</summary>
    Boogie,

    /// <summary>Eighth notes jumping between the root and its octave (disco).</summary>
    Octaves,

    /// <summary>Sub-bass 808 notes that follow the kick, with pitch glides between them (trap, modern hip hop).</summary>
    Sub808,

    /// <summary>A deep, round, syncopated one-bar riff that leaves the downbeat empty (reggae, dub).</summary>
    Syncopated,
}
