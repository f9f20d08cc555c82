using SkiaSharp;

namespace CudaGenre.Core.Tests.Reports;

/// <summary>Helpers to look inside the PNGs the plots write.</summary>
internal static class PngInspection
{
    /// <summary>Decodes the PNG at <paramref name="path"/>, failing the test if it is missing or not an image.</summary>
    public static SKBitmap Decode(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written.");
        var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        return bitmap;
    }

    public static int DistinctColours(SKBitmap bitmap) => bitmap.Pixels.Distinct().Count();

    /// <summary>A plot was written at <paramref name="path"/> with the given size, and is not blank (many colours).</summary>
    public static void AssertPlot(string path, int width, int height)
    {
        using var png = Decode(path);
        Assert.Equal(width, png.Width);
        Assert.Equal(height, png.Height);
        Assert.True(DistinctColours(png) > 50, "The image looks blank.");
    }
}
