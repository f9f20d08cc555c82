using System.Globalization;
using CudaGenre.Core.Metrics;
using ScottPlot;

namespace CudaGenre.Reports;

/// <summary>
/// Draws the learning curves of a training run: loss on the left (train and validation), accuracy on the
/// right (train accuracy, validation accuracy and validation balanced accuracy), with the best epoch
/// (highest validation balanced accuracy, <see cref="EpochMetrics.Best"/>) marked in both.
/// </summary>
public static class TrainingCurvesPlot
{
    // Colour-blind-safe pairs (Okabe–Ito): train blue, validation orange, balanced accuracy green.
    private static readonly Color TrainColor = Color.FromHex("#0072B2");
    private static readonly Color ValidationColor = Color.FromHex("#E69F00");
    private static readonly Color BalancedColor = Color.FromHex("#009E73");
    private static readonly Color BestEpochColor = Color.FromHex("#555555");

    /// <summary>
    /// Renders the curves of <paramref name="epochs"/> to a PNG file at <paramref name="path"/> (its folder is
    /// created if needed). Values that are NaN or infinite (a diverged run) are left out of their curve.
    /// </summary>
    /// <param name="epochs">One entry per epoch, in training order.</param>
    /// <param name="path">Where to write the PNG.</param>
    /// <param name="title">Prefix of both panel titles, e.g. the run name (default "training").</param>
    /// <param name="width">Image width in pixels for both panels together (default 1400).</param>
    /// <param name="height">Image height in pixels (default 560).</param>
    /// <exception cref="ArgumentException">There are no epochs, no epoch has a validation balanced accuracy, or the size is not positive.</exception>
    public static void SavePng(IReadOnlyList<EpochMetrics> epochs, string path, string title = "training", int width = 1400, int height = 560)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);

        var (loss, accuracy) = CreatePanels(epochs, title);
        using (loss)
        using (accuracy)
        {
            var figure = new Multiplot(loss);
            figure.AddPlot(accuracy);
            figure.Layout = new ScottPlot.MultiplotLayouts.Columns();
            using var image = figure.Render(width, height);
            PlotFiles.WritePng(path, image.GetImageBytes(ImageFormat.Png));
        }
    }

    /// <summary>
    /// Renders the same two panels as <see cref="SavePng"/> into two separate PNG files: the loss curves to
    /// <paramref name="lossPath"/> and the accuracy curves to <paramref name="accuracyPath"/>.
    /// </summary>
    /// <param name="epochs">One entry per epoch, in training order.</param>
    /// <param name="lossPath">Where to write the loss panel.</param>
    /// <param name="accuracyPath">Where to write the accuracy panel.</param>
    /// <param name="title">Prefix of both panel titles (default "training").</param>
    /// <param name="width">Width of each image in pixels (default 800).</param>
    /// <param name="height">Height of each image in pixels (default 560).</param>
    /// <exception cref="ArgumentException">There are no epochs, no epoch has a validation balanced accuracy, or the size is not positive.</exception>
    public static void SavePanelsPng(IReadOnlyList<EpochMetrics> epochs, string lossPath, string accuracyPath, string title = "training", int width = 800, int height = 560)
    {
        ArgumentNullException.ThrowIfNull(lossPath);
        ArgumentNullException.ThrowIfNull(accuracyPath);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var (loss, accuracy) = CreatePanels(epochs, title);
        using (loss)
        using (accuracy)
        {
            PlotFiles.WritePng(lossPath, loss.GetImageBytes(width, height, ImageFormat.Png));
            PlotFiles.WritePng(accuracyPath, accuracy.GetImageBytes(width, height, ImageFormat.Png));
        }
    }

    /// <summary>The two panels, unrendered (internal so tests can inspect what is drawn).</summary>
    internal static (Plot Loss, Plot Accuracy) CreatePanels(IReadOnlyList<EpochMetrics> epochs, string title)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        if (epochs.Count == 0)
            throw new ArgumentException("There are no epochs to plot.", nameof(epochs));
        var best = EpochMetrics.Best(epochs);

        var loss = new Plot();
        AddCurve(loss, epochs, e => e.TrainLoss, "train", TrainColor);
        AddCurve(loss, epochs, e => e.ValidationLoss, "validation", ValidationColor);
        AddBestEpoch(loss, best, $"best epoch {best.Epoch}");
        Style(loss, epochs, $"{title}: loss", "cross-entropy loss", Alignment.UpperRight);
        var highestLoss = epochs.SelectMany(e => new[] { e.TrainLoss, e.ValidationLoss }).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        // Losses start at 0: a curve that flattens at 0.9 should not look like it reached the bottom.
        loss.Axes.SetLimitsY(0, Math.Max(highestLoss, 1e-6) * 1.05);

        var accuracy = new Plot();
        AddCurve(accuracy, epochs, e => e.TrainAccuracy, "train accuracy", TrainColor);
        var overlap = OverlapNote(epochs);
        // Drawn wider when the balanced curve covers it, so its edges still show under the green line.
        AddCurve(accuracy, epochs, e => e.ValidationAccuracy, "validation accuracy", ValidationColor, overlap is null ? 2 : 6);
        AddCurve(accuracy, epochs, e => e.ValidationBalancedAccuracy, "validation balanced accuracy", BalancedColor);
        if (overlap is not null)
        {
            var note = accuracy.Add.Annotation(overlap, Alignment.UpperLeft);
            note.LabelFontSize = 12;
        }
        AddBestEpoch(
            accuracy,
            best,
            $"best epoch {best.Epoch}: balanced accuracy {best.ValidationBalancedAccuracy.ToString("0.000", CultureInfo.InvariantCulture)}");
        Style(accuracy, epochs, $"{title}: accuracy", "accuracy", Alignment.LowerRight);
        // Accuracies on a fixed 0..1 scale, so that runs compare at a glance.
        accuracy.Axes.SetLimitsY(-0.02, 1.02);
        var tenths = Enumerable.Range(0, 11).Select(i => i / 10.0).ToArray();
        accuracy.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            tenths, [.. tenths.Select(v => v.ToString("0.0", CultureInfo.InvariantCulture))]);

        return (loss, accuracy);
    }

    /// <summary>
    /// Largest gap, in accuracy, below which the validation-accuracy curve is hidden under the balanced-accuracy curve
    /// (half a point: a tenth of a pixel per point on a 560-pixel plot is well under the line width).
    /// </summary>
    internal const double OverlapThreshold = 0.005;

    /// <summary>
    /// A note for the accuracy panel when validation accuracy and balanced accuracy never differ by more than
    /// <see cref="OverlapThreshold"/> (a validation set with equal classes makes them nearly equal), so that a reader
    /// does not take the hidden curve for a missing one; null when they do differ.
    /// </summary>
    internal static string? OverlapNote(IReadOnlyList<EpochMetrics> epochs)
    {
        var both = epochs.Where(e => double.IsFinite(e.ValidationAccuracy) && double.IsFinite(e.ValidationBalancedAccuracy)).ToList();
        if (both.Count == 0)
            return null;
        var gap = both.Max(e => Math.Abs(e.ValidationAccuracy - e.ValidationBalancedAccuracy));
        return gap <= OverlapThreshold
            ? $"validation accuracy (orange) lies under balanced accuracy (green): they differ by at most {(gap * 100).ToString("0.00", CultureInfo.InvariantCulture)} points"
            : null;
    }

    private static void AddCurve(Plot plot, IReadOnlyList<EpochMetrics> epochs, Func<EpochMetrics, double> value, string label, Color color, float lineWidth = 2)
    {
        var points = epochs.Where(e => double.IsFinite(value(e))).ToArray();
        if (points.Length == 0)
            return;
        var curve = plot.Add.Scatter(points.Select(e => (double)e.Epoch).ToArray(), points.Select(value).ToArray(), color);
        curve.LegendText = label;
        curve.LineWidth = lineWidth;
        // Markers help with a handful of epochs and clutter a long run.
        curve.MarkerSize = epochs.Count <= 40 ? 5 : 0;
    }

    private static void AddBestEpoch(Plot plot, EpochMetrics best, string label)
    {
        var line = plot.Add.VerticalLine(best.Epoch, 1.5f, BestEpochColor, LinePattern.Dashed);
        line.LegendText = label;
    }

    private static void Style(Plot plot, IReadOnlyList<EpochMetrics> epochs, string title, string yLabel, Alignment legendCorner)
    {
        plot.Title(title, 16);
        plot.XLabel("epoch", 14);
        plot.YLabel(yLabel, 14);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        var first = epochs.Min(e => e.Epoch);
        var last = epochs.Max(e => e.Epoch);
        var margin = Math.Max(0.5, (last - first) * 0.02);
        plot.Axes.SetLimitsX(first - margin, last + margin);
        plot.ShowLegend(legendCorner);
        plot.Font.Set(PlotFiles.SansFont);
    }
}
