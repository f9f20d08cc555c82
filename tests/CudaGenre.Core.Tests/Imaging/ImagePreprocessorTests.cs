using CudaGenre.Core.Imaging;

namespace CudaGenre.Core.Tests.Imaging;

public class ImagePreprocessorTests
{
    [Fact]
    public void Downscale_ByTwo_IsATriangleFilterTwiceAsWide()
    {
        // Hand-computed: scale 2, support 2. Output 0 has centre 1 → taps 0,1,2 with raw weights
        // 0.75, 0.75, 0.25 (sum 1.75); output 1 has centre 3 → taps 1,2,3 with 0.25, 0.75, 0.75.
        var f = new ResizeFilter(4, 2);
        AssertTaps(f, 0, 0, [3 / 7f, 3 / 7f, 1 / 7f]);
        AssertTaps(f, 1, 1, [1 / 7f, 3 / 7f, 3 / 7f]);
    }

    [Fact]
    public void Upscale_ByTwo_IsPlainBilinearWithRenormalizedEdges()
    {
        var f = new ResizeFilter(2, 4);
        AssertTaps(f, 0, 0, [1f]);
        AssertTaps(f, 1, 0, [0.75f, 0.25f]);
        AssertTaps(f, 2, 0, [0.25f, 0.75f]);
        AssertTaps(f, 3, 1, [1f]);
    }

    [Fact]
    public void SameSize_IsTheIdentity()
    {
        var f = new ResizeFilter(5, 5);
        for (var i = 0; i < 5; i++)
        {
            var taps = f.Taps(i, out var first);
            Assert.Equal(i, first);
            Assert.Equal(1f, taps[0]);
            for (var k = 1; k < taps.Length; k++)
                Assert.Equal(0f, taps[k]);
        }
    }

    [Fact]
    public void Process_ResizesScalesNormalizesAndLaysOutChw_AsComputedByHand()
    {
        // A 4×2 image resized to 2×1. Rows: vertical scale 2 → both input rows weigh 1/2.
        // Columns: weights (3/7, 3/7, 1/7) over x=0..2 and (1/7, 3/7, 3/7) over x=1..3.
        var image = new RgbImage(4, 2);
        byte[,] red = { { 10, 20, 30, 40 }, { 50, 60, 70, 80 } };
        for (var y = 0; y < 2; y++)
            for (var x = 0; x < 4; x++)
                image.SetPixel(x, y, red[y, x], (byte)(255 - red[y, x]), (byte)(x * 60));

        var settings = new PreprocessSettings { Width = 2, Height = 1, Mean = [0.5f, 0.25f, 0.1f], Std = [0.5f, 0.2f, 1f] };
        var t = new ImagePreprocessor(settings).Process(image);

        Assert.Equal(6, t.Length);
        // Column-average of red: (30, 40, 50, 60); then 3/7·30 + 3/7·40 + 1/7·50 and 1/7·40 + 3/7·50 + 3/7·60.
        var r0 = ((3 * 30) + (3 * 40) + 50) / 7.0;
        var r1 = (40 + (3 * 50) + (3 * 60)) / 7.0;
        Assert.Equal((r0 / 255 - 0.5) / 0.5, t[0], 5);
        Assert.Equal((r1 / 255 - 0.5) / 0.5, t[1], 5);
        // Green is 255 − red.
        Assert.Equal(((255 - r0) / 255 - 0.25) / 0.2, t[2], 5);
        Assert.Equal(((255 - r1) / 255 - 0.25) / 0.2, t[3], 5);
        // Blue is 0, 60, 120, 180 along x in both rows.
        var b0 = ((3 * 0) + (3 * 60) + 120) / 7.0;
        var b1 = (60 + (3 * 120) + (3 * 180)) / 7.0;
        Assert.Equal(b0 / 255 - 0.1, t[4], 5);
        Assert.Equal(b1 / 255 - 0.1, t[5], 5);
    }

    [Fact]
    public void Process_OfARandomImage_PreservesTheMeanOfEachChannel()
    {
        // A normalized triangle filter preserves the mean of a smooth image up to edge effects;
        // on random pixels with an exact 2× factor in both axes it preserves it to rounding.
        var rng = new SeededRandom(3);
        var image = new RgbImage(64, 48);
        rng.NextBytes(image.Pixels);
        var settings = new PreprocessSettings { Width = 32, Height = 24, Mean = [0, 0, 0], Std = [1, 1, 1] };
        var t = new ImagePreprocessor(settings).Process(image);
        for (var c = 0; c < 3; c++)
        {
            var input = 0.0;
            for (var i = c; i < image.Pixels.Length; i += 3)
                input += image.Pixels[i] / 255.0;
            input /= 64 * 48;
            var output = t.AsSpan(c * 32 * 24, 32 * 24).ToArray().Average();
            Assert.Equal(input, output, 2);
        }
    }

    [Fact]
    public void Process_RejectsADestinationOfTheWrongSize()
    {
        var p = new ImagePreprocessor(new PreprocessSettings { Width = 8, Height = 8 });
        var e = Assert.Throws<ArgumentException>(() => p.Process(new RgbImage(4, 4), new float[3 * 8 * 7]));
        Assert.Contains("3×8×8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_RejectNonPositiveStd()
        => Assert.Throws<ArgumentException>(() => new ImagePreprocessor(new PreprocessSettings { Width = 2, Height = 2, Std = [1, 0, 1] }));

    [Fact]
    public void ConcurrentCalls_OnImagesOfTwoSizes_GiveTheSerialResults()
    {
        // One preprocessor shared by many threads (an engine session's Classify), the size alternating, so the
        // cached filter pair is replaced while others read it.
        var p = new ImagePreprocessor(new PreprocessSettings { Width = 24, Height = 16 });
        var random = new SeededRandom(8);
        RgbImage Make(int w, int h) => new(w, h, [.. Enumerable.Range(0, w * h * 3).Select(_ => (byte)random.NextInt(256))]);
        RgbImage[] images = [Make(53, 31), Make(17, 40)];
        var expected = images.Select(i => new ImagePreprocessor(p.Settings).Process(i)).ToArray();
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, n =>
        {
            var which = n % 2;
            Assert.Equal(expected[which], p.Process(images[which]));
        });
    }

    private static void AssertTaps(ResizeFilter f, int i, int expectedFirst, float[] expected)
    {
        var taps = f.Taps(i, out var first);
        Assert.Equal(expectedFirst, first);
        Assert.Equal(expected.Length, taps.Length);
        for (var k = 0; k < expected.Length; k++)
            Assert.Equal(expected[k], taps[k], 6);
    }
}
