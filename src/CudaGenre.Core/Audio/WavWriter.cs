using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace CudaGenre.Core.Audio;

/// <summary>Sample encodings <see cref="AudioFile.WriteWav(string, AudioClip, WavEncoding)"/> can write.</summary>
public enum WavEncoding
{
    /// <summary>
    /// 16-bit PCM (format tag 1). Each sample x is written as round(x · 32768) clamped to [−32768, 32767], so
    /// k/32768 reads back exactly and values beyond [-1, 1] are clipped.
    /// </summary>
    Pcm16 = 0,

    /// <summary>24-bit PCM (format tag 1): round(x · 8388608) clamped to [−8388608, 8388607].</summary>
    Pcm24 = 1,

    /// <summary>32-bit IEEE float (format tag 3, with a fact chunk): samples are written as they are, unclipped.</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Names the WAV sample encoding (32-bit IEEE float), not a .NET type.")]
    Float32 = 2,
}

/// <summary>Writes mono RIFF/WAVE files.</summary>
internal static class WavWriter
{
    /// <summary>Writes header and samples of a mono WAV (see <see cref="WavEncoding"/> for the sample rules).</summary>
    public static void Write(Stream stream, AudioClip clip, WavEncoding encoding)
    {
        var samples = clip.Samples;
        var bad = Array.FindIndex(samples, s => !float.IsFinite(s));
        if (bad >= 0)
            throw new ArgumentException($"Sample {bad} is {samples[bad]}; only finite samples can be written.", nameof(clip));
        if (clip.SampleRate <= 0)
            throw new ArgumentException($"Sample rate {clip.SampleRate} Hz is not positive.", nameof(clip));

        var (tag, bytesPerSample) = encoding switch
        {
            WavEncoding.Pcm16 => ((ushort)1, 2),
            WavEncoding.Pcm24 => ((ushort)1, 3),
            WavEncoding.Float32 => ((ushort)3, 4),
            _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Unknown WAV encoding."),
        };
        var isFloat = encoding == WavEncoding.Float32;

        var dataBytes = (long)samples.Length * bytesPerSample;
        // Non-PCM formats carry cbSize (fmt = 18 bytes) and a fact chunk with the frame count (WAVE spec).
        var fmtSize = isFloat ? 18 : 16;
        var factBytes = isFloat ? 12 : 0;
        var pad = dataBytes & 1;
        var riffSize = 4 + (8 + fmtSize) + factBytes + 8 + dataBytes + pad;
        if (riffSize > uint.MaxValue)
            throw new ArgumentException($"{samples.Length} samples do not fit in a WAV file (4 GiB limit).", nameof(clip));

        var header = new byte[12 + 8 + fmtSize + factBytes + 8];
        var h = header.AsSpan();
        "RIFF"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)riffSize);
        "WAVE"u8.CopyTo(h[8..]);
        "fmt "u8.CopyTo(h[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)fmtSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[20..], tag);
        BinaryPrimitives.WriteUInt16LittleEndian(h[22..], 1); // mono
        BinaryPrimitives.WriteUInt32LittleEndian(h[24..], (uint)clip.SampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(h[28..], (uint)(clip.SampleRate * bytesPerSample));
        BinaryPrimitives.WriteUInt16LittleEndian(h[32..], (ushort)bytesPerSample);
        BinaryPrimitives.WriteUInt16LittleEndian(h[34..], (ushort)(bytesPerSample * 8));
        var at = 36;
        if (isFloat)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(h[at..], 0); // cbSize
            at += 2;
            "fact"u8.CopyTo(h[at..]);
            BinaryPrimitives.WriteUInt32LittleEndian(h[(at + 4)..], 4);
            BinaryPrimitives.WriteUInt32LittleEndian(h[(at + 8)..], (uint)samples.Length);
            at += 12;
        }

        "data"u8.CopyTo(h[at..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[(at + 4)..], (uint)dataBytes);
        stream.Write(header);

        var block = new byte[bytesPerSample * 8192];
        for (var start = 0; start < samples.Length; start += 8192)
        {
            var n = Math.Min(8192, samples.Length - start);
            var b = block.AsSpan(0, n * bytesPerSample);
            for (var i = 0; i < n; i++)
            {
                var x = samples[start + i];
                var o = b[(i * bytesPerSample)..];
                switch (encoding)
                {
                    case WavEncoding.Pcm16:
                        BinaryPrimitives.WriteInt16LittleEndian(o, (short)Quantize(x, 32768));
                        break;
                    case WavEncoding.Pcm24:
                        var v = Quantize(x, 8388608);
                        o[0] = (byte)v;
                        o[1] = (byte)(v >> 8);
                        o[2] = (byte)(v >> 16);
                        break;
                    default:
                        BinaryPrimitives.WriteSingleLittleEndian(o, x);
                        break;
                }
            }

            stream.Write(b);
        }

        if (pad != 0)
            stream.WriteByte(0);
    }

    /// <summary>round(x · fullScale), clipped to the integer range [−fullScale, fullScale − 1].</summary>
    internal static int Quantize(float x, int fullScale)
    {
        var v = Math.Round(x * (double)fullScale, MidpointRounding.ToEven);
        return (int)Math.Clamp(v, -fullScale, fullScale - 1);
    }
}
