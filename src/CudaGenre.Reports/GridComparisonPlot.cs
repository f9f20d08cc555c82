using ScottPlot;

namespace CudaGenre.Reports;

/// <summary>
/// One row of <see cref="GridComparisonPlot"/>: our run's test balanced accuracy with its 95 % interval and its
/// validation figure, beside the reference study's figure for the same configuration where it reported one.
/// </summary>
/// <param name="Label">What the row is (run or configuration), shown on the left.</param>
/// <param name="Test">Our test balanced accuracy (0..1).</param>
/// <param name="TestLower">Lower end of its 95 % interval.</param>
/// <param name="TestUpper">Upper end of its 95 % interval.</param>
/// <param name="Validation">Our validation balanced accuracy, or null.</param>
/// <param name="Study">The study's figure for the same configuration (0..1), or null where it has none.</param>
public sealed record GridPlotRow(string Label, double Test, double TestLower, double TestUpper, double? Validation, double? Study);

/// <summary>
/// Our grid beside the seed study's table as horizontal bars on a fixed 0–1 axis: per row, our test balanced
/// accuracy (blue, with its 95 % interval as a black whisker), our validation figure (orange diamond) and the study's
/// figure (grey bar; the study reported validation balanced accuracy). The first row is at the top.
/// </summary>
public static class GridComparisonPlot
{
    // Okabe–Ito, as in the training curves: ours blue, validation orange; the study neutral grey.
    internal static Color OursColor { get; } = Color.FromHex("#0072B2");
    internal static Color StudyColor { get; } = Color.FromHex("#9A9A9A");
    private static readonly Color ValidationColor = Color.FromHex("#E69F00");

    /// <summary>Half the height of a row's band taken by each of its two bars, in row units.</summary>
    internal const double BarSize = 0.36;

    /// <summary>Renders <paramref name="rows"/> to a PNG at <paramref name="path"/> (its folder is created if needed).</summary>
    /// <exception cref="ArgumentException">No rows, a value outside 0..1, an interval that does not hold its estimate, or a size that is not positive.</exception>
    public static void SavePng(IReadOnlyList<GridPlotRow> rows, string path, string title, int width = 1200, int height = 0)
        => Save(rows, path, title, width, height);

    /// <summary>Saves the plot and returns where the data area was drawn (pixels), for tests that check the bars' geometry.</summary>
    internal static PixelRect Save(IReadOnlyList<GridPlotRow> rows, string path, string title, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        if (rows.Count == 0)
            throw new ArgumentException("Nothing to plot: no finished runs.", nameof(rows));
        foreach (var row in rows)
            Check(row);
        height = height == 0 ? 200 + (52 * rows.Count) : height;

        using var plot = new Plot();
        var n = rows.Count;
        // Row i (0 = top) is centred at y = n - 1 - i; our bar below the centre, the study's above it.
        double Centre(int i) => n - 1 - i;
        var ours = new List<Bar>();
        var study = new List<Bar>();
        for (var i = 0; i < n; i++)
        {
            var row = rows[i];
            ours.Add(new Bar { Position = Centre(i) - (BarSize / 2), Value = row.Test, Size = BarSize, FillColor = OursColor, LineWidth = 0 });
            if (row.Study is { } s)
                study.Add(new Bar { Position = Centre(i) + (BarSize / 2), Value = s, Size = BarSize, FillColor = StudyColor, LineWidth = 0 });
        }
        var oursPlot = plot.Add.Bars(ours);
        oursPlot.Horizontal = true;
        oursPlot.LegendText = "ours, test (95 % interval)";
        if (study.Count > 0)
        {
            var studyPlot = plot.Add.Bars(study);
            studyPlot.Horizontal = true;
            studyPlot.LegendText = "study (validation)";
        }
        for (var i = 0; i < n; i++)
        {
            var row = rows[i];
            var y = Centre(i) - (BarSize / 2);
            var whisker = plot.Add.Line(row.TestLower, y, row.TestUpper, y);
            whisker.Color = Colors.Black;
            whisker.LineWidth = 2;
            foreach (var end in (double[])[row.TestLower, row.TestUpper])
            {
                var cap = plot.Add.Line(end, y - (BarSize / 4), end, y + (BarSize / 4));
                cap.Color = Colors.Black;
                cap.LineWidth = 2;
            }
            var text = plot.Add.Text($"{row.Test:0.000}", Math.Min(Math.Max(row.TestUpper, row.Validation ?? 0) + 0.012, 0.93), y);
            text.LabelFontSize = 13;
            text.LabelAlignment = Alignment.MiddleLeft;
        }
        var validations = rows.Select((row, i) => (row.Validation, Y: Centre(i) - (BarSize / 2))).Where(v => v.Validation is not null).ToList();
        if (validations.Count > 0)
        {
            var markers = plot.Add.ScatterPoints(validations.Select(v => v.Validation!.Value).ToArray(), validations.Select(v => v.Y).ToArray());
            markers.MarkerShape = MarkerShape.FilledDiamond;
            markers.MarkerSize = 11;
            markers.Color = ValidationColor;
            markers.LegendText = "ours, validation";
        }

        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, n).Select(Centre)], [.. rows.Select(r => r.Label)]);
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.SetLimits(0, 1, -0.6, n - 0.4);
        plot.Axes.Bottom.Label.Text = "balanced accuracy";
        plot.Grid.YAxisStyle.MajorLineStyle.Width = 0;
        plot.Title(title);
        plot.ShowLegend(Edge.Bottom); // outside the data area: no row is hidden under it
        PlotFiles.WritePng(path, plot.GetImageBytes(width, height, ImageFormat.Png));
        return plot.LastRender.DataRect;
    }

    private static void Check(GridPlotRow row)
    {
        static bool Fraction(double v) => v is >= 0 and <= 1;
        if (!Fraction(row.Test) || !Fraction(row.TestLower) || !Fraction(row.TestUpper)
            || row.Validation is { } v && !Fraction(v) || row.Study is { } s && !Fraction(s))
            throw new ArgumentException($"Row '{row.Label}': balanced accuracies must lie in 0..1.", nameof(row));
        if (row.TestLower > row.Test || row.Test > row.TestUpper)
            throw new ArgumentException($"Row '{row.Label}': the interval [{row.TestLower}, {row.TestUpper}] does not hold the estimate {row.Test}.", nameof(row));
    }
}
