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
}
