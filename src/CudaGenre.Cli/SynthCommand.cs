using System.CommandLine;
using System.Diagnostics;
using CudaGenre.Core;
using CudaGenre.Core.Data;
using CudaGenre.Synthesis;
using Spectre.Console;

namespace CudaGenre.Cli;

/// <summary><c>cudagenre data synth</c>: the built-in synthetic GTZAN.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out", "-o") { Description = "Folder to write the data set into.", DefaultValueFactory = _ => "synth" };
        var count = new Option<int>("--count-per-genre", "-n") { Description = "Clips per genre (GTZAN has 100).", DefaultValueFactory = _ => 100 };
        var seconds = new Option<double>("--seconds") { Description = "Length of each clip in seconds (GTZAN: 30).", DefaultValueFactory = _ => 30 };
        var size = new Option<string>("--size") { Description = "Spectrogram image size WIDTHxHEIGHT (Kaggle GTZAN: 432x288).", DefaultValueFactory = _ => "432x288" };
        var seed = new Option<ulong>("--seed") { Description = "Seed; the same settings give the same files.", DefaultValueFactory = _ => 42 };
        var wav = new Option<bool>("--wav") { Description = "Also write the audio as WAV under genres_original/." };
        var split = new Option<bool>("--split") { Description = "Also write a stratified 80/10/10 split manifest (split.json, same seed) into the folder." };
        var command = new Command("synth", """
            Generate a synthetic GTZAN-like data set (NOT real music): per-genre synthesized clips rendered
            to mel-spectrogram PNGs in the GTZAN layout, for running the pipeline without downloads.
            """)
        {
            output, count, seconds, size, seed, wav, split,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var (width, height) = CliRunner.ParseSize(parse.GetValue(size)!);
            var options = new SyntheticGtzanOptions
            {
                CountPerGenre = parse.GetValue(count),
                Seconds = parse.GetValue(seconds),
                Width = width,
                Height = height,
                Seed = parse.GetValue(seed),
                WriteAudio = parse.GetValue(wav),
            };
            Generate(Path.GetFullPath(parse.GetValue(output)!), options, parse.GetValue(split));
            return 0;
        }));
        return command;
    }

    /// <summary>Generates with a progress bar, then prints the data set summary (and split, if asked).</summary>
    public static (GtzanDataset Dataset, SplitManifest? Split) Generate(string outputDir, SyntheticGtzanOptions options, bool writeSplit)
    {
        var total = options.CountPerGenre * Genres.Count;
        AnsiConsole.MarkupLineInterpolated($"Synthesizing {total} clips ({options.CountPerGenre} per genre × {options.Seconds} s, seed {options.Seed}) into [bold]{outputDir}[/]");
        var clock = Stopwatch.StartNew();
        using var ctrlC = CliRunner.CancelOnCtrlC();
        CliRunner.WithProgress("Synthesizing", total, p =>
        {
            SyntheticGtzan.Generate(outputDir, options, p, ctrlC.Token);
            return 0;
        });
        var elapsed = clock.Elapsed;
        AnsiConsole.MarkupLineInterpolated($"Done in {elapsed.TotalSeconds:0.0} s ({elapsed.TotalMilliseconds / total:0} ms per clip on {Environment.ProcessorCount} cores).");

        var ds = GtzanDataset.Open(outputDir, MediaKind.Image, verify: true);
        DataCommands.PrintSummary(DatasetSummary.Of(ds));
        SplitManifest? split = null;
        if (writeSplit)
        {
            split = SplitManifest.Create(ds, options.Seed);
            var path = Path.Combine(outputDir, "split.json");
            split.Save(path);
            DataCommands.PrintSplit(split);
            AnsiConsole.MarkupLineInterpolated($"Split {split.ShortHash} written to [bold]{path}[/]");
        }
        return (ds, split);
    }
}
