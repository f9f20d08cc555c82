using CudaGenre.Core.Metrics;
using CudaGenre.Reports;
using ScottPlot.Plottables;

namespace CudaGenre.Core.Tests.Reports;

public class TrainingCurvesPlotTests
{
    // Validation balanced accuracy peaks at epoch 3 (0.62); epoch 4's validation loss is NaN (a bad batch).
    private static readonly EpochMetrics[] Run =
    [
        new(1, 2.20, 2.25, 0.20, 0.18, 0.17),
        new(2, 1.60, 1.70, 0.45, 0.41, 0.40),
        new(3, 1.10, 1.30, 0.66, 0.63, 0.62),
        new(4, 0.80, double.NaN, 0.78, 0.61, 0.60),
        new(5, 0.55, 1.45, 0.88, 0.60, 0.58),
    ];

    [Fact]
    public void SavePng_WritesAPngOfTheRequestedSize_ThatIsNotBlank()
    {
        using var folder = new TempFolder();
        var path = folder.File("curves.png");

        TrainingCurvesPlot.SavePng(Run, path, "test run", 1200, 500);

        PngInspection.AssertPlot(path, 1200, 500);
    }

    [Fact]
    public void SavePanelsPng_WritesTheLossAndAccuracyPanelsAsTwoImages()
    {
        using var folder = new TempFolder();
        var loss = folder.File("curves_loss.png");
        var accuracy = folder.File("curves_accuracy.png");

        TrainingCurvesPlot.SavePanelsPng(Run, loss, accuracy, "test run", 700, 450);

        using var lossPng = PngInspection.Decode(loss);
        using var accuracyPng = PngInspection.Decode(accuracy);
        Assert.Equal((700, 450), (lossPng.Width, lossPng.Height));
        Assert.Equal((700, 450), (accuracyPng.Width, accuracyPng.Height));
        Assert.True(PngInspection.DistinctColours(lossPng) > 30, "The loss panel looks blank.");
        Assert.NotEqual(File.ReadAllBytes(loss), File.ReadAllBytes(accuracy));
    }

    [Fact]
    public void BestEpoch_IsMarkedInBothPanels()
    {
        var (loss, accuracy) = TrainingCurvesPlot.CreatePanels(Run, "test run");
        using (loss)
        using (accuracy)
        {
            Assert.Equal(3, loss.GetPlottables<VerticalLine>().Single().X);
            Assert.Equal(3, accuracy.GetPlottables<VerticalLine>().Single().X);
        }
    }

    [Fact]
    public void Panels_HaveTwoAndThreeCurves_LeavingOutNaN()
    {
        var (loss, accuracy) = TrainingCurvesPlot.CreatePanels(Run, "test run");
        using (loss)
        using (accuracy)
        {
            var lossCurves = loss.GetPlottables<Scatter>().ToDictionary(s => s.LegendText, s => s.Data.GetScatterPoints());
            Assert.Equal(["train", "validation"], lossCurves.Keys.Order());
            Assert.Equal(5, lossCurves["train"].Count);
            Assert.Equal([1.0, 2.0, 3.0, 5.0], lossCurves["validation"].Select(p => p.X));
            Assert.Equal(
                ["train accuracy", "validation accuracy", "validation balanced accuracy"],
                accuracy.GetPlottables<Scatter>().Select(s => s.LegendText).Order());
        }
    }

    [Fact]
    public void SavePng_RejectsAnEmptyRun()
    {
        using var folder = new TempFolder();
        Assert.Throws<ArgumentException>(() => TrainingCurvesPlot.SavePng([], folder.File("none.png")));
    }

    [Fact]
    public void SavePng_DrawsASingleEpoch()
    {
        using var folder = new TempFolder();
        var path = folder.File("one.png");
        TrainingCurvesPlot.SavePng(Run[..1], path);
        using var png = PngInspection.Decode(path);
        Assert.Equal(1400, png.Width);
        Assert.Equal(560, png.Height);
    }
}
