using CudaGenre.Core.Audio;

namespace CudaGenre.Core.Tests.Audio;

public class SpectrogramRendererTests
{
    private static readonly (byte, byte, byte) MagmaDarkest = (0, 0, 4);
    private static readonly (byte, byte, byte) MagmaBrightest = (252, 253, 191);

    [Fact]
    public void Magma_EndpointsAndMidpoint_AreMatplotlibsValues()
    {
        // matplotlib's _magma_data[0], [128], [255].
        Assert.Equal((0.001462f, 0.000466f, 0.013866f), MagmaColormap.Entry(0));
        Assert.Equal((0.716387f, 0.214982f, 0.475290f), MagmaColormap.Entry(128));
        Assert.Equal((0.987053f, 0.991438f, 0.749504f), MagmaColormap.Entry(255));
        // As matplotlib 3.6 draws pcolormesh(cmap='magma') on Agg at 0, 0.25, 0.5, 0.75 and 1 (measured).
        Assert.Equal(MagmaDarkest, MagmaColormap.Map(0));
        Assert.Equal(((byte)81, (byte)18, (byte)124), MagmaColormap.Map(0.25));
        Assert.Equal(((byte)183, (byte)55, (byte)121), MagmaColormap.Map(0.5));
        Assert.Equal(((byte)252, (byte)137, (byte)97), MagmaColormap.Map(0.75));
        Assert.Equal(MagmaBrightest, MagmaColormap.Map(1));
    }

    [Fact]
    public void Magma_TableMatchesThePublishedChecksum()
    {
        // Sum of all 768 values of matplotlib's _magma_data, and entry 127, as published with the table.
        var sum = Enumerable.Range(0, 256).Sum(i =>
        {
            var (r, g, b) = MagmaColormap.Entry(i);
            return (double)r + g + b;
        });
        Assert.Equal(353.40144, sum, 1e-4);
        Assert.Equal((0.709962f, 0.212797f, 0.477201f), MagmaColormap.Entry(127));
        Assert.Throws<ArgumentOutOfRangeException>(() => MagmaColormap.Entry(256));
    }

    [Fact]
    public void Magma_IndexFollowsMatplotlib()
    {
        Assert.Equal(0, MagmaColormap.IndexOf(-0.5));
        Assert.Equal(0, MagmaColormap.IndexOf(double.NaN));
        Assert.Equal(0, MagmaColormap.IndexOf(0.0039));
        Assert.Equal(1, MagmaColormap.IndexOf(0.0040));
        Assert.Equal(255, MagmaColormap.IndexOf(0.999));
        Assert.Equal(255, MagmaColormap.IndexOf(1.0));
        Assert.Equal(255, MagmaColormap.IndexOf(7.0));
    }

    [Fact]
    public void EnergyOnlyInTheLowestBand_IsBrightAtTheBottom_AndDarkAtTheTop()
    {
        var rng = new SeededRandom(9);
        var frames = 200;
        var values = new float[128 * frames];
        Array.Fill(values, -80f);
        for (var t = 0; t < frames; t++)
            values[t] = (float)rng.Uniform(-1, 0); // band 0, near the maximum
        var image = SpectrogramRenderer.Render(new Spectrogram(128, frames, values));
        Assert.Equal(432, image.Width);
        Assert.Equal(288, image.Height);
        for (var x = 0; x < image.Width; x++)
        {
            Assert.Equal(MagmaDarkest, image.GetPixel(x, 0));
            Assert.Equal(MagmaDarkest, image.GetPixel(x, 100));
            var (r, g, _) = image.GetPixel(x, 287);
            Assert.True(r > 240 && g > 200, $"bottom pixel {x} is ({r}, {g})");
        }
    }

    [Fact]
    public void TimeRunsLeftToRight()
    {
        var values = new float[10 * 100];
        Array.Fill(values, -80f);
        for (var m = 0; m < 10; m++)
        {
            for (var t = 0; t < 10; t++)
                values[(m * 100) + t] = 0; // the first tenth of the clip is loud
        }

        var image = SpectrogramRenderer.Render(new Spectrogram(10, 100, values), 100, 20);
        Assert.Equal(MagmaBrightest, image.GetPixel(2, 10));
        Assert.Equal(MagmaDarkest, image.GetPixel(97, 10));
    }

    [Fact]
    public void DecibelsMapLinearly_FromMinusTopDbToZero()
    {
        foreach (var (db, index) in new[] { (-80f, 0), (-60f, 64), (-40f, 128), (-20f, 192), (0f, 255), (-90f, 0), (5f, 255) })
        {
            var values = Enumerable.Repeat(db, 4 * 6).ToArray();
            var image = SpectrogramRenderer.Render(new Spectrogram(4, 6, values), 7, 5);
            Assert.All(Enumerable.Range(0, 35), i => Assert.Equal(MagmaColormap.EntryBytes(index), image.GetPixel(i % 7, i / 7)));
        }

        // A narrower range brightens the same value: −20 dB in a 40 dB range is the midpoint.
        var half = SpectrogramRenderer.Render(new Spectrogram(1, 1, [-20f]), 1, 1, topDb: 40);
        Assert.Equal(MagmaColormap.EntryBytes(128), half.GetPixel(0, 0));
    }

    [Fact]
    public void Resizing_IsBilinearWithAlignedPixelCentres()
    {
        // Two frames, −80 and 0 dB, stretched to 4 columns: source x = (x + 0.5)·2/4 − 0.5 = −0.25 (clamped to 0),
        // 0.25, 0.75, 1.25 (clamped to 1) → −80, −60, −20, 0 dB → entries 0, 64, 192, 255.
        var image = SpectrogramRenderer.Render(new Spectrogram(1, 2, [-80f, 0f]), 4, 3);
        int[] expected = [0, 64, 192, 255];
        for (var x = 0; x < 4; x++)
        {
            for (var y = 0; y < 3; y++)
                Assert.Equal(MagmaColormap.EntryBytes(expected[x]), image.GetPixel(x, y));
        }

        // The same vertically, with band 0 at the bottom: rows top→bottom read band 1 … band 0.
        var tall = SpectrogramRenderer.Render(new Spectrogram(2, 1, [-80f, 0f]), 1, 4);
        int[] topDown = [255, 192, 64, 0];
        for (var y = 0; y < 4; y++)
            Assert.Equal(MagmaColormap.EntryBytes(topDown[y]), tall.GetPixel(0, y));
    }

    [Fact]
    public void BadArguments_AreRejected()
    {
        var s = new Spectrogram(1, 1, [0f]);
        Assert.Throws<ArgumentOutOfRangeException>(() => SpectrogramRenderer.Render(s, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpectrogramRenderer.Render(s, 10, 10, topDb: 0));
    }
}
