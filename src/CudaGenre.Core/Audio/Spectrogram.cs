namespace CudaGenre.Core.Audio;

/// <summary>
/// A mel spectrogram in dB: <see cref="MelCount"/> × <see cref="Frames"/> floats, row-major by mel band
/// (value of band b at frame t at index b · Frames + t), band 0 the lowest frequency, frame 0 the earliest.
/// From <see cref="MelSpectrogram.Compute"/> the values are relative to the clip's maximum: the largest is 0 dB
/// and none is below −TopDb.
/// </summary>
public sealed class Spectrogram
{
    private readonly float[] _values;

    /// <summary>Wraps <paramref name="values"/> (length melCount × frames, row-major by band; not copied).</summary>
    /// <param name="melCount">Number of mel bands (rows), ≥ 1.</param>
    /// <param name="frames">Number of time frames (columns), ≥ 1.</param>
    /// <param name="values">The dB values, band-major.</param>
    public Spectrogram(int melCount, int frames, float[] values)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(melCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frames);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != (long)melCount * frames)
            throw new ArgumentException($"Expected {(long)melCount * frames} values for {melCount} bands × {frames} frames, got {values.Length}.", nameof(values));
        MelCount = melCount;
        Frames = frames;
        _values = values;
    }

    /// <summary>Number of mel bands (rows); band 0 is the lowest frequency.</summary>
    public int MelCount { get; }

    /// <summary>Number of time frames (columns).</summary>
    public int Frames { get; }

    /// <summary>All values in dB, row-major by band (index b · Frames + t).</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>The value in dB of mel band <paramref name="band"/> at frame <paramref name="frame"/>.</summary>
    public float this[int band, int frame]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)band, (uint)MelCount, nameof(band));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)frame, (uint)Frames, nameof(frame));
            return _values[(band * Frames) + frame];
        }
    }

    /// <summary>One mel band over time (<see cref="Frames"/> values).</summary>
    public ReadOnlySpan<float> Band(int band)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)band, (uint)MelCount, nameof(band));
        return _values.AsSpan(band * Frames, Frames);
    }
}
