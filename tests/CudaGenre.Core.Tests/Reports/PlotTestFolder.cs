using SkiaSharp;

namespace CudaGenre.Core.Tests.Reports;

/// <summary>A fresh temporary folder for the PNGs of one test, deleted afterwards; and PNG inspection helpers.</summary>
internal sealed class PlotTestFolder : IDisposable
{
    public PlotTestFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cudagenre-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }

    /// <summary>Decodes the PNG at <paramref name="path"/>, failing the test if it is missing or not an image.</summary>
    public static SKBitmap Decode(string path)
    {
        Assert.True(System.IO.File.Exists(path), $"{path} was not written.");
        var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        return bitmap;
    }

    public static int DistinctColours(SKBitmap bitmap) => bitmap.Pixels.Distinct().Count();
}
