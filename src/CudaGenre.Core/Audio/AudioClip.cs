namespace CudaGenre.Core.Audio;

/// <summary>
/// Mono audio in memory: samples as float in [-1, 1] at <see cref="SampleRate"/> Hz. Multi-channel
/// files are mixed down to mono (mean of the channels) when read.
/// </summary>
public sealed record AudioClip(float[] Samples, int SampleRate)
{
    /// <summary>The clip's length in seconds.</summary>
    public double Seconds => (double)Samples.Length / SampleRate;
}
