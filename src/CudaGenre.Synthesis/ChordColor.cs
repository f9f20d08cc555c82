namespace CudaGenre.Synthesis;

/// <summary>How rich the chord voicings are: which chord tones beyond the root are played.</summary>
public enum ChordColor
{
    /// <summary>Root, fifth and octave only: no third (distorted guitars).</summary>
    Power,

    /// <summary>Plain major and minor triads.</summary>
    Triad,

    /// <summary>Triads with their diatonic seventh (maj7, m7, dominant 7).</summary>
    Seventh,

    /// <summary>Ninths, elevenths and thirteenths on top of the seventh (jazz, neo-soul, lo-fi hip hop).</summary>
    Extended,
}
