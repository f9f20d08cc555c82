using System.CommandLine;
using System.Globalization;
using CudaGenre.Trainer.Training;
using Spectre.Console;

namespace CudaGenre.Trainer.Cli;

/// <summary><c>ensemble</c>: combines trained runs into one ensemble the engine opens as a model (<see cref="EnsembleRun"/>).</summary>
internal static class EnsembleCommand
{
    public static Command Create()
    {
        var members = new Option<string[]>("--member", "-m") { Description = "A trained run folder (or its model.safetensors); give one per member. All must share one split.", Required = true, AllowMultipleArgumentsPerToken = false };
        var weights = new Option<double[]>("--weight", "-w") { Description = "Each member's weight in the mean of the probabilities, in --member order (default 1 each)." };
        var data = new Option<string?>("--data", "-d") { Description = "The data set; default: the one in the first member's config.json." };
        var output = new Option<string>("--out", "-o") { Description = "The ensemble's folder.", Required = true };
        var referenceLimit = new Option<int>("--reference-limit") { Description = "Most test items in the reference (all if fewer; else a seeded subset; at least 64).", DefaultValueFactory = _ => 256 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the reference subset and the bootstrap interval.", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads; 0 = one per core.", DefaultValueFactory = _ => 0 };
        var command = new Command("ensemble", """
            Combine trained runs into an ensemble: evaluates each run's model with TorchSharp on the runs'
            split, combines them as the engine does (log of the weighted mean of the members' probabilities),
            and writes the members (copied), ensemble.json (the manifest `cudagenre` opens like a model),
            reference.safetensors with reference-mI.safetensors per member, metrics.json (validation and
            test, with the 95 % interval, for the ensemble and each member) and confusion_val/test.png.
            """)
        {
            members, weights, data, output, referenceLimit, seed, threads,
        };
        command.SetAction(parse => CommandRunner.Run(token =>
        {
            Torch.Configure(parse.GetValue(threads));
            var given = parse.GetValue(weights);
            var result = EnsembleRun.Execute(new EnsembleOptions(parse.GetValue(members)!, given is { Length: > 0 } ? given : null, parse.GetValue(output)!,
                parse.GetValue(data), parse.GetValue(referenceLimit), parse.GetValue(seed)), token);
            var best = result.MemberTest.Max(m => m.Estimate);
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"Ensemble test balanced accuracy [bold]{result.Test.Estimate:0.000}[/] [[{result.Test.Lower:0.000}, {result.Test.Upper:0.000}]] (best member {best:0.000}); wrote {Markup.Escape(result.Manifest)}."));
            return 0;
        }));
        return command;
    }
}
