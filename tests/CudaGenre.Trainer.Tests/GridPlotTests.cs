using CudaGenre.Trainer.Cli;

namespace CudaGenre.Trainer.Tests;

public class GridPlotTests
{
    [Theory]
    [InlineData("cnn", "linear", 1e-3, 0.51)]
    [InlineData("resnet50", "linear", 1e-4, 0.67)]
    [InlineData("resnet50", "dense", 1e-3, 0.65)]
    [InlineData("xception", "linear", 1e-3, 0.71)]
    [InlineData("xception", "linear", 1e-4, 0.75)]
    [InlineData("xception", "dense", 1e-4, 0.49)]
    public void Study_figures_are_the_papers_table(string architecture, string head, double lr, double expected)
        => Assert.Equal(expected, GridSummaryCommand.StudyFigure(architecture, head, lr));

    [Theory]
    [InlineData("resnet18", "linear", 1e-4)] // the study had no ResNet18
    [InlineData("xception", "linear", 3e-4)] // nor this learning rate
    public void Configurations_the_study_did_not_train_have_no_figure(string architecture, string head, double lr)
        => Assert.Null(GridSummaryCommand.StudyFigure(architecture, head, lr));

    [Fact]
    public void Plot_rows_are_the_finished_runs_in_list_order_with_their_studys_figure()
    {
        using var temp = new TempFolder();
        var runs = temp.File("runs");
        Run(runs, "gtzan-xception-a", "xception", "linear", 1e-4, """{"cancelled": false, "validation": {"balancedAccuracy": 0.8}, "test": {"balancedAccuracy95": {"estimate": 0.7, "lower": 0.6, "upper": 0.8}}}""");
        Run(runs, "cancelled", "cnn", "linear", 1e-3, """{"cancelled": true, "test": {"balancedAccuracy95": {"estimate": 0.5, "lower": 0.4, "upper": 0.6}}}""");
        Run(runs, "unfinished", "cnn", "linear", 1e-3, metrics: null);
        Run(runs, "r18", "resnet18", "dense", 1e-4, """{"cancelled": false, "validation": {"balancedAccuracy": 0.82}, "test": {"balancedAccuracy95": {"estimate": 0.81, "lower": 0.73, "upper": 0.89}}}""");
        GridEntry[] entries = [new("r18", []), new("missing", []), new("cancelled", []), new("unfinished", []), new("gtzan-xception-a", [])];

        var rows = GridSummaryCommand.PlotRows(entries, runs);

        Assert.Equal(2, rows.Count);
        Assert.Equal(new CudaGenre.Reports.GridPlotRow("r18", 0.81, 0.73, 0.89, 0.82, null), rows[0]);
        Assert.Equal(new CudaGenre.Reports.GridPlotRow("xception-a", 0.7, 0.6, 0.8, 0.8, 0.75), rows[1]);
    }

    [Theory]
    [InlineData("config.json", """{"architecture": "cnn", "head": "linear", "epochs": 3}""", "has no field 'learningRate'", true)]
    [InlineData("config.json", """{"architecture": "cnn", "head": "linear", "learningRate": "fast", "epochs": 3}""", "field 'learningRate' is not a finite number (found \"fast\")", true)]
    [InlineData("config.json", """{"architecture": "cnn", "head": "linear", "learningRate": 0.001, "epochs": 3.5, "inputHeight": 24, "inputWidth": 32}""", "field 'epochs' is not an integer (found 3.5)", false)]
    [InlineData("config.json", """{"architecture": 7, "head": "linear", "learningRate": 0.001, "epochs": 3}""", "field 'architecture' is not a string (found 7)", true)]
    [InlineData("metrics.json", """[1, 2]""", "is not a JSON object", true)]
    [InlineData("metrics.json", """{"cancelled": false, "epochsRun": 3, "bestEpoch": 2, "test": {"balancedAccuracy95": {"estimate": 0.7, "lower": 0.6}}}""", "has no field 'test.balancedAccuracy95.upper'", true)]
    [InlineData("metrics.json", """{"cancelled": false, "epochsRun": 3, "bestEpoch": 2, "validation": {"balancedAccuracy": "NaN"}, "test": {"balancedAccuracy95": {"estimate": 0.7, "lower": 0.6, "upper": 0.8}}}""", "field 'validation.balancedAccuracy' is not a finite number", true)]
    [InlineData("metrics.json", """{"cancelled": "no"}""", "field 'cancelled' is not true or false", true)]
    public void Malformed_run_files_are_named_with_the_field_at_fault(string file, string json, string problem, bool plotReadsIt)
    {
        using var temp = new TempFolder();
        var runs = temp.File("runs");
        Run(runs, "run", "cnn", "linear", 1e-3, """{"cancelled": false, "epochsRun": 3, "bestEpoch": 2, "validation": {"balancedAccuracy": 0.8}, "test": {"balancedAccuracy95": {"estimate": 0.7, "lower": 0.6, "upper": 0.8}}}""");
        var path = Path.Combine(runs, "run", file);
        File.WriteAllText(path, json);
        GridEntry[] entries = [new("run", [])];

        // The table and the plot read the same files; both must say which file and which field (the plot has no epochs column).
        Action[] reads = plotReadsIt ? [() => GridSummaryCommand.Summarize(entries, runs), () => GridSummaryCommand.PlotRows(entries, runs)] : [() => GridSummaryCommand.Summarize(entries, runs)];
        foreach (var read in reads)
        {
            var e = Assert.Throws<CudaGenre.Core.DataFileException>(read);
            Assert.Equal(path, e.FilePath);
            Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_run_file_of_absurd_size_is_refused_before_it_is_read()
    {
        using var temp = new TempFolder();
        var runs = temp.File("runs");
        Run(runs, "run", "cnn", "linear", 1e-3, metrics: null);
        var metrics = Path.Combine(runs, "run", "metrics.json");
        using (var file = File.Create(metrics))
            file.SetLength(3L << 30); // sparse: 3 GiB on paper, nothing on disk
        GridEntry[] entries = [new("run", [])];

        var e = Assert.Throws<CudaGenre.Core.DataFileException>(() => GridSummaryCommand.Summarize(entries, runs));
        Assert.Equal(metrics, e.FilePath);
        Assert.Contains("3,221,225,472 bytes", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_wrong_value_is_shortened_in_the_message()
    {
        using var temp = new TempFolder();
        var runs = temp.File("runs");
        Run(runs, "run", "cnn", "linear", 1e-3, metrics: null);
        File.WriteAllText(Path.Combine(runs, "run", "config.json"), $$"""{"architecture": [{{string.Join(", ", Enumerable.Range(0, 10_000))}}], "head": "linear", "learningRate": 0.001, "epochs": 3}""");

        var e = Assert.Throws<CudaGenre.Core.DataFileException>(() => GridSummaryCommand.Summarize([new("run", [])], runs));
        Assert.StartsWith("field 'architecture' is not a string (found [0,1,2,", e.Problem, StringComparison.Ordinal);
        Assert.True(e.Problem.Length < 200, e.Problem);
    }

    private static void Run(string runs, string name, string architecture, string head, double lr, string? metrics)
    {
        var folder = Directory.CreateDirectory(Path.Combine(runs, name)).FullName;
        File.WriteAllText(Path.Combine(folder, "config.json"), $$"""{"architecture": "{{architecture}}", "head": "{{head}}", "learningRate": {{lr.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "epochs": 3, "inputHeight": 24, "inputWidth": 32}""");
        if (metrics is not null)
            File.WriteAllText(Path.Combine(folder, "metrics.json"), metrics);
    }
}
