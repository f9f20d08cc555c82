using NLayer;
using NVorbis;

namespace CudaGenre.Core.Audio;

/// <summary>
/// MP3 (NLayer) and Ogg Vorbis (NVorbis), both fully managed. The decoders are fed the file as it is; what they
/// produce is mixed to mono block by block and checked against <see cref="InputLimits"/> as it grows, so a file that
/// decodes to more than the longest clip allowed is stopped there, not decoded to the end. A failure inside a decoder
/// (they throw assorted exceptions on corrupt data) becomes a <see cref="DataFileException"/> naming the file.
/// </summary>
internal static class CompressedAudio
{
    /// <summary>Interleaved floats asked of a decoder per call: whole frames for any channel count up to 8.</summary>
    private const int BlockFloats = 1152 * 8 * 4;

    public static AudioClip ReadMp3(Stream stream, string name, InputLimits limits)
    {
        MpegFile? mpeg = null;
        try
        {
            mpeg = new MpegFile(stream);
            if (mpeg.SampleRate <= 0 || mpeg.Channels <= 0)
                throw new DataFileException(name, "corrupt MP3: no MPEG audio frame found");
            var read = mpeg;
            return Decode(name, "MP3", limits, mpeg.SampleRate, mpeg.Channels, (buffer, offset, count) => read.ReadSamples(buffer, offset, count));
        }
        catch (Exception e) when (e is not DataFileException and not OutOfMemoryException)
        {
            throw new DataFileException(name, $"corrupt MP3: the decoder failed ({e.Message})", e);
        }
        finally
        {
            mpeg?.Dispose();
        }
    }

    public static AudioClip ReadVorbis(Stream stream, string name, InputLimits limits)
    {
        try
        {
            using var vorbis = new VorbisReader(stream, closeOnDispose: false);
            return Decode(name, "Ogg Vorbis", limits, vorbis.SampleRate, vorbis.Channels, (buffer, offset, count) => vorbis.ReadSamples(buffer, offset, count));
        }
        catch (Exception e) when (e is not DataFileException and not OutOfMemoryException)
        {
            throw new DataFileException(name, $"corrupt Ogg Vorbis: the decoder failed ({e.Message})", e);
        }
    }

    /// <summary>Pulls interleaved floats from <paramref name="read"/> (buffer, offset, count) until it returns 0, mixing to mono under the limits.</summary>
    private static AudioClip Decode(string name, string format, InputLimits limits, int sampleRate, int channels, Func<float[], int, int, int> read)
    {
        if (channels is < 1 or > 8)
            throw new DataFileException(name, $"corrupt {format}: {channels} channels");
        limits.CheckSampleRate(name, sampleRate);
        var maxFrames = (long)Math.Floor(limits.MaxAudioSeconds * sampleRate);
        var buffer = new float[BlockFloats - (BlockFloats % channels)];
        var mono = new float[Math.Min(1 << 16, maxFrames + 1)];
        long frames = 0;
        var carry = 0; // floats of a partial frame left at the start of the buffer
        while (true)
        {
            var got = read(buffer, carry, buffer.Length - carry);
            if (got <= 0)
                break;
            var total = carry + got;
            var whole = total / channels;
            if (frames + whole > maxFrames)
                limits.CheckAudioLength(name, frames + whole, sampleRate); // throws: over the limit, stopped before decoding the rest
            if (frames + whole > mono.Length)
                Array.Resize(ref mono, (int)Math.Min(Math.Max(mono.Length * 2L, frames + whole), Math.Min(maxFrames, Array.MaxLength)));
            for (var f = 0; f < whole; f++)
            {
                var sum = 0f;
                for (var c = 0; c < channels; c++)
                    sum += buffer[(f * channels) + c];
                var value = sum / channels;
                if (!float.IsFinite(value))
                    throw new DataFileException(name, $"corrupt {format}: frame {frames + f} decodes to NaN or infinity");
                mono[frames + f] = value;
            }
            frames += whole;
            carry = total - (whole * channels);
            Array.Copy(buffer, whole * channels, buffer, 0, carry);
        }
        if (frames == 0)
            throw new DataFileException(name, $"no audio: the {format} stream decodes to no samples (truncated or empty)");
        Array.Resize(ref mono, (int)frames);
        return new AudioClip(mono, sampleRate);
    }
}
