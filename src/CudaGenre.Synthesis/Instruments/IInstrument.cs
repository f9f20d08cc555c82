namespace CudaGenre.Synthesis.Instruments;

/// <summary>Something that renders notes into a track buffer (mono, the clip's sample rate).</summary>
internal interface IInstrument
{
    /// <summary>Adds <paramref name="note"/> into <paramref name="track"/>; parts outside the buffer are dropped.</summary>
    void Play(in Note note, float[] track);

    /// <summary>Track-wide processing once all notes are in (distortion, body resonance). Default: none.</summary>
    void Finish(float[] track)
    {
    }
}
