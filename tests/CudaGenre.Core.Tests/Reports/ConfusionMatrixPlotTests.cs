using CudaGenre.Core.Metrics;
using CudaGenre.Reports;
using ScottPlot;
using SkiaSharp;

namespace CudaGenre.Core.Tests.Reports;

public class ConfusionMatrixPlotTests
{
    private const int Blues = 0, Jazz = 5, Rock = 9;

    /// <summary>
    /// Every genre is classified perfectly (10 of 10) except rock: 1 correct, 9 taken for jazz. So the
    /// top-left cell (blues, blues) is 1.0, (rock, blues) bottom-left is 0, (rock, jazz) is 0.9 and its
    /// transpose (jazz, rock) is 0: any flip or transposition of the image moves a light cell into a dark spot.
    /// </summary>
    private static ConfusionMatrix BluesPerfectRockBad()
    {
        var m = new ConfusionMatrix();
        for (var genre = 0; genre < Rock; genre++)
        {
            for (var i = 0; i < 10; i++)
                m.Add(genre, genre);
        }
        m.Add(Rock, Rock);
        for (var i = 0; i < 9; i++)
            m.Add(Rock, Jazz);
        return m;
    }

    [Fact]
    public void SavePng_WritesAPngOfTheRequestedSize_ThatIsNotBlank()
    {
        using var folder = new TempFolder();
        var path = folder.File("confusion.png");

        ConfusionMatrixPlot.SavePng(BluesPerfectRockBad(), path, "test", 640, 520);

        PngInspection.AssertPlot(path, 640, 520);
    }

    [Fact]
    public void SavePng_UsesTheDefaultSize_AndCreatesTheFolder()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "run-1", "plots", "confusion.png");

        ConfusionMatrixPlot.SavePng(BluesPerfectRockBad(), path, "test");

        using var png = PngInspection.Decode(path);
        Assert.Equal(900, png.Width);
        Assert.Equal(800, png.Height);
    }

    [Fact]
    public void FirstGenreIsTheTopRowAndLeftColumn_RowsAreTruth()
    {
        using var folder = new TempFolder();
        var path = folder.File("orientation.png");
        var n = Genres.Count;

        // The data rectangle comes from ScottPlot's last render; the cell geometry below is ours, from the
        // picture's point of view (row 0 at the top, column 0 at the left), not from the plot code.
        var data = ConfusionMatrixPlot.Save(BluesPerfectRockBad(), path, "orientation", 900, 800);
        using var png = PngInspection.Decode(path);

        // Sample a quarter of the way into the cell: away from the count in its centre and the grid lines.
        SKColor Cell(int row, int column) => png.GetPixel(
            (int)(data.Left + ((column + 0.25) * data.Width / n)),
            (int)(data.Top + ((row + 0.25) * data.Height / n)));

        var topLeft = Cell(0, 0);
        var bottomLeft = Cell(n - 1, 0);
        AssertColour(ConfusionMatrixPlot.Colormap.GetColor(1.0), topLeft, "blues→blues (top left)");
        AssertColour(ConfusionMatrixPlot.Colormap.GetColor(0.0), bottomLeft, "rock→blues (bottom left)");
        AssertColour(ConfusionMatrixPlot.Colormap.GetColor(0.0), Cell(0, n - 1), "blues→rock (top right)");
        AssertColour(ConfusionMatrixPlot.Colormap.GetColor(0.1), Cell(Rock, Rock), "rock→rock (bottom right)");
        AssertColour(ConfusionMatrixPlot.Colormap.GetColor(0.9), Cell(Rock, Jazz), "rock→jazz (bottom row)");
        AssertColour(ConfusionMatrixPlot.Colormap.GetColor(0.0), Cell(Jazz, Rock), "jazz→rock (right column)");

        // Independently of the colour map: the perfectly classified cell is the dark one.
        Assert.True(Luminance(topLeft) < 0.5 * Luminance(bottomLeft), $"top left {topLeft} is not darker than bottom left {bottomLeft}");
    }

    [Fact]
    public void RowFractions_AreEachRowOverItsSupport_NaNForClassesWithoutSamples()
    {
        var m = ConfusionMatrix.FromCounts([[3, 1, 0], [1, 1, 1], [0, 0, 0]], ["blues", "classical", "country"]);
        var f = ConfusionMatrixPlot.RowFractions(m);
        Assert.Equal(0.75, f[0, 0]);
        Assert.Equal(0.25, f[0, 1]);
        Assert.Equal(0.0, f[0, 2]);
        Assert.Equal(1.0 / 3.0, f[1, 2]);
        Assert.True(double.IsNaN(f[2, 0]) && double.IsNaN(f[2, 2]));
    }

    [Fact]
    public void SavePng_RendersARowForAClassWithoutSamples()
    {
        using var folder = new TempFolder();
        var path = folder.File("missing-class.png");
        var m = ConfusionMatrix.FromCounts([[3, 1, 0], [1, 1, 1], [0, 0, 0]], ["blues", "classical", "country"]);

        var data = ConfusionMatrixPlot.Save(m, path, "missing class", 600, 500);

        using var png = PngInspection.Decode(path);
        var emptyRow = png.GetPixel((int)(data.Left + (0.25 * data.Width / 3)), (int)(data.Top + (2.25 * data.Height / 3)));
        AssertColour(ConfusionMatrixPlot.EmptyRowColor, emptyRow, "country row (no samples)");
    }

    [Fact]
    public void SavePng_RejectsAnEmptyMatrix()
    {
        using var folder = new TempFolder();
        Assert.Throws<ArgumentException>(() => ConfusionMatrixPlot.SavePng(new ConfusionMatrix(), folder.File("empty.png"), "empty"));
        Assert.False(File.Exists(folder.File("empty.png")));
    }

    private static void AssertColour(Color expected, SKColor actual, string cell)
    {
        var distance = Math.Abs(expected.R - actual.Red) + Math.Abs(expected.G - actual.Green) + Math.Abs(expected.B - actual.Blue);
        Assert.True(distance <= 12, $"{cell}: expected {expected.ToHex()}, found {actual}.");
    }

    private static double Luminance(SKColor c) => (0.2126 * c.Red) + (0.7152 * c.Green) + (0.0722 * c.Blue);
}
