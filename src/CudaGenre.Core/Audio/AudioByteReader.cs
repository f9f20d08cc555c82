namespace CudaGenre.Core.Audio;

/// <summary>
/// A seekable stream holding one audio file, with the checks every container reader needs: exact reads that
/// name what was cut off, and the sample data read against the size its header declares.
/// </summary>
internal sealed class AudioByteReader(Stream stream, string name, InputLimits limits)
{
    /// <summary>What the file may declare (sample rate, duration).</summary>
    public InputLimits Limits { get; } = limits;

    /// <summary>Bytes decoded per block: large enough to be fast, small enough to stay in cache.</summary>
    private const int BlockBytes = 1 << 16;

    /// <summary>The file name used in error messages.</summary>
    public string Name { get; } = name;

    /// <summary>Bytes left from the current position to the end.</summary>
    public long Remaining => Math.Max(0, stream.Length - stream.Position);

    /// <summary>Creates the exception for this file.</summary>
    public DataFileException Fail(string problem) => new(Name, problem);

    /// <summary>Reads as many bytes as are there, up to <paramref name="buffer"/>'s length; returns the count.</summary>
    public int ReadUpTo(Span<byte> buffer) => stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);

    /// <summary>
    /// Reads exactly <paramref name="buffer"/>.Length bytes or fails, saying the file ends inside
    /// <paramref name="what"/>, of which <paramref name="alreadyRead"/> bytes were read before (the magic).
    /// </summary>
    public void ReadExactly(Span<byte> buffer, string what, int alreadyRead)
    {
        var got = ReadUpTo(buffer);
        if (got < buffer.Length)
            throw Fail($"truncated: the file ends inside {what} ({alreadyRead + got} of {alreadyRead + buffer.Length} bytes)");
    }

    /// <summary>Skips <paramref name="count"/> bytes; returns false (and stops at the end) if fewer are left.</summary>
    public bool Skip(long count)
    {
        if (count > Remaining)
        {
            stream.Seek(0, SeekOrigin.End);
            return false;
        }

        stream.Seek(count, SeekOrigin.Current);
        return true;
    }

    /// <summary>
    /// Reads <paramref name="dataBytes"/> bytes of interleaved samples (null: everything up to the end of the file)
    /// and mixes them to mono. A trailing partial frame is ignored. Fails if fewer bytes follow than declared, if
    /// there is no whole frame, or if a float sample is not finite.
    /// </summary>
    /// <param name="dataBytes">Declared size of the sample data, or null when the header leaves it open.</param>
    /// <param name="format">Encoding of one sample.</param>
    /// <param name="bigEndian">Byte order of multi-byte samples.</param>
    /// <param name="channels">Interleaved channels per frame (≥ 1).</param>
    /// <param name="what">How the error messages name the data ("the data chunk").</param>
    /// <param name="sampleRate">Frames per second, for the duration limit (checked before the samples are allocated).</param>
    public float[] ReadMonoFrames(long? dataBytes, SampleFormat format, bool bigEndian, int channels, string what, int sampleRate)
    {
        var remaining = Remaining;
        var size = dataBytes ?? remaining;
        if (size > remaining)
            throw Fail($"truncated: {what} declares {size} bytes but only {remaining} follow");

        var frameBytes = (long)SampleDecoder.BytesPerSample(format) * channels;
        var frames = size / frameBytes;
        if (frames == 0)
            throw Fail($"no audio: {what} holds {size} bytes, less than one {frameBytes}-byte frame");
        Limits.CheckAudioLength(Name, frames, sampleRate);
        if (frames > Array.MaxLength)
            throw Fail($"too long: {frames} frames, more than the {Array.MaxLength} one clip can hold");

        var samples = new float[frames];
        var framesPerBlock = (int)Math.Max(1, BlockBytes / frameBytes);
        var block = new byte[framesPerBlock * frameBytes];
        for (var start = 0L; start < frames; start += framesPerBlock)
        {
            var n = (int)Math.Min(framesPerBlock, frames - start);
            var bytes = block.AsSpan(0, (int)(n * frameBytes));
            var got = ReadUpTo(bytes);
            if (got < bytes.Length) // the file shrank while being read
                throw Fail($"truncated: {what} declares {size} bytes but only {(start * frameBytes) + got} follow");
            SampleDecoder.DecodeToMono(bytes, format, bigEndian, channels, samples.AsSpan((int)start, n));
        }

        if (format is SampleFormat.Float32 or SampleFormat.Float64)
        {
            var bad = Array.FindIndex(samples, s => !float.IsFinite(s));
            if (bad >= 0)
                throw Fail($"invalid sample: frame {bad} is NaN or infinite");
        }

        return samples;
    }
}
