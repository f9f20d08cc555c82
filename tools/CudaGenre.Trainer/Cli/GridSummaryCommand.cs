using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CudaGenre.Core;
using CudaGenre.Reports;

namespace CudaGenre.Trainer.Cli;

/// <summary><c>grid-summary</c>: one markdown table over the runs of a grid list, finished or not.</summary>
internal static class GridSummaryCommand
{
    public static Command Create()
    {
        var list = new Argument<string>("list") { Description = "The grid list (benchmarks/trainer-grid.txt): one run per line, its name first, then its train options; # starts a comment." };
        var runs = new Option<string>("--runs") { Description = "The folder holding the run folders.", DefaultValueFactory = _ => GridList.DefaultRunsFolder };
        var output = new Option<string?>("--out", "-o") { Description = "Also write the table to this markdown file." };
        var plot = new Option<string?>("--plot") { Description = "Also draw the finished runs beside the seed study's figures to this PNG (test balanced accuracy with its 95 % interval, validation, the study's figure for the same configuration)." };
        var command = new Command("grid-summary", "Summarize the runs of a grid list as one markdown table: status (finished, epochs so far, not started), best epoch, validation and test balanced accuracy, seconds per epoch.")
        {
            list, runs, output, plot,
        };
        command.SetAction(parse => CommandRunner.Run(_ =>
        {
            var entries = GridList.Read(parse.GetValue(list)!);
            var table = Summarize(entries, Path.GetFullPath(parse.GetValue(runs)!));
            Console.Write(table);
            if (parse.GetValue(output) is { } path)
                AtomicFile.WriteText(path, table);
            if (parse.GetValue(plot) is { } png)
            {
                var rows = PlotRows(entries, Path.GetFullPath(parse.GetValue(runs)!));
                if (rows.Count == 0)
                    throw new DataFileException(parse.GetValue(list)!, "no run of the list has finished yet: nothing to plot");
                GridComparisonPlot.SavePng(rows, png, "GTZAN balanced accuracy: our runs beside the seed study");
                Console.WriteLine($"Wrote {png} ({rows.Count} finished runs).");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>The markdown table for <paramref name="entries"/>, reading each run folder under <paramref name="runsFolder"/>.</summary>
    public static string Summarize(IReadOnlyList<GridEntry> entries, string runsFolder)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Runs in `{runsFolder}` ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC). Balanced accuracy on the duplicate-aware split; test with its 95 % bootstrap interval, from the best-validation epoch; the last column is the seed study's (validation) figure for the same architecture, head and learning rate.");
        md.AppendLine();
        md.AppendLine("| run | model | init | lr (schedule) | input | status | epochs | best epoch | val bal. acc | test bal. acc [95 %] | s/epoch | split | study (val) |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var entry in entries)
        {
            var folder = Path.Combine(runsFolder, entry.Name);
            var config = ReadJson(Path.Combine(folder, "config.json"));
            var metrics = ReadJson(Path.Combine(folder, "metrics.json"));
            var progress = ReadJson(Path.Combine(folder, "progress.json"));
            if (config is null)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| `{entry.Name}` | | | | | not started | | | | | | | |");
                continue;
            }

            var model = $"{config["architecture"]}/{config["head"]}";
            var init = config["pretrained"] is null ? "scratch" : $"pretrained{((bool?)config["freezeBackbone"] == true ? ", frozen" : "")}";
            var lr = string.Create(CultureInfo.InvariantCulture, $"{(double)config["learningRate"]!:G3} ({config["lrSchedule"] ?? "constant"})");
            var input = $"{config["inputHeight"]}×{config["inputWidth"]}";
            var split = ((string?)config["split"]?["hash"])?[..12] ?? "";
            var epochsPlanned = (int)config["epochs"]!;
            string status, epochs, best, val, test = "", seconds;
            var finished = Finished(metrics);
            if (finished)
            {
                var stoppedEarly = (bool?)metrics!["stoppedEarly"] == true;
                status = stoppedEarly ? "done (early stop)" : "done";
                epochs = $"{metrics["epochsRun"]}/{epochsPlanned}";
                best = $"{metrics["bestEpoch"]}";
                val = Fixed((double?)metrics["validation"]?["balancedAccuracy"]);
                var t = metrics["test"]?["balancedAccuracy95"];
                test = t is null ? "" : string.Create(CultureInfo.InvariantCulture, $"**{(double)t["estimate"]!:0.000}** [{(double)t["lower"]!:0.000}, {(double)t["upper"]!:0.000}]");
                seconds = Fixed((double?)metrics["secondsPerEpoch"], "0");
            }
            else if (progress is not null)
            {
                status = metrics is not null ? "cancelled, resumable" : "unfinished (resumable)";
                epochs = $"{progress["epoch"]}/{epochsPlanned}";
                best = $"{progress["bestEpoch"]}";
                val = Fixed((double?)progress["bestValidationBalancedAccuracy"]);
                seconds = Fixed((double?)progress["secondsPerEpoch"], "0");
            }
            else
            {
                status = "started, no epoch finished";
                epochs = $"0/{epochsPlanned}";
                best = val = seconds = "";
            }
            var study = Fixed(StudyFigure((string)config["architecture"]!, (string)config["head"]!, (double)config["learningRate"]!), "0.00");
            md.AppendLine(CultureInfo.InvariantCulture, $"| `{entry.Name}` | {model} | {init} | {lr} | {input} | {status} | {epochs} | {best} | {val} | {test} | {seconds} | {split} | {(study.Length > 0 ? study : "—")} |");
        }
        return md.ToString();
    }

    /// <summary>
    /// The seed study's balanced accuracy for a configuration (it reported validation figures): CNN 51 %, ResNet50
    /// 67 % with the output-layer head and 65 % with the dense head, Xception 71 % (output layer, 1e-3), 75 % (output
    /// layer, 1e-4) and 49 % (dense). Null for what it did not train (ResNet18).
    /// </summary>
    public static double? StudyFigure(string architecture, string head, double learningRate) => (architecture, head) switch
    {
        ("cnn", _) => 0.51,
        ("resnet50", "linear") => 0.67,
        ("resnet50", "dense") => 0.65,
        ("xception", "linear") => Math.Abs(learningRate - 1e-4) < 1e-9 ? 0.75 : Math.Abs(learningRate - 1e-3) < 1e-9 ? 0.71 : null,
        ("xception", "dense") => 0.49,
        _ => null,
    };

    /// <summary>The finished runs of <paramref name="entries"/> (in list order) as rows of <see cref="GridComparisonPlot"/>.</summary>
    public static List<GridPlotRow> PlotRows(IReadOnlyList<GridEntry> entries, string runsFolder)
    {
        var rows = new List<GridPlotRow>();
        foreach (var entry in entries)
        {
            var folder = Path.Combine(runsFolder, entry.Name);
            var config = ReadJson(Path.Combine(folder, "config.json"));
            var metrics = ReadJson(Path.Combine(folder, "metrics.json"));
            if (config is null || !Finished(metrics) || metrics!["test"]?["balancedAccuracy95"] is not { } t)
                continue;
            var label = entry.Name.StartsWith("gtzan-", StringComparison.Ordinal) ? entry.Name["gtzan-".Length..] : entry.Name;
            rows.Add(new GridPlotRow(label, (double)t["estimate"]!, (double)t["lower"]!, (double)t["upper"]!,
                (double?)metrics["validation"]?["balancedAccuracy"],
                StudyFigure((string)config["architecture"]!, (string)config["head"]!, (double)config["learningRate"]!)));
        }
        return rows;
    }

    /// <summary>A run is finished when its metrics.json says it was not cancelled (the grid script's rule too).</summary>
    private static bool Finished(JsonNode? metrics) => metrics is not null && (bool?)metrics["cancelled"] == false;

    private static string Fixed(double? value, string format = "0.000")
        => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "";

    private static JsonNode? ReadJson(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new DataFileException(path, $"is not valid JSON ({e.Message})", e);
        }
    }
}

/// <summary>One line of a grid list: a run name and its train options.</summary>
internal sealed record GridEntry(string Name, IReadOnlyList<string> Arguments);

/// <summary>The grid list format shared with <c>benchmarks/trainer-grid.sh</c>.</summary>
internal static class GridList
{
    /// <summary>$CUDAGENRE_RUNS, or ~/cudagenre-runs: outside any work tree, so runs outlive the checkout.</summary>
    public static string DefaultRunsFolder
        => Environment.GetEnvironmentVariable("CUDAGENRE_RUNS") is { Length: > 0 } runs
            ? runs
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "cudagenre-runs");

    /// <summary>Reads a list: blank lines and text after # are ignored; each line is NAME OPTION…, split at white space.</summary>
    /// <exception cref="DataFileException">Missing file, a bad name, or a name used twice.</exception>
    public static List<GridEntry> Read(string path)
    {
        if (!File.Exists(path))
            throw new DataFileException(path, "the grid list does not exist");
        var entries = new List<GridEntry>();
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Split('#')[0];
            var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0)
                continue;
            var name = tokens[0];
            if (name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || name.StartsWith('.'))
                throw new DataFileException(path, $"line {lineNumber}: '{name}' is not a run name (letters, digits, - _ . only)");
            if (entries.Any(e => e.Name == name))
                throw new DataFileException(path, $"line {lineNumber}: the run name '{name}' is used twice");
            entries.Add(new GridEntry(name, tokens[1..]));
        }
        return entries;
    }
}
