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

    /// <summary>A real 16×8 RGBA PNG of random pixels whose IHDR declares another size (issue #15: such a file crashed the process).</summary>
    private static byte[] CraftedPng(uint width, uint height, ulong seed)
    {
        var pixels = new byte[16 * 8 * 4];
        new SeededRandom(seed).NextBytes(pixels);
        return HandMadePng.WithDeclaredSize(HandMadePng.Rgba(16, 8, pixels), width, height);
    }

    [Theory]
    [InlineData(65536u, 16385u, "width 65536 is over the limit of 16384")]
    [InlineData(60000u, 60000u, "width 60000 is over the limit of 16384")]
    [InlineData(1000000u, 1000000u, "width 1000000 is over the limit of 16384")]
    [InlineData(16000u, 20000u, "height 20000 is over the limit of 16384")]
    [InlineData(16000u, 16000u, "16000×16000 = 256000000 pixels, over the limit of 33554432")]
    [InlineData(4294967295u, 1u, "width 4294967295 is over the limit")]
    public void Decode_ASizeOverTheLimits_IsRefusedFromTheHeader_NamingFileValueAndLimit(uint width, uint height, string expected)
    {
        var crafted = CraftedPng(width, height, seed: width ^ height);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<DataFileException>(() => ImageFile.Decode(crafted, "crafted.png"));

        Assert.Equal("crafted.png", e.FilePath);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        // Refused before any pixel memory: far less than one row of the declared image.
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "pixel memory was allocated before the size was checked");
    }

    [Fact]
    public void Decode_WithLimitsRaised_ASizeThatWrapsIn32Bits_IsStillRefused_NotWrittenPastABuffer()
    {
        // 65536×16385×4 = 2^32 + 2^18 bytes: SkiaSharp's int BytesSize wraps to 262144 and the decoder wrote past it.
        var open = new InputLimits { MaxImageWidth = int.MaxValue, MaxImageHeight = int.MaxValue, MaxImagePixels = long.MaxValue };

        var e = Assert.Throws<DataFileException>(() => ImageFile.Decode(CraftedPng(65536, 16385, 7), "wrap.png", open));

        Assert.Contains("4295229440 bytes, more than one buffer can hold", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ARaisedLimit_LetsALargerImageThrough()
    {
        var image = new RgbImage(40, 30);
        new SeededRandom(11).NextBytes(image.Pixels);
        using var temp = new TempFolder();
        var path = temp.File("wide.png");
        ImageFile.WritePng(path, image);
        var tight = new InputLimits { MaxImageWidth = 39 };

        Assert.Contains("width 40 is over the limit of 39", Assert.Throws<DataFileException>(() => ImageFile.Read(path, tight)).Message, StringComparison.Ordinal);
        Assert.Contains("1200 pixels, over the limit of 1199", Assert.Throws<DataFileException>(() => ImageFile.Read(path, new InputLimits { MaxImagePixels = 1199 })).Message, StringComparison.Ordinal);
        Assert.Equal(image.Pixels, ImageFile.Read(path, new InputLimits { MaxImageWidth = 40, MaxImagePixels = 1200 }).Pixels);
    }

    [Fact]
    public void ImageHeader_ReadsTheSizeDeclaredByPngGifAndBmp()
    {
        var random = new SeededRandom(21);
        for (var i = 0; i < 50; i++)
        {
            var (w, h) = ((uint)(1 + random.NextInt(int.MaxValue - 1)) * 2, (uint)(1 + random.NextInt(int.MaxValue - 1)) * 2);
            Assert.True(ImageHeader.TryReadSize(CraftedPng(w, h, (ulong)i), out var pw, out var ph));
            Assert.Equal(((long)w, (long)h), (pw, ph));

            var (gw, gh) = ((ushort)(1 + random.NextInt(65536 - 1)), (ushort)(1 + random.NextInt(65536 - 1)));
            byte[] gif = [.. "GIF89a"u8, (byte)gw, (byte)(gw >> 8), (byte)gh, (byte)(gh >> 8)];
            Assert.True(ImageHeader.TryReadSize(gif, out var gwr, out var ghr));
            Assert.Equal(((long)gw, (long)gh), (gwr, ghr));

            var bmp = new byte[54];
            "BM"u8.CopyTo(bmp);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bmp.AsSpan(14), 40);
            var (bw, bh) = (1 + random.NextInt(int.MaxValue - 1), 1 + random.NextInt(int.MaxValue - 1));
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), bw);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), -bh); // top-down
            Assert.True(ImageHeader.TryReadSize(bmp, out var bwr, out var bhr));
            Assert.Equal(((long)bw, (long)bh), (bwr, bhr));
        }
        Assert.False(ImageHeader.TryReadSize([0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 0x4A, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], out _, out _)); // JPEG: SkiaSharp reads its size
    }

    [Fact]
    public void Read_AFileLargerThanAnyImageWithinTheLimits_IsRefusedBeforeItIsRead()
    {
        using var temp = new TempFolder();
        var image = new RgbImage(40, 30);
        new SeededRandom(12).NextBytes(image.Pixels);
        var path = temp.File("padded.png");
        ImageFile.WritePng(path, image);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
            stream.SetLength(64L << 20); // 64 MiB, sparse: a valid PNG followed by zeros
        var limits = new InputLimits { MaxImagePixels = 1000 }; // at most 4000 bytes of pixels + 1 MiB of headers
        var before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<DataFileException>(() => ImageFile.Read(path, limits));

        Assert.Contains($"the file is {64L << 20} bytes, more than an image within the limits can be ({4000 + (1 << 20)} bytes", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8 << 20, "the file was read before its length was checked");
    }
}
