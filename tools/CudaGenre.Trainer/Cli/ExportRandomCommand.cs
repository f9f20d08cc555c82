using System.CommandLine;
using CudaGenre.Core.Models;
using CudaGenre.Trainer.Models;
using Spectre.Console;

namespace CudaGenre.Trainer.Cli;

/// <summary><c>export-random</c>: a model with seeded random weights and its reference bundle, for engine validation.</summary>
internal static class ExportRandomCommand
{
    public static Command Create()
    {
        var arch = new Option<string>("--arch", "-a") { Description = $"Architecture: {ArchitectureNames.AllArchitectures}.", DefaultValueFactory = _ => "cnn" };
        var head = new Option<string>("--head") { Description = "Classifier head: linear or dense.", DefaultValueFactory = _ => "linear" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the weights and inputs.", DefaultValueFactory = _ => 42 };
        var inputSize = new Option<string?>("--input-size") { Description = "HEIGHTxWIDTH; default: the architecture's real input size." };
        var count = new Option<int>("--count", "-n") { Description = "Number of random inputs in the reference bundle.", DefaultValueFactory = _ => 8 };
        var output = new Option<string>("--out", "-o") { Description = "Folder to write model.safetensors and reference.safetensors into.", DefaultValueFactory = _ => "random-model" };
        var threads = new Option<int>("--threads") { Description = "libtorch threads; 0 = one per core.", DefaultValueFactory = _ => 0 };
        var command = new Command("export-random", """
            Write a model with seeded random weights (random BatchNorm statistics too, so BN folding is
            exercised) and a reference bundle of random inputs with TorchSharp's eval-mode logits.
            """)
        {
            arch, head, seed, inputSize, count, output, threads,
        };
        command.SetAction(parse => CommandRunner.Run(_ =>
        {
            Torch.Configure(parse.GetValue(threads));
            var spec = ModelSpec.Default(TrainerApp.ParseArchitecture(parse.GetValue(arch)!), TrainerApp.ParseHead(parse.GetValue(head)!));
            if (parse.GetValue(inputSize) is { } text)
            {
                var (h, w) = CommandRunner.ParseInputSize(text);
                spec = spec with { InputHeight = h, InputWidth = w };
            }

            spec = spec with { TrainerVersion = TrainerInfo.Version };
            var n = parse.GetValue(count);
            if (n < 1)
                throw new ArgumentException($"--count must be at least 1 (got {n}).");
            var folder = Path.GetFullPath(parse.GetValue(output)!);
            var (model, reference) = Write(spec, parse.GetValue(seed), n, folder);
            AnsiConsole.MarkupLineInterpolated($"Wrote [bold]{model}[/] ({spec.Describe()}) and [bold]{reference}[/] ({n} random inputs).");
            return 0;
        }));
        return command;
    }

    /// <summary>Writes both files into <paramref name="folder"/>; returns their paths.</summary>
    public static (string Model, string Reference) Write(ModelSpec spec, ulong seed, int count, string folder)
    {
        using var model = RandomModel.Create(spec, seed);
        var inputs = RandomModel.RandomInputs(spec, count, seed);
        var modelPath = Path.Combine(folder, "model.safetensors");
        var referencePath = Path.Combine(folder, "reference.safetensors");
        Export.WriteModel(modelPath, model, spec);
        Export.WriteReference(referencePath, model, spec, inputs, Math.Max(count, 64), seed, "random", modelPath);
        return (modelPath, referencePath);
    }
}
