namespace CudaGenre.Synthesis;

/// <summary>The instrument or voice that carries the melody.</summary>
public enum LeadInstrument
{
    /// <summary>A sung line: vowel formants, vibrato on long notes.</summary>
    Singer,

    /// <summary>Rapped delivery: dense short syllables, speech-like pitch, consonant noise.</summary>
    Rapper,

    /// <summary>Breathy reed with a nasal formant (saxophone).</summary>
    Saxophone,

    /// <summary>Bright brass lead (trumpet).</summary>
    Trumpet,

    /// <summary>Near-sine, airy (flute).</summary>
    Flute,

    /// <summary>Bowed solo string with vibrato (violin, fiddle).</summary>
    Violin,

    /// <summary>Reedy blues harp.</summary>
    Harmonica,

    /// <summary>Overdriven single-note guitar with bends.</summary>
    LeadGuitar,

    /// <summary>Bright, twangy plucked single notes (country picking).</summary>
    TwangGuitar,

    /// <summary>Sawtooth synthesizer lead.</summary>
    SynthLead,

    /// <summary>Right-hand piano melody.</summary>
    Piano,
}
