using CudaGenre.Reports;
using ScottPlot;
using SkiaSharp;

namespace CudaGenre.Core.Tests.Reports;

public class GridComparisonPlotTests
{
    [Fact]
    public void SavePng_WritesAPlotOfTheRequestedSize()
    {
        using var folder = new TempFolder();
        var path = folder.File("grid.png");

        GridComparisonPlot.SavePng([new("cnn", 0.73, 0.64, 0.82, 0.80, 0.51)], path, "test", 900, 400);

        PngInspection.AssertPlot(path, 900, 400);
    }

    [Fact]
    public void BarsEndAtTheirValues_OnAFixedZeroToOneAxis_FirstRowOnTop()
    {
        using var folder = new TempFolder();
        var path = folder.File("geometry.png");
        // Row 0 (top): ours 0.30, the study 0.90. Row 1 (bottom): ours 0.70, no study figure.
        GridPlotRow[] rows = [new("top", 0.30, 0.25, 0.35, null, 0.90), new("bottom", 0.70, 0.60, 0.80, null, null)];

        var data = GridComparisonPlot.Save(rows, path, "geometry", 1000, 500);
        using var png = PngInspection.Decode(path);

        // The y axis spans [-0.6, n - 0.4] = [-0.6, 1.6]; row i is centred at n - 1 - i, ours below the centre and
        // the study above it. Sample a quarter bar away from the bar's middle, off the whisker line.
        const double bottom = -0.6, top = 1.6;
        int X(double value) => (int)(data.Left + (value * data.Width));
        int Y(double y) => (int)(data.Top + ((top - y) / (top - bottom) * data.Height));
        double Ours(int row) => 1 - row - (GridComparisonPlot.BarSize / 2) + (GridComparisonPlot.BarSize / 4);
        double Study(int row) => 1 - row + (GridComparisonPlot.BarSize / 2);
        SKColor At(double value, double y) => png.GetPixel(X(value), Y(y));

        AssertIs(GridComparisonPlot.OursColor, At(0.28, Ours(0)), "row 0, ours, just inside 0.30");
        AssertIsNot(GridComparisonPlot.OursColor, At(0.40, Ours(0)), "row 0, ours, past 0.30");
        AssertIs(GridComparisonPlot.StudyColor, At(0.88, Study(0)), "row 0, study, just inside 0.90");
        AssertIsNot(GridComparisonPlot.StudyColor, At(0.93, Study(0)), "row 0, study, past 0.90");
        AssertIs(GridComparisonPlot.OursColor, At(0.68, Ours(1)), "row 1, ours, just inside 0.70");
        AssertIsNot(GridComparisonPlot.OursColor, At(0.85, Ours(1)), "row 1, ours, past 0.70 and its interval");
        AssertIsNot(GridComparisonPlot.StudyColor, At(0.10, Study(1)), "row 1 has no study bar");
    }

    [Theory]
    [InlineData(0.9, 0.5, 0.8, "does not hold")] // the estimate above its interval
    [InlineData(1.2, 1.1, 1.3, "0..1")]           // a percentage, not a fraction
    [InlineData(double.NaN, 0.5, 0.8, "0..1")]
    public void SavePng_RefusesRowsThatCannotBeRight(double test, double lower, double upper, string expected)
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<ArgumentException>(() => GridComparisonPlot.SavePng([new("bad", test, lower, upper, null, null)], folder.File("x.png"), "t"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("'bad'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SavePng_RefusesNoRows()
    {
        using var folder = new TempFolder();
        Assert.Throws<ArgumentException>(() => GridComparisonPlot.SavePng([], folder.File("x.png"), "t"));
    }

    private static void AssertIs(Color expected, SKColor actual, string where)
        => Assert.True(Near(expected, actual), $"{where}: expected {expected.ToHex()}, found {actual}");

    private static void AssertIsNot(Color unexpected, SKColor actual, string where)
        => Assert.False(Near(unexpected, actual), $"{where}: found the bar colour {actual}");

    private static bool Near(Color c, SKColor p) => Math.Abs(c.R - p.Red) <= 8 && Math.Abs(c.G - p.Green) <= 8 && Math.Abs(c.B - p.Blue) <= 8;
}
