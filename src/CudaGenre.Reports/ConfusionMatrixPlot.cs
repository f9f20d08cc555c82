using System.Globalization;
using CudaGenre.Core.Metrics;
using ScottPlot;

namespace CudaGenre.Reports;

/// <summary>
/// Draws a confusion matrix as an annotated heatmap: rows are true classes (first class at the top),
/// columns are predicted classes (first class at the left), each cell shows its count, and its colour is
/// the fraction of its row (so the diagonal reads as per-class recall, and classes of different sizes
/// compare fairly).
/// </summary>
public static class ConfusionMatrixPlot
{
    /// <summary>Colour scale for row fractions 0..1: white through dark blue (ScottPlot's Blues runs dark to light).</summary>
    internal static IColormap Colormap { get; } = new ScottPlot.Colormaps.Reversed(new ScottPlot.Colormaps.Blues());

    /// <summary>Fill of rows whose class has no samples (their fractions are undefined).</summary>
    internal static Color EmptyRowColor { get; } = Color.FromHex("#E6E6E6");

    /// <summary>
    /// Renders <paramref name="matrix"/> to a PNG file at <paramref name="path"/> (its folder is created if
    /// needed). The title line is <paramref name="title"/>; a second line gives accuracy and balanced accuracy.
    /// </summary>
    /// <param name="matrix">The counts; must not be empty.</param>
    /// <param name="path">Where to write the PNG.</param>
    /// <param name="title">First line of the title, e.g. the model and data set.</param>
    /// <param name="width">Image width in pixels (default 900).</param>
    /// <param name="height">Image height in pixels (default 800).</param>
    /// <exception cref="ArgumentException">The matrix has no samples, or the size is not positive.</exception>
    public static void SavePng(ConfusionMatrix matrix, string path, string title, int width = 900, int height = 800)
        => Save(matrix, path, title, width, height);

    /// <summary>Saves the plot and returns where the cells were drawn (pixels), for tests that check orientation.</summary>
    internal static PixelRect Save(ConfusionMatrix matrix, string path, string title, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (matrix.Total == 0)
            throw new ArgumentException("Cannot plot an empty confusion matrix (no samples).", nameof(matrix));

        using var plot = Create(matrix, title);
        PlotFiles.WritePng(path, plot.GetImageBytes(width, height, ImageFormat.Png));
        return plot.LastRender.DataRect;
    }

    /// <summary>
    /// Each cell's share of its row, <c>[truth, predicted]</c> in label order (row 0 = first class);
    /// NaN for the rows of classes without samples.
    /// </summary>
    internal static double[,] RowFractions(ConfusionMatrix matrix)
    {
        var n = matrix.ClassCount;
        var fractions = new double[n, n];
        for (var t = 0; t < n; t++)
        {
            var support = matrix.Support(t);
            for (var p = 0; p < n; p++)
                fractions[t, p] = support == 0 ? double.NaN : (double)matrix[t, p] / support;
        }
        return fractions;
    }

    private static Plot Create(ConfusionMatrix matrix, string title)
    {
        var n = matrix.ClassCount;
        var fractions = RowFractions(matrix);
        var plot = new Plot();

        // Cell (t, p) covers x in [p, p+1] and y in [n-t-1, n-t]: ScottPlot puts row 0 of the array at the
        // top of the rectangle, and y grows upwards, so the first class is the top row.
        var heatmap = plot.Add.Heatmap(fractions);
        heatmap.Rectangle = new CoordinateRect(left: 0, right: n, bottom: 0, top: n);
        heatmap.Colormap = Colormap;
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        heatmap.NaNCellColor = EmptyRowColor;

        // Thin white lines between cells keep neighbouring cells of similar colour apart.
        for (var k = 1; k < n; k++)
        {
            foreach (var line in new[] { plot.Add.Line(k, 0, k, n), plot.Add.Line(0, k, n, k) })
            {
                line.LineColor = Colors.White;
                line.LineWidth = 1.5f;
                line.MarkerSize = 0;
            }
        }

        var countFontSize = (float)Math.Clamp(160.0 / n, 9, 22);
        for (var t = 0; t < n; t++)
        {
            for (var p = 0; p < n; p++)
            {
                var label = plot.Add.Text(matrix[t, p].ToString(CultureInfo.InvariantCulture), CellCentreX(p), CellCentreY(t, n));
                label.Alignment = Alignment.MiddleCenter;
                label.LabelFontName = PlotFiles.SansFont;
                label.LabelFontSize = countFontSize;
                label.LabelBold = t == p;
                // Dark text on light cells, white on dark ones; zeros muted so the mistakes stand out.
                label.LabelFontColor = fractions[t, p] > 0.5 ? Colors.White
                    : matrix[t, p] == 0 ? Color.FromHex("#A8A8A8")
                    : Color.FromHex("#202020");
            }
        }

        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = "fraction of the true genre (diagonal = recall)";
        colorBar.LabelStyle.FontSize = 13;
        colorBar.LabelStyle.Bold = false;
        colorBar.LabelStyle.FontName = PlotFiles.SansFont;
        colorBar.Axis.TickLabelStyle.FontName = PlotFiles.SansFont;
        colorBar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [0, 0.2, 0.4, 0.6, 0.8, 1.0], ["0", "0.2", "0.4", "0.6", "0.8", "1"]);

        var names = matrix.ClassNames.ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, n).Select(CellCentreX).ToArray(), names);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, n).Select(t => CellCentreY(t, n)).ToArray(), names);
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.UpperRight;
        const float tickFontSize = 14;
        plot.Axes.Bottom.TickLabelStyle.FontSize = tickFontSize;
        plot.Axes.Left.TickLabelStyle.FontSize = tickFontSize;
        // Rotated labels need room below the axis, but ScottPlot sizes the panel for unrotated text: allow
        // for the longest name at 45° (about 0.6 em per character) plus the axis title.
        var longestName = names.Max(name => name.Length);
        plot.Axes.Bottom.MinimumSize = (float)Math.Max(90, ((longestName * 0.6 + 1) * tickFontSize * Math.Sqrt(0.5)) + 35);
        plot.XLabel("predicted genre", 15);
        plot.YLabel("true genre", 15);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Left.MajorTickStyle.Length = 0;

        plot.Title(
            $"{title}\naccuracy {matrix.Accuracy.ToString("0.000", CultureInfo.InvariantCulture)}"
            + $"   ·   balanced accuracy {matrix.BalancedAccuracy.ToString("0.000", CultureInfo.InvariantCulture)}",
            16);

        plot.Font.Set(PlotFiles.SansFont);
        plot.HideGrid();
        plot.Axes.SetLimits(0, n, 0, n);
        return plot;
    }

    private static double CellCentreX(int predicted) => predicted + 0.5;

    private static double CellCentreY(int truth, int classCount) => classCount - truth - 0.5;
}
