using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace CudaGenre.Core.Tests.Imaging;

/// <summary>
/// Builds PNG files byte by byte (PNG spec: signature, IHDR, PLTE, IDAT with filter 0, IEND, CRC-32),
/// so decoder tests do not depend on an encoder of the library under test.
/// </summary>
public static class HandMadePng
{
    /// <summary>An 8-bit RGBA PNG (colour type 6); <paramref name="rgba"/> is row-major.</summary>
    public static byte[] Rgba(int width, int height, byte[] rgba) => Build(width, height, 6, rgba, 4, null);

    /// <summary>An 8-bit palette PNG (colour type 3); <paramref name="indices"/> is row-major.</summary>
    public static byte[] Palette(int width, int height, byte[] indices, byte[] paletteRgb) => Build(width, height, 3, indices, 1, paletteRgb);

    /// <summary>
    /// <paramref name="png"/> with the width and height in its IHDR replaced (and the chunk's CRC recomputed), the
    /// way a crafted file declares a size its data does not have.
    /// </summary>
    public static byte[] WithDeclaredSize(byte[] png, uint width, uint height)
    {
        var copy = (byte[])png.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(29), Crc32(copy[12..29]));
        return copy;
    }

    private static byte[] Build(int width, int height, byte colourType, byte[] pixels, int bytesPerPixel, byte[]? palette)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = colourType;
        WriteChunk(png, "IHDR", ihdr);
        if (palette is not null)
            WriteChunk(png, "PLTE", palette);
        using var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            raw.Write(pixels, y * width * bytesPerPixel, width * bytesPerPixel);
        }
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(raw.ToArray());
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        s.Write(word);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
