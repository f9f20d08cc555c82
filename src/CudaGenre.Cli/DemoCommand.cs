using System.CommandLine;
using CudaGenre.Core.Synthesis;
using Spectre.Console;

namespace CudaGenre.Cli;

/// <summary>
/// <c>cudagenre demo</c>: the main job on built-in data, needing no download. For now it synthesizes a
/// small GTZAN-like data set, checks every file, splits it and prints the summary; training, export and
/// evaluation join it as they are built.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out", "-o") { Description = "Folder for everything the demo writes.", DefaultValueFactory = _ => Path.Combine("out", "demo") };
        var count = new Option<int>("--count-per-genre", "-n") { Description = "Clips per genre.", DefaultValueFactory = _ => 30 };
        var seconds = new Option<double>("--seconds") { Description = "Length of each clip in seconds.", DefaultValueFactory = _ => 30 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the data and the split.", DefaultValueFactory = _ => 42 };
        var command = new Command("demo", "Run the main job on built-in synthetic data: synthesize a GTZAN-like set, verify it, split it 80/10/10, summarize.")
        {
            output, count, seconds, seed,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var root = Path.GetFullPath(parse.GetValue(output)!);
            var options = new SyntheticGtzanOptions
            {
                CountPerGenre = parse.GetValue(count),
                Seconds = parse.GetValue(seconds),
                Seed = parse.GetValue(seed),
                WriteAudio = true,
            };
            var (ds, split) = SynthCommand.Generate(Path.Combine(root, "data"), options, writeSplit: true);
            AnsiConsole.MarkupLineInterpolated($"[green]Demo data ready:[/] {ds.Items.Count} spectrograms, split {split!.ShortHash}. Next steps (train → export → evaluate) arrive with the trainer and engine.");
            return 0;
        }));
        return command;
    }
}
