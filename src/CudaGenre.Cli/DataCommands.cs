using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using CudaGenre.Core;
using CudaGenre.Core.Data;
using Spectre.Console;

namespace CudaGenre.Cli;

/// <summary><c>cudagenre data …</c>: inspect, split and synthesize data sets.</summary>
internal static class DataCommands
{
    public static Command Create()
    {
        var data = new Command("data", "Inspect, split and synthesize data sets in the GTZAN layout.");
        data.Subcommands.Add(InfoCommand());
        data.Subcommands.Add(SplitCommand());
        data.Subcommands.Add(SynthCommand.Create());
        return data;
    }

    private static Command InfoCommand()
    {
        var dir = new Argument<string>("dir") { Description = "A GTZAN root (holding images_original/ or genres_original/) or a folder of genre folders." };
        var audio = new Option<bool>("--audio") { Description = "Inspect the audio clips (genres_original/*.wav, genres/*.au) instead of the images." };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON instead of tables." };
        var command = new Command("info", "Count files per genre, list their formats, report every unreadable file by name (each file is decoded), and list exact duplicates (files of identical content, by SHA-256).")
        {
            dir, audio, json,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var kind = parse.GetValue(audio) ? MediaKind.Audio : MediaKind.Image;
            var root = parse.GetValue(dir)!;
            var quiet = parse.GetValue(json);
            var listed = GtzanDataset.Open(root, kind);
            var ds = quiet
                ? GtzanDataset.Open(root, kind, verify: true)
                : CliRunner.WithProgress($"Reading {listed.Items.Count} files", listed.Items.Count, p => GtzanDataset.Open(root, kind, verify: true, p));
            var summary = DatasetSummary.Of(ds, DuplicateReport.Find(ds));
            if (quiet)
                Console.WriteLine(JsonSerializer.Serialize(summary, CliJsonContext.Default.DatasetSummary));
            else
                PrintSummary(summary);
            return 0;
        }));
        return command;
    }

    private static Command SplitCommand()
    {
        var dir = new Argument<string>("dir") { Description = "The data set to split (GTZAN layout)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the split; the same seed gives the same split on every machine.", DefaultValueFactory = _ => 42 };
        var train = new Option<double>("--train") { Description = "Fraction for training.", DefaultValueFactory = _ => 0.8 };
        var validation = new Option<double>("--validation") { Description = "Fraction for validation.", DefaultValueFactory = _ => 0.1 };
        var test = new Option<double>("--test") { Description = "Fraction for the test.", DefaultValueFactory = _ => 0.1 };
        var audio = new Option<bool>("--audio") { Description = "Split the audio clips instead of the images." };
        var output = new Option<string>("--out", "-o") { Description = "Where to write the manifest (JSON).", DefaultValueFactory = _ => "split.json" };
        var command = new Command("split", "Make a stratified, seeded train/validation/test split and save it as a manifest (JSON: file, label, split) with its hash. Files of identical content (SHA-256) are kept in one part.")
        {
            dir, seed, train, validation, test, audio, output,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var kind = parse.GetValue(audio) ? MediaKind.Audio : MediaKind.Image;
            var ds = GtzanDataset.Open(parse.GetValue(dir)!, kind);
            var fractions = new SplitFractions(parse.GetValue(train), parse.GetValue(validation), parse.GetValue(test));
            var duplicates = DuplicateReport.Find(ds);
            var manifest = SplitManifest.Create(ds.Items, duplicates, parse.GetValue(seed), fractions);
            var path = Path.GetFullPath(parse.GetValue(output)!);
            manifest.Save(path);
            PrintSplit(manifest);
            if (duplicates.Groups.Count > 0)
                AnsiConsole.MarkupLineInterpolated($"{duplicates.Groups.Count} group(s) of identical files ({duplicates.RedundantFiles} redundant copies) were each kept in one part; `cudagenre data info` lists them.");
            AnsiConsole.MarkupLineInterpolated($"Wrote [bold]{path}[/] (split {manifest.ShortHash}, seed {manifest.Seed}). File names were not decoded; run `cudagenre data info` to check the files.");
            return 0;
        }));
        return command;
    }

    public static void PrintSummary(DatasetSummary s)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{s.Folder}[/] ({s.Kind}s)");
        var table = new Table().Border(TableBorder.Rounded).AddColumn("genre").AddColumn(new TableColumn("files").RightAligned()).AddColumn("formats");
        foreach (var g in s.Genres)
            table.AddRow(g.Genre, g.Files.ToString(), string.Join(", ", g.Formats.Select(f => $"{f.Key} ×{f.Value}")));
        table.AddRow("[bold]total[/]", $"[bold]{s.Total}[/]", "");
        AnsiConsole.Write(table);
        PrintDuplicates(s);
        if (s.Problems.Count == 0)
        {
            AnsiConsole.MarkupLine("[green]No problems found:[/] every file decoded.");
            return;
        }
        AnsiConsole.MarkupLineInterpolated($"[yellow]{s.Problems.Count} problem(s); these were skipped:[/]");
        foreach (var p in s.Problems)
            AnsiConsole.MarkupLineInterpolated($"  [yellow]{p.File}[/]: {p.Problem}");
    }

    private static void PrintDuplicates(DatasetSummary s)
    {
        if (s.Duplicates is null)
            return;
        if (s.Duplicates.Groups.Count == 0)
        {
            AnsiConsole.MarkupLine("[green]No duplicates:[/] every file's content (SHA-256) is unique.");
            return;
        }
        var d = s.Duplicates;
        AnsiConsole.MarkupLineInterpolated($"[yellow]{d.Groups.Count} group(s) of identical files[/] (same SHA-256): {d.Files} files, {d.Redundant} redundant copies; {d.LabelConflicts} group(s) with different labels. `data split` and `train` keep each group in one part.");
        foreach (var g in d.Groups)
        {
            var note = g.LabelsDiffer ? "  [red]different labels[/]" : "";
            AnsiConsole.MarkupLine($"  {Markup.Escape(string.Join(" = ", g.Files))}  ({Markup.Escape(g.Sha256[..12])}…){note}");
        }
    }

    public static void PrintSplit(SplitManifest manifest)
    {
        var counts = manifest.Counts();
        var table = new Table().Border(TableBorder.Rounded).AddColumn("genre");
        foreach (var part in new[] { "train", "validation", "test" })
            table.AddColumn(new TableColumn(part).RightAligned());
        var totals = new int[3];
        for (var g = 0; g < Genres.Count; g++)
        {
            if (counts[g, 0] + counts[g, 1] + counts[g, 2] == 0)
                continue;
            table.AddRow(Genres.NameOf(g), counts[g, 0].ToString(), counts[g, 1].ToString(), counts[g, 2].ToString());
            for (var p = 0; p < 3; p++)
                totals[p] += counts[g, p];
        }
        table.AddRow("[bold]total[/]", $"[bold]{totals[0]}[/]", $"[bold]{totals[1]}[/]", $"[bold]{totals[2]}[/]");
        AnsiConsole.Write(table);
    }
}

/// <summary>The machine-readable form of <c>data info</c>.</summary>
internal sealed record DatasetSummary(string Root, string Folder, string Kind, int Total, IReadOnlyList<GenreSummary> Genres, IReadOnlyList<DatasetProblem> Problems, DuplicateSummary? Duplicates = null)
{
    public static DatasetSummary Of(GtzanDataset ds, DuplicateReport? duplicates = null)
    {
        var genres = Core.Genres.Names.Select((name, label) =>
        {
            var items = ds.Items.Where(i => i.Label == label).ToList();
            var formats = items.GroupBy(i => i.Format ?? "?").OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count());
            return new GenreSummary(name, items.Count, formats);
        }).ToList();
        return new(ds.Root, ds.Folder, ds.Kind.ToString().ToLowerInvariant(), ds.Items.Count, genres, ds.Problems, duplicates is null ? null : DuplicateSummary.Of(duplicates));
    }
}

/// <summary>The duplicates part of <c>data info</c>: every group of identical files.</summary>
internal sealed record DuplicateSummary(int Files, int Redundant, int LabelConflicts, IReadOnlyList<DuplicateGroupSummary> Groups)
{
    public static DuplicateSummary Of(DuplicateReport report) => new(
        report.Groups.Sum(g => g.Items.Count),
        report.RedundantFiles,
        report.ConflictingGroups.Count(),
        [.. report.Groups.Select(g => new DuplicateGroupSummary(g.Sha256, [.. g.Items.Select(i => i.File)], [.. g.Items.Select(i => i.Genre)], g.LabelsDiffer))]);
}

internal sealed record DuplicateGroupSummary(string Sha256, IReadOnlyList<string> Files, IReadOnlyList<string> Genres, bool LabelsDiffer);

internal sealed record GenreSummary(string Genre, int Files, IReadOnlyDictionary<string, int> Formats);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DatasetSummary))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
