namespace CudaGenre.Synthesis;

/// <summary>The spectrum of the background noise a clip is recorded with.</summary>
public enum NoiseColor
{
    /// <summary>Flat spectrum (hiss).</summary>
    White,

    /// <summary>−3 dB per octave (room, tape).</summary>
    Pink,

    /// <summary>−6 dB per octave (rumble, air handling).</summary>
    Brown,
}
