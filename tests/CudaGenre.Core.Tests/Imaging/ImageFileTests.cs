using CudaGenre.Core.Imaging;

namespace CudaGenre.Core.Tests.Imaging;

public class ImageFileTests
{
    [Fact]
    public void WritePng_ThenRead_GivesBackEveryPixel()
    {
        using var temp = new TempFolder();
        var image = new RgbImage(37, 23);
        new SeededRandom(5).NextBytes(image.Pixels);
        var path = temp.File("a", "b", "random.png");

        ImageFile.WritePng(path, image);
        var back = ImageFile.Read(path);

        Assert.Equal((37, 23), (back.Width, back.Height));
        Assert.Equal(image.Pixels, back.Pixels);
        Assert.Empty(Directory.GetFiles(temp.File("a", "b"), "*.partial"));
    }

    [Fact]
    public void Read_DropsAlpha_WithoutPremultiplying()
    {
        using var temp = new TempFolder();
        var path = temp.File("rgba.png");
        File.WriteAllBytes(path, HandMadePng.Rgba(2, 1, [200, 100, 50, 0, 10, 20, 30, 128]));

        var image = ImageFile.Read(path);

        Assert.Equal(((byte)200, (byte)100, (byte)50), image.GetPixel(0, 0));
        Assert.Equal(((byte)10, (byte)20, (byte)30), image.GetPixel(1, 0));
    }

    [Fact]
    public void Read_PalettePng_LooksUpEveryIndex()
    {
        using var temp = new TempFolder();
        var path = temp.File("palette.png");
        byte[] palette = [0, 0, 4, 252, 253, 191, 183, 55, 121];
        File.WriteAllBytes(path, HandMadePng.Palette(3, 2, [0, 1, 2, 2, 1, 0], palette));

        var image = ImageFile.Read(path);

        Assert.Equal(((byte)0, (byte)0, (byte)4), image.GetPixel(0, 0));
        Assert.Equal(((byte)252, (byte)253, (byte)191), image.GetPixel(1, 0));
        Assert.Equal(((byte)183, (byte)55, (byte)121), image.GetPixel(0, 1));
        Assert.Equal(((byte)0, (byte)0, (byte)4), image.GetPixel(2, 1));
    }

    [Fact]
    public void Read_TruncatedPng_SaysTruncated_AndNamesTheFile()
    {
        using var temp = new TempFolder();
        var image = new RgbImage(64, 64);
        new SeededRandom(9).NextBytes(image.Pixels);
        var path = temp.File("cut.png");
        ImageFile.WritePng(path, image);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<DataFileException>(() => ImageFile.Read(path));

        Assert.Equal(path, e.FilePath);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NotAnImage_ShowsTheFirstBytes()
    {
        using var temp = new TempFolder();
        var path = temp.File("fake.png");
        File.WriteAllText(path, "PK this is a zip, not a PNG");
        var e = Assert.Throws<DataFileException>(() => ImageFile.Read(path));
        Assert.Contains("not a readable image", e.Message, StringComparison.Ordinal);
        Assert.Contains("50 4B", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_EmptyOrMissingFile_IsAClearError()
    {
        using var temp = new TempFolder();
        var empty = temp.File("empty.png");
        File.WriteAllBytes(empty, []);
        Assert.Contains("empty", Assert.Throws<DataFileException>(() => ImageFile.Read(empty)).Message, StringComparison.Ordinal);
        var missing = temp.File("missing.png");
        Assert.Contains("cannot be read", Assert.Throws<DataFileException>(() => ImageFile.Read(missing)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RealGtzanPalettePng_Gives432By288Rgb()
    {
        var root = SharedData.RequireGtzan();
        var image = ImageFile.Read(Path.Combine(root, "images_original", "blues", "blues00001.png"));
        Assert.Equal((432, 288), (image.Width, image.Height));
        // A magma spectrogram: not grey, many distinct colours.
        var colours = new HashSet<int>();
        for (var i = 0; i < image.Pixels.Length; i += 3)
            colours.Add((image.Pixels[i] << 16) | (image.Pixels[i + 1] << 8) | image.Pixels[i + 2]);
        Assert.InRange(colours.Count, 50, 256);
    }
}
