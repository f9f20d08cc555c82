using CudaGenre.Core.Imaging;

namespace CudaGenre.Core.Audio;

/// <summary>Audio → spectrogram image in one call: resample, log-mel, render (the GTZAN image recipe).</summary>
public static class AudioFrontEnd
{
    /// <summary>
    /// Renders <paramref name="clip"/> as a magma mel-spectrogram image: resampled to the settings' rate,
    /// analysed by <see cref="MelSpectrogram.Compute"/>, drawn by <see cref="SpectrogramRenderer.Render"/> with the
    /// settings' TopDb as the dB range (80 dB when TopDb is null).
    /// </summary>
    /// <param name="clip">Mono audio at any sample rate.</param>
    /// <param name="width">Image width in pixels (time). Default 432.</param>
    /// <param name="height">Image height in pixels (mel bands, lowest at the bottom). Default 288.</param>
    /// <param name="settings">Analysis parameters; null means librosa's defaults (<see cref="MelSpectrogramSettings.Default"/>).</param>
    /// <param name="limits">The clip's sample rate and duration are checked against these first (default <see cref="InputLimits.Default"/>):
    /// the resampler's time and memory grow with the ratio of the rates.</param>
    /// <param name="name">What to call the clip in errors (its file).</param>
    /// <exception cref="DataFileException">The clip's sample rate or duration is outside the limits.</exception>
    public static RgbImage ToImage(AudioClip clip, int width = 432, int height = 288, MelSpectrogramSettings? settings = null, InputLimits? limits = null, string name = "the clip")
    {
        ArgumentNullException.ThrowIfNull(clip);
        limits ??= InputLimits.Default;
        limits.CheckSampleRate(name, clip.SampleRate);
        limits.CheckAudioLength(name, clip.Samples.LongLength, clip.SampleRate);
        var s = settings ?? MelSpectrogramSettings.Default;
        var spectrogram = MelSpectrogram.Compute(clip, s);
        return SpectrogramRenderer.Render(spectrogram, width, height, s.TopDb ?? 80);
    }
}
