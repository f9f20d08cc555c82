using SkiaSharp;

namespace CudaGenre.Core.Imaging;

/// <summary>
/// Reads and writes image files. Decoding goes through SkiaSharp (PNG, JPEG, BMP, GIF, WebP; RGB, RGBA,
/// grey or palette): alpha is dropped, not composited, because spectrogram images are opaque and an
/// alpha channel there carries no information.
/// </summary>
public static class ImageFile
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    // The IEND chunk's type and CRC, which never change.
    private static ReadOnlySpan<byte> PngEnd => [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82];

    /// <summary>Decodes the image at <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="limits">Size limits (default <see cref="InputLimits.Default"/>), checked from the header before any pixel memory is allocated.</param>
    /// <exception cref="DataFileException">The file is missing, empty, too large, not an image, truncated or corrupt, or declares a size over a limit.</exception>
    public static RgbImage Read(string path, InputLimits? limits = null)
    {
        limits ??= InputLimits.Default;
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            // An encoded image is never larger than its pixels uncompressed (plus headers), so a bigger file is not worth reading.
            var cap = SizeMath.Add(SizeMath.Multiply(limits.MaxImagePixels, 4), 1 << 20);
            if (stream.Length > cap)
                throw new DataFileException(path, $"the file is {stream.Length} bytes, more than an image within the limits can be ({cap} bytes for InputLimits.MaxImagePixels = {limits.MaxImagePixels})");
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not DataFileException)
        {
            throw new DataFileException(path, $"cannot be read ({e.Message})", e);
        }
        return Decode(bytes, path, limits);
    }

    /// <summary>
    /// Decodes an encoded image held in memory; <paramref name="name"/> names it in errors. A pure function of the
    /// bytes: it returns the image or throws <see cref="DataFileException"/>, whatever the bytes are.
    /// </summary>
    /// <param name="encoded">The file's bytes.</param>
    /// <param name="name">What to call it in errors (usually its path).</param>
    /// <param name="limits">Size limits (default <see cref="InputLimits.Default"/>). The size the file declares is
    /// checked against them before it reaches the decoder (PNG, GIF and BMP headers are read here; JPEG and WebP sizes
    /// come from SkiaSharp's header parse) and before any pixel memory is allocated.</param>
    /// <exception cref="DataFileException">The bytes are empty, not an image, truncated or corrupt, or declare a size over a limit.</exception>
    public static RgbImage Decode(ReadOnlySpan<byte> encoded, string name, InputLimits? limits = null)
    {
        limits ??= InputLimits.Default;
        if (encoded.IsEmpty)
            throw new DataFileException(name, "the file is empty");
        // SkiaSharp computes a decoded size in 32 bits; a crafted header can make it wrap. Check the size ourselves first.
        if (ImageHeader.TryReadSize(encoded, out var declaredWidth, out var declaredHeight))
            limits.CheckImageSize(name, declaredWidth, declaredHeight);
        // libpng decodes a PNG cut inside its last chunk without complaint (all pixels may be there,
        // only checksums and IEND missing), so a cut file would pass; check the end marker ourselves.
        if (encoded.StartsWith(PngSignature) && encoded.LastIndexOf(PngEnd) < 0)
            throw new DataFileException(name, "truncated (the PNG ends before its IEND chunk)");
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(new SKMemoryStream(data), out var opened);
        if (codec is null)
            throw new DataFileException(name, $"not a readable image ({Describe(opened)}; starts with {Signature(encoded)}); supported images: {FileSignature.Images}");

        var (width, height) = (codec.Info.Width, codec.Info.Height);
        limits.CheckImageSize(name, width, height);
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        // Not info.BytesSize: that is an int product, which wraps (65536×16385×4 gives 262144), and the decoder then
        // writes past the buffer. Checked 64-bit arithmetic, and a size one array can hold, whatever the limits say.
        var decodedBytes = SizeMath.Product(width, height, 4);
        if (decodedBytes > Array.MaxLength)
            throw new DataFileException(name, $"the image is {width}×{height} pixels: decoded, that is {decodedBytes} bytes, more than one buffer can hold ({Array.MaxLength})");
        var rgba = new byte[decodedBytes];
        SKCodecResult result;
        unsafe
        {
            fixed (byte* p = rgba)
                result = codec.GetPixels(info, (nint)p);
        }
        if (result != SKCodecResult.Success)
            throw new DataFileException(name, $"the image data is {Describe(result)}");

        var image = new RgbImage(width, height);
        var rgb = image.Pixels;
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgb[j] = rgba[i];
            rgb[j + 1] = rgba[i + 1];
            rgb[j + 2] = rgba[i + 2];
        }
        return image;
    }

    /// <summary>
    /// Writes <paramref name="image"/> as an 8-bit RGB PNG. The file is written to a temporary name
    /// first and then moved into place, so a crash never leaves a half-written image behind.
    /// </summary>
    public static void WritePng(string path, RgbImage image)
    {
        var png = EncodePng(image, path);
        AtomicFile.Write(path, png);
    }

    /// <summary>Encodes <paramref name="image"/> as an 8-bit RGB PNG in memory.</summary>
    /// <param name="image">The image.</param>
    /// <param name="nameForErrors">What to call the image in an error message.</param>
    /// <exception cref="DataFileException">SkiaSharp could not encode it.</exception>
    public static byte[] EncodePng(RgbImage image, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(image);
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var rgba = new byte[SizeMath.ToArrayLength(SizeMath.Product(image.Width, image.Height, 4), $"{nameForErrors}: the RGBA buffer (bytes)")];
        var rgb = image.Pixels;
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgba[i] = rgb[j];
            rgba[i + 1] = rgb[j + 1];
            rgba[i + 2] = rgb[j + 2];
            rgba[i + 3] = 255;
        }
        SKData? encoded;
        unsafe
        {
            fixed (byte* p = rgba)
            {
                using var pixmap = new SKPixmap(info, (nint)p);
                encoded = pixmap.Encode(SKEncodedImageFormat.Png, 100);
            }
        }
        using var _ = encoded;
        if (encoded is null)
            throw new DataFileException(nameForErrors, "SkiaSharp could not encode the image as PNG");
        return encoded.ToArray();
    }

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "truncated (the file ends before the image data does)",
        SKCodecResult.ErrorInInput => "corrupt (the decoder found invalid data)",
        SKCodecResult.InvalidInput => "invalid",
        SKCodecResult.Unimplemented => "in an unsupported format",
        _ => $"unreadable ({result})",
    };

    private static string Signature(ReadOnlySpan<byte> bytes)
    {
        var head = bytes[..Math.Min(8, bytes.Length)];
        return string.Join(' ', head.ToArray().Select(b => b.ToString("X2")));
    }
}
