using System.Buffers.Binary;

namespace CudaGenre.Core.Audio;

/// <summary>RIFF/WAVE parsing; the reader is positioned just after the "RIFF" magic.</summary>
internal static class WavReader
{
    private const ushort TagPcm = 0x0001;
    private const ushort TagFloat = 0x0003;
    private const ushort TagALaw = 0x0006;
    private const ushort TagMuLaw = 0x0007;
    private const ushort TagExtensible = 0xFFFE;

    /// <summary>A data chunk size written by streaming encoders that did not know the length.</summary>
    private const uint UnknownSize = 0xFFFFFFFF;

    /// <summary>fmt chunks are 16 to 40 bytes; anything this big is corrupt, not a richer format.</summary>
    private const uint MaxFmtSize = 4096;

    // KSDATAFORMAT_SUBTYPE_* GUIDs end in these 14 bytes; the first 2 bytes hold the classic format tag.
    private static ReadOnlySpan<byte> SubFormatSuffix =>
        [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

    /// <summary>Walks the chunks up to the data chunk and decodes it; fails with the precise problem.</summary>
    public static AudioClip Read(AudioByteReader reader)
    {
        Span<byte> header = stackalloc byte[8];
        reader.ReadExactly(header, "the RIFF header", alreadyRead: 4);
        var riffType = header[4..8];
        if (!riffType.SequenceEqual("WAVE"u8))
            throw reader.Fail($"not a WAV file: a RIFF file of type '{AudioFile.Printable(riffType)}', not 'WAVE'");

        WavFormat? format = null;
        Span<byte> chunkHeader = stackalloc byte[8];
        while (true)
        {
            var got = reader.ReadUpTo(chunkHeader);
            if (got == 0)
                throw reader.Fail(format is null ? "no fmt chunk: the file ends before the format is described" : "no data chunk: the file ends before any audio");
            if (got < chunkHeader.Length)
                throw reader.Fail($"truncated: the file ends inside a chunk header ({got} of 8 bytes)");

            var id = AudioFile.Printable(chunkHeader[..4]);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(chunkHeader[4..]);
            if (id == "fmt ")
            {
                if (size < 16)
                    throw reader.Fail($"invalid fmt chunk: {size} bytes, at least 16 are needed");
                if (size > MaxFmtSize)
                    throw reader.Fail($"invalid fmt chunk: it declares {size} bytes, far more than any WAV format needs");
                var body = new byte[size];
                if (reader.ReadUpTo(body) < body.Length)
                    throw reader.Fail($"truncated: the fmt chunk declares {size} bytes but the file ends inside it");
                format = ParseFormat(reader, body);
                SkipPad(reader, size);
            }
            else if (id == "data")
            {
                if (format is not { } f)
                    throw reader.Fail("invalid WAV: the data chunk comes before the fmt chunk");
                long? declared = size == UnknownSize ? null : size;
                var samples = reader.ReadMonoFrames(declared, f.Sample, bigEndian: false, f.Channels, "the data chunk", f.SampleRate);
                return new AudioClip(samples, f.SampleRate);
            }
            else
            {
                // LIST, fact, cue, bext, JUNK…: not needed for the samples.
                var remaining = reader.Remaining;
                if (!reader.Skip(size))
                    throw reader.Fail($"truncated: the '{id}' chunk declares {size} bytes but only {remaining} follow");
                SkipPad(reader, size);
            }
        }
    }

    /// <summary>Odd-sized chunks are followed by one pad byte (RIFF rule); a missing final pad is tolerated.</summary>
    private static void SkipPad(AudioByteReader reader, uint size)
    {
        if ((size & 1) != 0)
            reader.Skip(Math.Min(1, reader.Remaining));
    }

    private static WavFormat ParseFormat(AudioByteReader reader, ReadOnlySpan<byte> fmt)
    {
        var tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
        var channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
        var sampleRate = BinaryPrimitives.ReadUInt32LittleEndian(fmt[4..]);
        var blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(fmt[12..]);
        var bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);

        var effectiveTag = tag;
        if (tag == TagExtensible)
        {
            // cbSize (2) + valid bits (2) + channel mask (4) + sub-format GUID (16) follow the 16 basic bytes.
            if (fmt.Length < 40)
                throw reader.Fail($"invalid fmt chunk: WAVE_FORMAT_EXTENSIBLE needs 40 bytes, the chunk has {fmt.Length}");
            var guid = fmt.Slice(24, 16);
            if (!guid[2..].SequenceEqual(SubFormatSuffix))
                throw reader.Fail($"unsupported WAV encoding: extensible sub-format {new Guid(guid)}");
            effectiveTag = BinaryPrimitives.ReadUInt16LittleEndian(guid);
        }

        if (channels == 0)
            throw reader.Fail("invalid fmt chunk: zero channels");
        if (sampleRate == 0)
            throw reader.Fail("invalid fmt chunk: sample rate 0 Hz");
        reader.Limits.CheckSampleRate(reader.Name, sampleRate);

        var sample = (effectiveTag, bits) switch
        {
            (TagPcm, 8) => SampleFormat.UInt8,
            (TagPcm, 16) => SampleFormat.Int16,
            (TagPcm, 24) => SampleFormat.Int24,
            (TagPcm, 32) => SampleFormat.Int32,
            (TagPcm, _) => throw reader.Fail($"unsupported WAV encoding: {bits}-bit PCM"),
            (TagFloat, 32) => SampleFormat.Float32,
            (TagFloat, 64) => SampleFormat.Float64,
            (TagFloat, _) => throw reader.Fail($"unsupported WAV encoding: {bits}-bit IEEE float"),
            (TagMuLaw, 8) => SampleFormat.MuLaw,
            (TagALaw, 8) => SampleFormat.ALaw,
            (TagMuLaw or TagALaw, _) => throw reader.Fail($"unsupported WAV encoding: G.711 with {bits} bits per sample (8 expected)"),
            _ => throw reader.Fail($"unsupported WAV encoding: {TagName(effectiveTag)} (format tag {effectiveTag})"),
        };

        var expectedAlign = SampleDecoder.BytesPerSample(sample) * channels;
        if (blockAlign != expectedAlign)
            throw reader.Fail($"invalid fmt chunk: block align is {blockAlign} bytes, but {channels} channel(s) of {bits}-bit samples need {expectedAlign}");

        return new WavFormat(sample, channels, (int)sampleRate);
    }

    /// <summary>Names of format tags seen in the wild, so an error says what the file actually is.</summary>
    private static string TagName(ushort tag) => tag switch
    {
        0x0002 => "Microsoft ADPCM",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10",
        0x0050 => "MPEG audio",
        0x0055 => "MP3",
        0x00FF or 0x1610 => "AAC",
        0x0161 or 0x0162 or 0x0163 => "Windows Media Audio",
        0x2000 => "Dolby AC-3",
        0xF1AC => "FLAC",
        _ => "unknown",
    };

    private readonly record struct WavFormat(SampleFormat Sample, int Channels, int SampleRate);
}
