using System.Text;

namespace CudaGenre.Core.Audio;

/// <summary>
/// Reads audio files into mono <see cref="AudioClip"/>s and writes WAV files. The format is recognised by
/// content, never by file extension:
/// <list type="bullet">
/// <item>RIFF/WAVE: PCM 8-bit (unsigned), 16, 24 and 32-bit; IEEE float 32 and 64-bit; G.711 μ-law and A-law;
/// WAVE_FORMAT_EXTENSIBLE with a PCM or float sub-format. Unknown chunks (LIST, fact, cue…) are skipped,
/// odd-sized chunks are followed by their pad byte.</item>
/// <item>Sun/NeXT AU (<c>.snd</c>, big-endian; the old GTZAN <c>genres/*.au</c> files): 8, 16, 24 and 32-bit
/// linear PCM, 32 and 64-bit float, μ-law and A-law.</item>
/// <item>MP3 (MPEG audio layers I–III, through NLayer) and Ogg Vorbis (through NVorbis), built in.</item>
/// <item>FLAC, Opus, M4A/AAC, AIFF, WMA, WebM and whatever else an installed <c>ffmpeg</c> reads (see
/// <see cref="FfmpegDecoder"/>); without ffmpeg these are an error that says so.</item>
/// </list>
/// Compressed files are checked against <see cref="InputLimits.MaxAudioSeconds"/> while they decode, and decoding
/// stops at the limit.
/// Any channel count is mixed to mono as the mean of the channels; any sample rate is kept as it is (see
/// <see cref="Resampler"/>). Integer samples are scaled by 2^(bits−1), so they land in [-1, 1); float samples are
/// kept as stored (NaN or infinity is an error). A data size of 0xFFFFFFFF, written by streaming encoders that did
/// not know the length, means "to the end of the file"; any other size must be there in full. A trailing partial
/// frame is ignored. A file that cannot be used raises <see cref="DataFileException"/> naming the file and the
/// problem.
/// </summary>
public static class AudioFile
{
    /// <summary>Header bytes needed before anything can be said about a file.</summary>
    private const int MagicLength = 4;

    /// <summary>Reads the audio file at <paramref name="path"/> (any format above) as a mono clip at the file's own sample rate.</summary>
    /// <param name="path">The file; its extension is not looked at.</param>
    /// <exception cref="DataFileException">The file is empty, truncated, corrupt, not a supported audio format, or uses an unsupported encoding.</exception>
    /// <param name="limits">Sample-rate range and longest duration (default <see cref="InputLimits.Default"/>), checked from the header before the samples are allocated.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static AudioClip Read(string path, InputLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Read(stream, path, limits);
    }

    /// <summary>
    /// Reads a WAV or AU file from <paramref name="stream"/>, from its current position to its end. The stream is
    /// not closed. A stream that cannot seek is first copied into memory.
    /// </summary>
    /// <param name="stream">The file's bytes.</param>
    /// <param name="nameForErrors">What to call the file in error messages (usually its path).</param>
    /// <param name="limits">Sample-rate range and longest duration (default <see cref="InputLimits.Default"/>).</param>
    /// <exception cref="DataFileException">The data is empty, truncated, not WAV/AU, uses an unsupported encoding, or declares a sample rate or duration outside the limits.</exception>
    public static AudioClip Read(Stream stream, string nameForErrors, InputLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(nameForErrors);
        if (!stream.CanSeek)
        {
            // Header sizes are checked against what is really there before anything large is allocated.
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }

        limits ??= InputLimits.Default;
        if (stream.Length - stream.Position == 0)
            throw new DataFileException(nameForErrors, "empty file (0 bytes)");

        // The format comes from the first bytes; each reader then starts again from the beginning.
        var start = stream.Position;
        var head = new byte[FileSignature.HeadLength];
        var got = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = start;
        var format = FileSignature.Detect(head.AsSpan(0, got), wholeFile: got < head.Length);
        switch (format)
        {
            case FileFormat.Mp3:
                return CompressedAudio.ReadMp3(stream, nameForErrors, limits);
            case FileFormat.OggVorbis:
                return CompressedAudio.ReadVorbis(stream, nameForErrors, limits);
            case FileFormat.Ogg or FileFormat.Flac or FileFormat.Mp4 or FileFormat.Aiff or FileFormat.Asf or FileFormat.Matroska or FileFormat.AacAdts:
                return FfmpegDecoder.Read((stream as FileStream)?.Name, stream, nameForErrors, format, limits);
        }
        if (FileSignature.IsImage(format) || format is FileFormat.Safetensors)
            throw new DataFileException(nameForErrors, $"this is {FileSignature.Describe(format)}, not audio; {FileSignature.SupportedAudio()}");

        var reader = new AudioByteReader(stream, nameForErrors, limits);
        Span<byte> magic = stackalloc byte[MagicLength];
        got = reader.ReadUpTo(magic);
        if (got < MagicLength)
            throw reader.Fail($"truncated: the file is only {got} bytes long, too short for an audio header");

        return Encoding.ASCII.GetString(magic) switch
        {
            "RIFF" => WavReader.Read(reader),
            ".snd" => AuReader.Read(reader),
            "RIFX" => throw reader.Fail("unsupported WAV variant: big-endian RIFX"),
            "RF64" => throw reader.Fail("unsupported WAV variant: RF64 (64-bit sizes)"),
            "dns." => throw reader.Fail("unsupported AU variant: little-endian ('dns.' magic)"),
            _ => throw reader.Fail($"not a supported audio file (starts with '{Printable(magic)}'{(format is FileFormat.Unknown ? "" : $", {FileSignature.Describe(format)}")}); {FileSignature.SupportedAudio()}"),
        };
    }

    /// <summary>
    /// Writes <paramref name="clip"/> as a mono RIFF/WAVE file at its own sample rate. The file is written to a
    /// temporary name beside <paramref name="path"/> and moved into place when complete, so a reader never sees
    /// half a file (<see cref="AtomicFile"/>); the folder is created if needed.
    /// </summary>
    /// <param name="path">Destination; an existing file is replaced.</param>
    /// <param name="clip">Samples to write; they must be finite.</param>
    /// <param name="encoding">Sample encoding; <see cref="WavEncoding.Pcm16"/> by default.</param>
    /// <exception cref="ArgumentException">A sample is NaN or infinite.</exception>
    public static void WriteWav(string path, AudioClip clip, WavEncoding encoding = WavEncoding.Pcm16)
    {
        ArgumentNullException.ThrowIfNull(clip);
        AtomicFile.Write(path, stream => WavWriter.Write(stream, clip, encoding));
    }

    /// <summary>Writes <paramref name="clip"/> as a mono RIFF/WAVE file to <paramref name="stream"/> (left open).</summary>
    /// <param name="stream">Destination stream, written from its current position.</param>
    /// <param name="clip">Samples to write; they must be finite.</param>
    /// <param name="encoding">Sample encoding; <see cref="WavEncoding.Pcm16"/> by default.</param>
    /// <exception cref="ArgumentException">A sample is NaN or infinite.</exception>
    public static void WriteWav(Stream stream, AudioClip clip, WavEncoding encoding = WavEncoding.Pcm16)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(clip);
        WavWriter.Write(stream, clip, encoding);
    }

    /// <summary>Shows bytes as ASCII where printable and as \\xNN otherwise (see <see cref="FileSignature.Printable"/>).</summary>
    internal static string Printable(ReadOnlySpan<byte> bytes) => FileSignature.Printable(bytes);
}
