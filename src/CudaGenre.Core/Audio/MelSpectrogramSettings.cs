namespace CudaGenre.Core.Audio;

/// <summary>
/// Parameters of <see cref="MelSpectrogram.Compute"/>. The defaults are librosa's
/// (<c>librosa.feature.melspectrogram</c> followed by <c>librosa.power_to_db(S, ref=np.max)</c>, librosa ≥ 0.10),
/// because the real GTZAN spectrogram images were made with librosa:
/// <list type="bullet">
/// <item>22050 Hz audio, 2048-sample frames every 512 samples, each multiplied by a periodic Hann window of 2048
/// samples;</item>
/// <item>centred frames: the clip is padded with FftSize/2 zeros on each side, so frame t is centred on sample
/// t · HopLength and there are 1 + ⌊length / HopLength⌋ frames;</item>
/// <item>power spectrum |X|², 128 triangular mel filters from 0 Hz to SampleRate/2 on the Slaney mel scale with
/// Slaney area normalization (librosa <c>htk=False, norm='slaney'</c>);</item>
/// <item>dB = 10·log10(max(1e-10, S)) − 10·log10(max S), clipped below at −80 dB.</item>
/// </list>
/// </summary>
public sealed record MelSpectrogramSettings
{
    /// <summary>The default (librosa) settings.</summary>
    public static MelSpectrogramSettings Default { get; } = new();

    /// <summary>Sample rate in Hz the clip is resampled to first. Default 22050.</summary>
    public int SampleRate { get; init; } = 22050;

    /// <summary>FFT size and window length in samples; a power of two ≥ 16. Default 2048.</summary>
    public int FftSize { get; init; } = 2048;

    /// <summary>Samples between the starts of successive frames. Default 512.</summary>
    public int HopLength { get; init; } = 512;

    /// <summary>Number of mel bands (rows of the result). Default 128.</summary>
    public int MelCount { get; init; } = 128;

    /// <summary>Lower edge of the lowest mel filter in Hz. Default 0.</summary>
    public double FMin { get; init; }

    /// <summary>Upper edge of the highest mel filter in Hz; null (the default) means SampleRate / 2.</summary>
    public double? FMax { get; init; }

    /// <summary>Exponent applied to the magnitude spectrum: 2 (the default) gives power, 1 magnitude.</summary>
    public double Power { get; init; } = 2.0;

    /// <summary>
    /// Whether frames are centred (padded with FftSize/2 zeros on each side, librosa's default) rather than
    /// starting at sample 0. Default true.
    /// </summary>
    public bool Center { get; init; } = true;

    /// <summary>Dynamic range kept below the maximum in dB (values are clipped at −TopDb); null keeps all. Default 80.</summary>
    public double? TopDb { get; init; } = 80.0;

    /// <summary>The upper filter edge in Hz that applies: <see cref="FMax"/> or SampleRate / 2.</summary>
    public double EffectiveFMax => FMax ?? SampleRate / 2.0;

    /// <summary>FFT bins of the one-sided spectrum: FftSize / 2 + 1.</summary>
    public int BinCount => (FftSize / 2) + 1;

    /// <summary>Frames produced from a clip of <paramref name="length"/> samples (at <see cref="SampleRate"/>).</summary>
    public int FrameCount(int length) =>
        Center ? 1 + (length / HopLength) : length < FftSize ? 0 : 1 + ((length - FftSize) / HopLength);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter out of range.</summary>
    public void Validate()
    {
        if (SampleRate <= 0)
            throw new ArgumentException($"SampleRate must be positive, not {SampleRate}.");
        if (FftSize < 16 || (FftSize & (FftSize - 1)) != 0)
            throw new ArgumentException($"FftSize must be a power of two ≥ 16, not {FftSize}.");
        if (HopLength <= 0)
            throw new ArgumentException($"HopLength must be positive, not {HopLength}.");
        if (MelCount <= 0)
            throw new ArgumentException($"MelCount must be positive, not {MelCount}.");
        if (!(FMin >= 0) || !(EffectiveFMax > FMin) || EffectiveFMax > SampleRate / 2.0)
            throw new ArgumentException($"Need 0 ≤ FMin < FMax ≤ SampleRate/2; got FMin {FMin} Hz, FMax {EffectiveFMax} Hz at {SampleRate} Hz.");
        if (!(Power > 0) || double.IsInfinity(Power))
            throw new ArgumentException($"Power must be positive, not {Power}.");
        if (TopDb is { } top && !(top > 0))
            throw new ArgumentException($"TopDb must be positive or null, not {top}.");
    }
}
