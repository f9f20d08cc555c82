namespace CudaGenre.Synthesis;

/// <summary>The pitch collection melodies are drawn from.</summary>
public enum MelodyScale
{
    /// <summary>The seven notes of the key (major or natural minor).</summary>
    Diatonic,

    /// <summary>Five-note pentatonic of the key's mode.</summary>
    Pentatonic,

    /// <summary>Minor pentatonic with the flat fifth ("blue note"), over any mode.</summary>
    Blues,

    /// <summary>Dorian (minor with a major sixth) or mixolydian (major with a flat seventh).</summary>
    Modal,
}
