using System.Buffers.Binary;
using System.Text;
using CudaGenre.Core.Audio;

namespace CudaGenre.Core.Tests.Audio;

/// <summary>
/// Builds WAV and AU files byte by byte, from the format specifications, independently of the code under test.
/// </summary>
internal static class AudioTestFiles
{
    /// <summary>A RIFF chunk: 4-byte id, little-endian size, body, pad byte if the size is odd.</summary>
    public static byte[] Chunk(string id, byte[] body, uint? declaredSize = null)
    {
        var ms = new MemoryStream();
        ms.Write(Encoding.ASCII.GetBytes(id));
        ms.Write(U32(declaredSize ?? (uint)body.Length));
        ms.Write(body);
        if ((body.Length & 1) != 0)
            ms.WriteByte(0);
        return ms.ToArray();
    }

    /// <summary>The 16-byte PCMWAVEFORMAT body.</summary>
    public static byte[] FmtBody(ushort tag, int channels, int rate, int bits, int? blockAlign = null)
    {
        var align = blockAlign ?? (channels * ((bits + 7) / 8));
        return [.. U16(tag), .. U16((ushort)channels), .. U32((uint)rate), .. U32((uint)(rate * align)), .. U16((ushort)align), .. U16((ushort)bits)];
    }

    /// <summary>The 40-byte WAVE_FORMAT_EXTENSIBLE body with sub-format <paramref name="subTag"/>.</summary>
    public static byte[] ExtensibleFmtBody(ushort subTag, int channels, int rate, int containerBits, int validBits)
    {
        byte[] guidTail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];
        return [.. FmtBody(0xFFFE, channels, rate, containerBits), .. U16(22), .. U16((ushort)validBits), .. U32(0x3), .. U16(subTag), .. guidTail];
    }

    /// <summary>"RIFF" size "WAVE" followed by the chunks.</summary>
    public static byte[] Riff(params byte[][] chunks)
    {
        var body = chunks.SelectMany(c => c).ToArray();
        return [.. "RIFF"u8, .. U32((uint)(4 + body.Length)), .. "WAVE"u8, .. body];
    }

    /// <summary>A plain WAV: fmt + data.</summary>
    public static byte[] Wav(ushort tag, int channels, int rate, int bits, byte[] data) =>
        Riff(Chunk("fmt ", FmtBody(tag, channels, rate, bits)), Chunk("data", data));

    /// <summary>A Sun AU file: 24-byte big-endian header, optional annotation, data.</summary>
    public static byte[] Au(uint encoding, int channels, int rate, byte[] data, int annotationBytes = 0, uint? dataSize = null)
    {
        var annotation = new byte[annotationBytes];
        Encoding.ASCII.GetBytes("made by hand").AsSpan(0, Math.Min(12, annotationBytes)).CopyTo(annotation);
        return [.. ".snd"u8, .. B32((uint)(24 + annotationBytes)), .. B32(dataSize ?? (uint)data.Length), .. B32(encoding), .. B32((uint)rate), .. B32((uint)channels), .. annotation, .. data];
    }

    public static byte[] U16(ushort v)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        return b;
    }

    public static byte[] U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    public static byte[] B32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }

    public static AudioClip ReadBytes(byte[] bytes, string name = "test.wav") =>
        AudioFile.Read(new MemoryStream(bytes, writable: false), name);
}
