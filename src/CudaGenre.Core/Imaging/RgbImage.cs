namespace CudaGenre.Core.Imaging;

/// <summary>
/// An 8-bit RGB image in memory: <see cref="Pixels"/> holds Height × Width × 3 bytes, row-major,
/// top row first, channels in R, G, B order (HWC). Alpha is never stored: decoders drop it.
/// </summary>
public sealed class RgbImage
{
    /// <summary>Creates a black image of the given size.</summary>
    public RgbImage(int width, int height)
        : this(width, height, new byte[checked(width * height * 3)])
    {
    }

    /// <summary>Wraps existing pixels (HWC, RGB, length Height × Width × 3).</summary>
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != checked(width * height * 3))
            throw new ArgumentException($"Expected {width * height * 3} bytes for {width}×{height} RGB, got {pixels.Length}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixels: HWC, RGB, 8 bits per channel, top row first.</summary>
    public byte[] Pixels { get; }

    /// <summary>Sets pixel (x, y), x from the left, y from the top.</summary>
    public void SetPixel(int x, int y, byte r, byte g, byte b)
    {
        var i = ((y * Width) + x) * 3;
        Pixels[i] = r;
        Pixels[i + 1] = g;
        Pixels[i + 2] = b;
    }

    /// <summary>Reads pixel (x, y), x from the left, y from the top.</summary>
    public (byte R, byte G, byte B) GetPixel(int x, int y)
    {
        var i = ((y * Width) + x) * 3;
        return (Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }
}
