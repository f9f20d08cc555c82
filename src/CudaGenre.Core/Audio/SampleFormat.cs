using System.Buffers.Binary;

namespace CudaGenre.Core.Audio;

/// <summary>How one stored sample is encoded, whatever the container (WAV or AU).</summary>
internal enum SampleFormat
{
    /// <summary>8-bit unsigned PCM, 128 = silence (WAV).</summary>
    UInt8,

    /// <summary>8-bit two's-complement PCM (AU).</summary>
    Int8,

    /// <summary>16-bit two's-complement PCM.</summary>
    Int16,

    /// <summary>24-bit two's-complement PCM, packed in 3 bytes.</summary>
    Int24,

    /// <summary>32-bit two's-complement PCM (also the container of 24-in-32 extensible files).</summary>
    Int32,

    /// <summary>IEEE 754 binary32.</summary>
    Float32,

    /// <summary>IEEE 754 binary64.</summary>
    Float64,

    /// <summary>G.711 μ-law, 8 bits.</summary>
    MuLaw,

    /// <summary>G.711 A-law, 8 bits.</summary>
    ALaw,
}

/// <summary>Turns interleaved stored samples into mono floats.</summary>
internal static class SampleDecoder
{
    // G.711 expansions to the 16-bit scale, built once from the standard's segment/mantissa rule.
    private static readonly short[] MuLawTable = BuildMuLaw();
    private static readonly short[] ALawTable = BuildALaw();

    /// <summary>Bytes one sample of <paramref name="format"/> occupies.</summary>
    public static int BytesPerSample(SampleFormat format) => format switch
    {
        SampleFormat.UInt8 or SampleFormat.Int8 or SampleFormat.MuLaw or SampleFormat.ALaw => 1,
        SampleFormat.Int16 => 2,
        SampleFormat.Int24 => 3,
        SampleFormat.Int32 or SampleFormat.Float32 => 4,
        SampleFormat.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>
    /// Decodes <paramref name="destination"/>.Length whole frames of <paramref name="channels"/> interleaved
    /// samples from <paramref name="source"/>, mixing each frame to mono as the mean of its channels.
    /// </summary>
    public static void DecodeToMono(
        ReadOnlySpan<byte> source, SampleFormat format, bool bigEndian, int channels, Span<float> destination)
    {
        var size = BytesPerSample(format);
        var frameBytes = size * channels;
        if (channels == 1)
        {
            for (var f = 0; f < destination.Length; f++)
                destination[f] = (float)Decode(source.Slice(f * size, size), format, bigEndian);
            return;
        }

        for (var f = 0; f < destination.Length; f++)
        {
            var frame = source.Slice(f * frameBytes, frameBytes);
            // Sum in double so the mix is the exact mean of the decoded channel values, rounded once.
            var sum = 0.0;
            for (var c = 0; c < channels; c++)
                sum += Decode(frame.Slice(c * size, size), format, bigEndian);
            destination[f] = (float)(sum / channels);
        }
    }

    /// <summary>One sample scaled to [-1, 1) (integers by 2^(bits−1)); floats as stored.</summary>
    public static double Decode(ReadOnlySpan<byte> s, SampleFormat format, bool bigEndian) => format switch
    {
        SampleFormat.UInt8 => (s[0] - 128) / 128.0,
        SampleFormat.Int8 => (sbyte)s[0] / 128.0,
        SampleFormat.Int16 => (bigEndian ? BinaryPrimitives.ReadInt16BigEndian(s) : BinaryPrimitives.ReadInt16LittleEndian(s)) / 32768.0,
        SampleFormat.Int24 => ReadInt24(s, bigEndian) / 8388608.0,
        SampleFormat.Int32 => (bigEndian ? BinaryPrimitives.ReadInt32BigEndian(s) : BinaryPrimitives.ReadInt32LittleEndian(s)) / 2147483648.0,
        SampleFormat.Float32 => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(s) : BinaryPrimitives.ReadSingleLittleEndian(s),
        SampleFormat.Float64 => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(s) : BinaryPrimitives.ReadDoubleLittleEndian(s),
        SampleFormat.MuLaw => MuLawTable[s[0]] / 32768.0,
        SampleFormat.ALaw => ALawTable[s[0]] / 32768.0,
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>G.711 μ-law code → linear value on the 16-bit scale (±32124 at most; 0xFF and 0x7F are ±0).</summary>
    internal static short ExpandMuLaw(byte code)
    {
        // Codes are stored inverted; sign in bit 7, then a 3-bit segment and a 4-bit mantissa.
        var u = ~code & 0xFF;
        var exponent = (u >> 4) & 0x07;
        var mantissa = u & 0x0F;
        var magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
        return (short)((u & 0x80) != 0 ? -magnitude : magnitude);
    }

    /// <summary>G.711 A-law code → linear value on the 16-bit scale (±32256 at most; 0xD5 is +8, 0x55 is −8).</summary>
    internal static short ExpandALaw(byte code)
    {
        // Even bits are inverted on the line (XOR 0x55); bit 7 set means positive.
        var a = code ^ 0x55;
        var segment = (a >> 4) & 0x07;
        var magnitude = (a & 0x0F) << 4;
        magnitude = segment switch
        {
            0 => magnitude + 8,
            1 => magnitude + 0x108,
            _ => (magnitude + 0x108) << (segment - 1),
        };
        return (short)((a & 0x80) != 0 ? magnitude : -magnitude);
    }

    private static int ReadInt24(ReadOnlySpan<byte> s, bool bigEndian)
    {
        var v = bigEndian ? (s[0] << 16) | (s[1] << 8) | s[2] : s[0] | (s[1] << 8) | (s[2] << 16);
        return (v << 8) >> 8; // sign-extend from 24 bits
    }

    private static short[] BuildMuLaw()
    {
        var t = new short[256];
        for (var i = 0; i < 256; i++)
            t[i] = ExpandMuLaw((byte)i);
        return t;
    }

    private static short[] BuildALaw()
    {
        var t = new short[256];
        for (var i = 0; i < 256; i++)
            t[i] = ExpandALaw((byte)i);
        return t;
    }
}
