using CudaGenre.Core.Metrics;
using CudaGenre.Reports;
using ScottPlot.Plottables;

namespace CudaGenre.Core.Tests.Reports;

/// <summary>With balanced classes, validation accuracy and balanced accuracy nearly coincide: the plot must say so.</summary>
public class TrainingCurvesOverlapTests
{
    /// <summary>A random run whose balanced accuracy is within <paramref name="gap"/> of its accuracy at every epoch.</summary>
    private static EpochMetrics[] RandomRun(ulong seed, double gap)
    {
        var random = new SeededRandom(seed);
        return [.. Enumerable.Range(1, 12).Select(epoch =>
        {
            var accuracy = random.Uniform(0.1, 0.9);
            return new EpochMetrics(epoch, random.Uniform(0.5, 2), random.Uniform(0.5, 2), random.Uniform(0.1, 1), accuracy, accuracy + random.Uniform(-gap, gap));
        })];
    }

    [Theory]
    [InlineData(1ul, 0.0)]
    [InlineData(2ul, 0.004)]
    public void CurvesThatCoincide_GetANote_AndTheHiddenCurveIsDrawnWider(ulong seed, double gap)
    {
        var run = RandomRun(seed, gap);
        var (loss, accuracy) = TrainingCurvesPlot.CreatePanels(run, "balanced");
        using (loss)
        using (accuracy)
        {
            var note = Assert.Single(accuracy.GetPlottables<Annotation>());
            Assert.StartsWith("validation accuracy (orange) lies under balanced accuracy (green)", note.Text, StringComparison.Ordinal);
            var curves = accuracy.GetPlottables<Scatter>().ToDictionary(s => s.LegendText);
            Assert.True(curves["validation accuracy"].LineWidth > curves["validation balanced accuracy"].LineWidth);
        }
    }

    [Theory]
    [InlineData(3ul)]
    [InlineData(4ul)]
    public void CurvesThatDiffer_GetNoNote(ulong seed)
    {
        var run = RandomRun(seed, 0.004);
        run[5] = run[5] with { ValidationBalancedAccuracy = run[5].ValidationAccuracy - 0.03 };
        var (loss, accuracy) = TrainingCurvesPlot.CreatePanels(run, "imbalanced");
        using (loss)
        using (accuracy)
        {
            Assert.Empty(accuracy.GetPlottables<Annotation>());
            Assert.Null(TrainingCurvesPlot.OverlapNote(run));
        }
    }
}
