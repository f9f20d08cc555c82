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
            var config = RunJson.Read(Path.Combine(folder, "config.json"));
            var metrics = RunJson.Read(Path.Combine(folder, "metrics.json"));
            var progress = RunJson.Read(Path.Combine(folder, "progress.json"));
            if (config is null)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| `{entry.Name}` | | | | | not started | | | | | | | |");
                continue;
            }

            var (architecture, head, learningRate) = (config.Text("architecture"), config.Text("head"), config.Number("learningRate"));
            var model = $"{architecture}/{head}";
            var init = config.OptionalText("pretrained") is null ? "scratch" : $"pretrained{(config.Flag("freezeBackbone") == true ? ", frozen" : "")}";
            var lr = string.Create(CultureInfo.InvariantCulture, $"{learningRate:G3} ({config.OptionalText("lrSchedule") ?? "constant"})");
            var input = string.Create(CultureInfo.InvariantCulture, $"{config.Integer("inputHeight")}×{config.Integer("inputWidth")}");
            var split = config.OptionalText("split.hash") is { } hash ? hash[..Math.Min(12, hash.Length)] : "";
            var epochsPlanned = config.Integer("epochs");
            string status, epochs, best, val, test = "", seconds;
            if (Finished(metrics))
            {
                status = metrics!.Flag("stoppedEarly") == true ? "done (early stop)" : "done";
                epochs = $"{metrics.Integer("epochsRun")}/{epochsPlanned}";
                best = $"{metrics.Integer("bestEpoch")}";
                val = Fixed(metrics.Number("validation.balancedAccuracy", optional: true));
                test = metrics.Number("test.balancedAccuracy95.estimate", optional: true) is { } estimate
                    ? string.Create(CultureInfo.InvariantCulture, $"**{estimate:0.000}** [{metrics.Number("test.balancedAccuracy95.lower"):0.000}, {metrics.Number("test.balancedAccuracy95.upper"):0.000}]")
                    : "";
                seconds = Fixed(metrics.Number("secondsPerEpoch", optional: true), "0");
            }
            else if (progress is not null)
            {
                status = metrics is not null ? "cancelled, resumable" : "unfinished (resumable)";
                epochs = $"{progress.Integer("epoch")}/{epochsPlanned}";
                best = $"{progress.Integer("bestEpoch")}";
                val = Fixed(progress.Number("bestValidationBalancedAccuracy", optional: true));
                seconds = Fixed(progress.Number("secondsPerEpoch", optional: true), "0");
            }
            else
            {
                status = "started, no epoch finished";
                epochs = $"0/{epochsPlanned}";
                best = val = seconds = "";
            }
            var study = Fixed(StudyFigure(architecture, head, learningRate), "0.00");
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
            var config = RunJson.Read(Path.Combine(folder, "config.json"));
            var metrics = RunJson.Read(Path.Combine(folder, "metrics.json"));
            if (config is null || !Finished(metrics) || metrics!.Number("test.balancedAccuracy95.estimate", optional: true) is not { } estimate)
                continue;
            var label = entry.Name.StartsWith("gtzan-", StringComparison.Ordinal) ? entry.Name["gtzan-".Length..] : entry.Name;
            rows.Add(new GridPlotRow(label, estimate, metrics.Number("test.balancedAccuracy95.lower"), metrics.Number("test.balancedAccuracy95.upper"),
                metrics.Number("validation.balancedAccuracy", optional: true),
                StudyFigure(config.Text("architecture"), config.Text("head"), config.Number("learningRate"))));
        }
        return rows;
    }

    /// <summary>A run is finished when its metrics.json says it was not cancelled (the grid script's rule too).</summary>
    private static bool Finished(RunJson? metrics) => metrics?.Flag("cancelled") == false;

    private static string Fixed(double? value, string format = "0.000")
        => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "";

    /// <summary>
    /// One of a run's JSON files, read with typed lookups: a missing or mistyped field is a <see cref="DataFileException"/>
    /// naming the file and the field (a hand-edited or truncated file must not end in a cast exception).
    /// </summary>
    private sealed class RunJson(string path, JsonObject root)
    {
        /// <summary>The trainer's run files are a few kilobytes (progress.json with 100 epochs of curves: ~20 KB).</summary>
        private const long MaxBytes = 16L << 20;

        /// <summary>The file, or null when it does not exist.</summary>
        public static RunJson? Read(string path)
        {
            if (!File.Exists(path))
                return null;
            var length = new FileInfo(path).Length;
            if (length > MaxBytes)
                throw new DataFileException(path, $"is {length:N0} bytes; a run's JSON file is far smaller (at most {MaxBytes:N0} read)");
            JsonNode? root;
            try
            {
                root = JsonNode.Parse(File.ReadAllText(path));
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new DataFileException(path, $"is not valid JSON ({e.Message})", e);
            }
            return root is JsonObject o ? new RunJson(path, o) : throw new DataFileException(path, "is not a JSON object");
        }

        public string Text(string field) => OptionalText(field) ?? throw new DataFileException(path, $"has no field '{field}'");

        public string? OptionalText(string field)
            => Value(field, optional: true, "a string", (JsonValue v, out string? s) => v.TryGetValue(out s)).Value;

        public double? Number(string field, bool optional)
        {
            var (found, value) = Value(field, optional, "a finite number", (JsonValue v, out double d) => v.TryGetValue(out d) && double.IsFinite(d));
            return found ? value : null;
        }

        public double Number(string field) => Number(field, optional: false)!.Value;

        public int Integer(string field) => Value(field, optional: false, "an integer", (JsonValue v, out int i) => v.TryGetValue(out i)).Value;

        public bool? Flag(string field)
        {
            var (found, value) = Value(field, optional: true, "true or false", (JsonValue v, out bool b) => v.TryGetValue(out b));
            return found ? value : null;
        }

        private delegate bool Parse<T>(JsonValue value, out T result);

        /// <summary>The field at a dotted path; (false, default) when it is absent or null and optional.</summary>
        private (bool Found, T Value) Value<T>(string field, bool optional, string expected, Parse<T> parse)
        {
            JsonNode? node = root;
            foreach (var name in field.Split('.'))
                node = node is JsonObject o ? o[name] : null;
            if (node is null)
                return optional ? (false, default!) : throw new DataFileException(path, $"has no field '{field}'");
            if (node is JsonValue v && parse(v, out var value))
                return (true, value);
            var found = node.ToJsonString();
            throw new DataFileException(path, $"field '{field}' is not {expected} (found {(found.Length <= 60 ? found : found[..60] + "…")})");
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

    private const long MaxListBytes = 1 << 20;

    /// <summary>Reads a list: blank lines and text after # are ignored; each line is NAME OPTION…, split at white space.</summary>
    /// <exception cref="DataFileException">Missing file, a bad name, or a name used twice.</exception>
    public static List<GridEntry> Read(string path)
    {
        if (!File.Exists(path))
            throw new DataFileException(path, "the grid list does not exist");
        // A list is a few dozen lines; a lying or wrong file (a model, a data set) must not be read into memory.
        if (new FileInfo(path).Length is var length and > MaxListBytes)
            throw new DataFileException(path, $"is {length:N0} bytes; a grid list is at most {MaxListBytes:N0}");
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
