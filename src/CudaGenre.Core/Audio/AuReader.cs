using System.Buffers.Binary;

namespace CudaGenre.Core.Audio;

/// <summary>
/// Sun/NeXT AU parsing (big-endian throughout); the reader is positioned just after the ".snd" magic.
/// Header: data offset, data size (0xFFFFFFFF = unknown), encoding, sample rate, channels, then an annotation
/// up to the data offset.
/// </summary>
internal static class AuReader
{
    private const int HeaderSize = 24;
    private const uint UnknownSize = 0xFFFFFFFF;

    /// <summary>Parses the header and samples; fails with the precise problem.</summary>
    public static AudioClip Read(AudioByteReader reader)
    {
        Span<byte> h = stackalloc byte[HeaderSize - 4];
        reader.ReadExactly(h, "the AU header", alreadyRead: 4);
        var dataOffset = BinaryPrimitives.ReadUInt32BigEndian(h);
        var dataSize = BinaryPrimitives.ReadUInt32BigEndian(h[4..]);
        var encoding = BinaryPrimitives.ReadUInt32BigEndian(h[8..]);
        var sampleRate = BinaryPrimitives.ReadUInt32BigEndian(h[12..]);
        var channels = BinaryPrimitives.ReadUInt32BigEndian(h[16..]);

        if (dataOffset < HeaderSize)
            throw reader.Fail($"invalid AU header: data offset {dataOffset} lies inside the {HeaderSize}-byte header");
        if (channels == 0)
            throw reader.Fail("invalid AU header: zero channels");
        if (channels > ushort.MaxValue)
            throw reader.Fail($"invalid AU header: {channels} channels");
        if (sampleRate == 0)
            throw reader.Fail("invalid AU header: sample rate 0 Hz");
        reader.Limits.CheckSampleRate(reader.Name, sampleRate);

        var format = encoding switch
        {
            1 => SampleFormat.MuLaw,
            2 => SampleFormat.Int8,
            3 => SampleFormat.Int16,
            4 => SampleFormat.Int24,
            5 => SampleFormat.Int32,
            6 => SampleFormat.Float32,
            7 => SampleFormat.Float64,
            27 => SampleFormat.ALaw,
            _ => throw reader.Fail($"unsupported AU encoding: {EncodingName(encoding)} (encoding {encoding})"),
        };

        var annotation = dataOffset - HeaderSize;
        var available = reader.Remaining;
        if (!reader.Skip(annotation))
            throw reader.Fail($"truncated: the AU header puts the data at byte {dataOffset}, but the file ends at byte {HeaderSize + available}");

        long? declared = dataSize == UnknownSize ? null : dataSize;
        var samples = reader.ReadMonoFrames(declared, format, bigEndian: true, (int)channels, "the AU header", (int)sampleRate);
        return new AudioClip(samples, (int)sampleRate);
    }

    private static string EncodingName(uint encoding) => encoding switch
    {
        8 => "fragmented sample data",
        10 => "DSP program",
        11 or 12 or 13 or 14 => "fixed-point DSP data",
        18 => "emphasized 16-bit PCM",
        19 => "compressed data",
        23 => "G.721 ADPCM",
        24 => "G.722 ADPCM",
        25 or 26 => "G.723 ADPCM",
        _ => "unknown",
    };
}
