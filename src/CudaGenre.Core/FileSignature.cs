using System.Buffers.Binary;
using System.Text;

namespace CudaGenre.Core;

/// <summary>What a file is, judged by its first bytes (its magic), never by its name.</summary>
public enum FileFormat
{
    /// <summary>None of the formats below.</summary>
    Unknown,

    /// <summary>RIFF/WAVE (also RIFX and RF64, which the WAV reader names and refuses).</summary>
    Wav,

    /// <summary>Sun/NeXT AU (<c>.snd</c>, and its little-endian <c>dns.</c> variant).</summary>
    Au,

    /// <summary>MPEG audio layer I, II or III (MP3): an ID3v2 tag, or two consecutive valid frame headers.</summary>
    Mp3,

    /// <summary>Ogg holding a Vorbis stream.</summary>
    OggVorbis,

    /// <summary>Ogg holding something else (Opus, FLAC, Speex…).</summary>
    Ogg,

    /// <summary>Native FLAC (<c>fLaC</c>).</summary>
    Flac,

    /// <summary>ISO base media (MP4, M4A, 3GP, MOV): an <c>ftyp</c> box.</summary>
    Mp4,

    /// <summary>AIFF or AIFF-C.</summary>
    Aiff,

    /// <summary>ASF (WMA, WMV).</summary>
    Asf,

    /// <summary>Matroska or WebM (EBML).</summary>
    Matroska,

    /// <summary>Raw AAC in ADTS frames.</summary>
    AacAdts,

    /// <summary>PNG image.</summary>
    Png,

    /// <summary>JPEG image.</summary>
    Jpeg,

    /// <summary>GIF image.</summary>
    Gif,

    /// <summary>BMP image.</summary>
    Bmp,

    /// <summary>WebP image.</summary>
    WebP,

    /// <summary>A safetensors file: a model or a reference bundle.</summary>
    Safetensors,

    /// <summary>A ZIP archive.</summary>
    Zip,
}

/// <summary>
/// Recognises files by their magic bytes, so that a file given in the wrong place gets a message that says what it
/// is ("this is a PNG image, not a model") and audio is decoded by what it holds, whatever its extension.
/// </summary>
public static class FileSignature
{
    /// <summary>
    /// Bytes of the file's start that <see cref="Detect(ReadOnlySpan{byte}, bool)"/> looks at: enough for two MPEG frames
    /// (the longest, layer II at 384 kbit/s and 32 kHz, is 1728 bytes) and a short ID3 tag before them.
    /// </summary>
    public const int HeadLength = 8192;

    /// <summary>The formats decoded without anything installed.</summary>
    public const string BuiltInAudio = "WAV, AU, MP3, Ogg Vorbis";

    /// <summary>The images every command that takes a spectrogram reads.</summary>
    public const string Images = "PNG, JPEG, BMP, GIF, WebP";

    /// <summary>The formats read through an installed ffmpeg.</summary>
    public const string FfmpegAudio = "FLAC, Opus and other Ogg codecs, M4A/AAC, AIFF, WMA, WebM/Matroska";

    /// <summary>Extensions of the audio files a folder is searched for (the format itself is still read from the content).</summary>
    public static IReadOnlyList<string> AudioExtensions { get; } =
        [".wav", ".au", ".snd", ".mp3", ".mp2", ".ogg", ".oga", ".flac", ".opus", ".m4a", ".aac", ".mp4", ".aif", ".aiff", ".aifc", ".wma", ".webm", ".mka"];

    /// <summary>Extensions of the image files a folder is searched for.</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>Reads the start of the file at <paramref name="path"/> and recognises it.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static FileFormat Detect(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var head = new byte[HeadLength];
        var got = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Detect(head.AsSpan(0, got), got < head.Length);
    }

    /// <summary>Recognises a file from its first bytes (up to <see cref="HeadLength"/>; fewer when the file is shorter).</summary>
    /// <param name="head">The file's first bytes.</param>
    /// <param name="wholeFile">Whether <paramref name="head"/> is the whole file (a one-frame MP3 then needs no second frame).</param>
    public static FileFormat Detect(ReadOnlySpan<byte> head, bool wholeFile = false)
    {
        if (head.Length < 4)
            return FileFormat.Unknown;
        var four = Encoding.ASCII.GetString(head[..4]);
        switch (four)
        {
            case "RIFF" when head.Length >= 12 && head[8..12].SequenceEqual("WEBP"u8):
                return FileFormat.WebP;
            case "RIFF" or "RIFX" or "RF64":
                return FileFormat.Wav;
            case ".snd" or "dns.":
                return FileFormat.Au;
            case "fLaC":
                return FileFormat.Flac;
            case "OggS":
                return OggCodec(head);
            case "FORM" when head.Length >= 12 && (head[8..12].SequenceEqual("AIFF"u8) || head[8..12].SequenceEqual("AIFC"u8)):
                return FileFormat.Aiff;
            case "GIF8":
                return FileFormat.Gif;
            case "PK\u0003\u0004":
                return FileFormat.Zip;
        }
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            return FileFormat.Png;
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
            return FileFormat.Jpeg;
        if (head.StartsWith((ReadOnlySpan<byte>)[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]))
            return FileFormat.Asf;
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3]))
            return FileFormat.Matroska;
        if (head.Length >= 8 && head[4..8].SequenceEqual("ftyp"u8))
            return FileFormat.Mp4;
        if (head.Length >= 18 && head[0] == 'B' && head[1] == 'M' && BinaryPrimitives.ReadUInt32LittleEndian(head[14..]) is 12 or 40 or 52 or 56 or 64 or 108 or 124)
            return FileFormat.Bmp;
        if (head.Length >= 10 && head[8] == '{' && BinaryPrimitives.ReadUInt64LittleEndian(head) is > 1 and < 100_000_000)
            return FileFormat.Safetensors;
        if (head.StartsWith("ID3"u8) && head.Length >= 10)
        {
            // ID3v2: a syncsafe size; what follows is usually MPEG audio, but FLAC and AAC files carry the tag too.
            var size = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)) + ((head[5] & 0x10) != 0 ? 10 : 0);
            if (size + 4 <= head.Length)
            {
                var after = Detect(head[size..], wholeFile);
                if (after is FileFormat.Flac or FileFormat.AacAdts or FileFormat.Mp3)
                    return after;
            }
            return FileFormat.Mp3;
        }
        if (head[0] == 0xFF && (head[1] & 0xF6) == 0xF0)
            return FileFormat.AacAdts;
        if (MpegFrameLength(head) is { } first && (first + 4 <= head.Length ? MpegFrameLength(head[first..]) is not null : wholeFile && first == head.Length))
            return FileFormat.Mp3;
        return FileFormat.Unknown;
    }

    /// <summary>How a message names the format: "a PNG image", "an MP3 file".</summary>
    public static string Describe(FileFormat format) => format switch
    {
        FileFormat.Wav => "a WAV file",
        FileFormat.Au => "an AU file",
        FileFormat.Mp3 => "an MP3 file",
        FileFormat.OggVorbis => "an Ogg Vorbis file",
        FileFormat.Ogg => "an Ogg file",
        FileFormat.Flac => "a FLAC file",
        FileFormat.Mp4 => "an MP4/M4A file",
        FileFormat.Aiff => "an AIFF file",
        FileFormat.Asf => "a WMA/ASF file",
        FileFormat.Matroska => "a WebM/Matroska file",
        FileFormat.AacAdts => "an AAC file",
        FileFormat.Png => "a PNG image",
        FileFormat.Jpeg => "a JPEG image",
        FileFormat.Gif => "a GIF image",
        FileFormat.Bmp => "a BMP image",
        FileFormat.WebP => "a WebP image",
        FileFormat.Safetensors => "a safetensors file (a model or reference bundle)",
        FileFormat.Zip => "a ZIP archive",
        _ => "a file of unknown format",
    };

    /// <summary>Whether <paramref name="format"/> is an image format.</summary>
    public static bool IsImage(FileFormat format) => format is FileFormat.Png or FileFormat.Jpeg or FileFormat.Gif or FileFormat.Bmp or FileFormat.WebP;

    /// <summary>Whether <paramref name="format"/> holds audio (decoded built in or through ffmpeg).</summary>
    public static bool IsAudio(FileFormat format) => format is FileFormat.Wav or FileFormat.Au or FileFormat.Mp3 or FileFormat.OggVorbis or FileFormat.Ogg
        or FileFormat.Flac or FileFormat.Mp4 or FileFormat.Aiff or FileFormat.Asf or FileFormat.Matroska or FileFormat.AacAdts;

    /// <summary>The audio formats, for messages: built in, and those that need ffmpeg (and whether it was found).</summary>
    public static string SupportedAudio() =>
        $"supported audio: {BuiltInAudio}; with ffmpeg installed also {FfmpegAudio} (ffmpeg {(Audio.FfmpegDecoder.IsAvailable ? "found" : "not found")})";

    /// <summary>Shows bytes as ASCII where printable and as \xNN otherwise, the way a person can compare them.</summary>
    public static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length * 4);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and < 0x7F && b != (byte)'\'' && b != (byte)'\\')
                sb.Append((char)b);
            else
                sb.Append($"\\x{b:X2}");
        }

        return sb.ToString();
    }

    /// <summary>The codec of the first logical stream: its first packet follows the 27-byte page header and segment table.</summary>
    private static FileFormat OggCodec(ReadOnlySpan<byte> head)
    {
        if (head.Length < 27)
            return FileFormat.Ogg;
        var packet = 27 + head[26];
        return head.Length >= packet + 7 && head[packet] == 1 && head[(packet + 1)..(packet + 7)].SequenceEqual("vorbis"u8)
            ? FileFormat.OggVorbis
            : FileFormat.Ogg;
    }

    private static readonly short[][] Bitrates =
    [
        [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448], // MPEG-1 layer I
        [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],    // MPEG-1 layer II
        [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],     // MPEG-1 layer III
        [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],    // MPEG-2/2.5 layer I
        [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],         // MPEG-2/2.5 layers II and III
    ];

    /// <summary>The length in bytes of the MPEG audio frame whose header starts <paramref name="h"/>, or null if it is not a valid header.</summary>
    internal static int? MpegFrameLength(ReadOnlySpan<byte> h)
    {
        if (h.Length < 4 || h[0] != 0xFF || (h[1] & 0xE0) != 0xE0)
            return null;
        var version = (h[1] >> 3) & 3; // 0: 2.5, 1: reserved, 2: 2, 3: 1
        var layer = (h[1] >> 1) & 3;   // 1: III, 2: II, 3: I, 0: reserved
        var bitrateIndex = h[2] >> 4;
        var rateIndex = (h[2] >> 2) & 3;
        // Free-format (index 0) frames have no computable length; reserved values are not MPEG audio.
        if (version == 1 || layer == 0 || bitrateIndex is 0 or 15 || rateIndex == 3)
            return null;
        var mpeg1 = version == 3;
        var table = mpeg1 ? 3 - layer : (layer == 3 ? 3 : 4);
        var bitrate = Bitrates[table][bitrateIndex - 1] * 1000;
        var sampleRate = (rateIndex switch { 0 => 44100, 1 => 48000, _ => 32000 }) >> (version switch { 3 => 0, 2 => 1, _ => 2 });
        var padding = (h[2] >> 1) & 1;
        return layer switch
        {
            3 => ((12 * bitrate / sampleRate) + padding) * 4,
            1 when !mpeg1 => (72 * bitrate / sampleRate) + padding,
            _ => (144 * bitrate / sampleRate) + padding,
        };
    }
}
