namespace CudaGenre.Core;

/// <summary>
/// Limits on what a file or a caller may ask of the process, checked before anything is allocated, so that a
/// small crafted file (a PNG that declares 65536×16385 pixels, a WAV that declares 400 MHz) fails with a clear
/// error instead of exhausting memory or time. Every default fits GTZAN many times over; raise one where a
/// real input needs it. An input over a limit raises <see cref="DataFileException"/> (files) or
/// <see cref="ArgumentException"/> (arguments), naming the file, the value and the limit.
/// </summary>
public sealed record InputLimits
{
    /// <summary>The defaults below.</summary>
    public static InputLimits Default { get; } = new();

    /// <summary>Widest image decoded, in pixels; default 16384.</summary>
    public int MaxImageWidth { get; init; } = 16384;

    /// <summary>Tallest image decoded, in pixels; default 16384.</summary>
    public int MaxImageHeight { get; init; } = 16384;

    /// <summary>
    /// Most pixels in one decoded image; default 2^25 = 33,554,432 (e.g. 8192×4096). Decoding holds 4 + 3 bytes
    /// per pixel, so at most 235 MB per image.
    /// </summary>
    public long MaxImagePixels { get; init; } = 1L << 25;

    /// <summary>Lowest sample rate of an audio file, in Hz; default 1000.</summary>
    public int MinSampleRate { get; init; } = 1000;

    /// <summary>Highest sample rate of an audio file, in Hz; default 192000 (the highest common studio rate).</summary>
    public int MaxSampleRate { get; init; } = 192_000;

    /// <summary>
    /// Longest audio clip, in seconds; default 600 (10 minutes; GTZAN clips are 30 s). With the default rates a clip
    /// takes at most 600 s × 192 kHz × 4 bytes = 461 MB as samples, about twice that while it is resampled.
    /// </summary>
    public double MaxAudioSeconds { get; init; } = 600;

    /// <summary>Most floats in one input item of a model (C·H·W); default 2^26 = 67,108,864 (e.g. 3×4096×4096 is under it).</summary>
    public long MaxModelInputLength { get; init; } = 1L << 26;

    /// <summary>Largest batch one <c>Run</c> may ask for; default 4096.</summary>
    public int MaxBatchSize { get; init; } = 4096;

    /// <summary>Most CPU threads per <c>Run</c>; default 256.</summary>
    public int MaxThreads { get; init; } = 256;

    /// <summary>Most member models in one ensemble manifest; default 16 (each member is a whole model in memory).</summary>
    public int MaxEnsembleMembers { get; init; } = 16;

    /// <summary>Largest ensemble manifest (JSON) read, in bytes; default 1 MiB (a manifest of 16 members is well under 4 KiB).</summary>
    public long MaxEnsembleManifestBytes { get; init; } = 1 << 20;

    /// <summary>Throws unless every limit is positive (a zero limit would refuse everything, silently).</summary>
    public InputLimits Validate()
    {
        if (MaxImageWidth < 1 || MaxImageHeight < 1 || MaxImagePixels < 1 || MinSampleRate < 1 || MaxSampleRate < MinSampleRate
            || !(MaxAudioSeconds > 0) || MaxModelInputLength < 1 || MaxBatchSize < 1 || MaxThreads < 1
            || MaxEnsembleMembers < 1 || MaxEnsembleManifestBytes < 1)
        {
            throw new ArgumentException($"every limit must be positive and MinSampleRate ≤ MaxSampleRate: {this}");
        }
        return this;
    }

    /// <summary>Checks a declared image size against the limits (before any pixel memory is allocated).</summary>
    /// <exception cref="DataFileException">The size is empty or over a limit; the message names the file, the size and the limit.</exception>
    public void CheckImageSize(string name, long width, long height)
    {
        if (width <= 0 || height <= 0)
            throw new DataFileException(name, $"the image declares an empty or negative size {width}×{height}");
        if (width > MaxImageWidth)
            throw new DataFileException(name, $"the image is {width}×{height} pixels: its width {width} is over the limit of {MaxImageWidth} (InputLimits.MaxImageWidth)");
        if (height > MaxImageHeight)
            throw new DataFileException(name, $"the image is {width}×{height} pixels: its height {height} is over the limit of {MaxImageHeight} (InputLimits.MaxImageHeight)");
        var pixels = SizeMath.Multiply(width, height);
        if (pixels > MaxImagePixels)
            throw new DataFileException(name, $"the image is {width}×{height} = {pixels} pixels, over the limit of {MaxImagePixels} (InputLimits.MaxImagePixels)");
    }

    /// <summary>Checks an audio file's sample rate against the limits.</summary>
    /// <exception cref="DataFileException">The rate is outside [<see cref="MinSampleRate"/>, <see cref="MaxSampleRate"/>].</exception>
    public void CheckSampleRate(string name, long sampleRate)
    {
        if (sampleRate < MinSampleRate || sampleRate > MaxSampleRate)
            throw new DataFileException(name, $"sample rate {sampleRate} Hz is outside the supported range {MinSampleRate}–{MaxSampleRate} Hz (InputLimits.MinSampleRate/MaxSampleRate)");
    }

    /// <summary>Checks an audio clip's length (frames at a sample rate) against <see cref="MaxAudioSeconds"/>.</summary>
    /// <exception cref="DataFileException">The clip is longer than the limit.</exception>
    public void CheckAudioLength(string name, long frames, long sampleRate)
    {
        var seconds = (double)frames / sampleRate;
        if (seconds > MaxAudioSeconds)
            throw new DataFileException(name, $"the audio is {seconds:F1} s long ({frames} frames at {sampleRate} Hz), over the limit of {MaxAudioSeconds} s (InputLimits.MaxAudioSeconds)");
    }
}
