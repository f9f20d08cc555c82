using System.Buffers.Binary;

namespace CudaGenre.Core.Imaging;

/// <summary>
/// Reads the pixel size an image file declares from its first bytes, without decoding anything, so that
/// <see cref="InputLimits"/> can refuse an oversized image before it reaches the decoder.
/// </summary>
public static class ImageHeader
{
    /// <summary>
    /// The width and height declared by a PNG (IHDR), GIF (logical screen) or BMP (DIB header) file. False for
    /// other formats and for headers too short to hold a size (the decoder then reports the problem).
    /// </summary>
    public static bool TryReadSize(ReadOnlySpan<byte> bytes, out long width, out long height)
    {
        (width, height) = (0, 0);
        // PNG: 8-byte signature, then the IHDR chunk (length, "IHDR", width and height as big-endian uint32).
        if (bytes.Length >= 24 && bytes.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            && bytes[12..16].SequenceEqual("IHDR"u8))
        {
            width = BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]);
            height = BinaryPrimitives.ReadUInt32BigEndian(bytes[20..]);
            return true;
        }
        // GIF: "GIF87a"/"GIF89a", then the logical screen's width and height as little-endian uint16.
        if (bytes.Length >= 10 && (bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8)))
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
            return true;
        }
        // BMP: 14-byte file header, then the DIB header: 12 bytes (OS/2: uint16 sizes) or more (int32 sizes; a
        // negative height means top-down rows).
        if (bytes.Length >= 26 && bytes.StartsWith("BM"u8))
        {
            var dib = BinaryPrimitives.ReadUInt32LittleEndian(bytes[14..]);
            if (dib == 12)
            {
                width = BinaryPrimitives.ReadUInt16LittleEndian(bytes[18..]);
                height = BinaryPrimitives.ReadUInt16LittleEndian(bytes[20..]);
            }
            else
            {
                width = BinaryPrimitives.ReadInt32LittleEndian(bytes[18..]);
                height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(bytes[22..]));
            }
            return true;
        }
        return false;
    }
}
