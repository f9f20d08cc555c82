using System.CommandLine;
using CudaGenre.Synthesis;
using CudaGenre.Trainer.Training;

namespace CudaGenre.Trainer.Cli;

/// <summary><c>demo</c>: the main job on built-in data (see <see cref="DemoRun"/>).</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out", "-o") { Description = "Folder for everything the demo writes.", DefaultValueFactory = _ => Path.Combine("out", "demo") };
        var count = new Option<int>("--count-per-genre", "-n") { Description = "Synthetic clips per genre (80/10/10 split).", DefaultValueFactory = _ => 60 };
        var seconds = new Option<double>("--seconds") { Description = "Length of each synthetic clip in seconds.", DefaultValueFactory = _ => 30 };
        var epochs = new Option<int>("--epochs", "-e") { Description = "Training epochs of the CNN.", DefaultValueFactory = _ => 10 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the data, the split and the training.", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "Threads for training and the engine; 0 = one per core.", DefaultValueFactory = _ => 0 };
        var command = new Command("demo", """
            The main job on built-in data, nothing to download: synthesize a GTZAN-like data set, train the
            CNN on it briefly, export model.safetensors and reference.safetensors, then load the model into
            the inference engine and check that it reproduces the trainer's test predictions, balanced
            accuracy and logits. About three minutes on two cores with the defaults. Exit code 3 when the
            engine does not reproduce the trainer.
            """)
        {
            output, count, seconds, epochs, seed, threads,
        };
        command.SetAction(parse => CommandRunner.Run(token =>
        {
            var n = parse.GetValue(count);
            if (n < 3)
                throw new ArgumentException($"--count-per-genre must be at least 3 (one clip per split part), got {n}.");
            var options = new DemoOptions
            {
                Output = parse.GetValue(output)!,
                Data = new SyntheticGtzanOptions { CountPerGenre = n, Seconds = parse.GetValue(seconds), Seed = parse.GetValue(seed) },
                Training = new TrainingSettings { Epochs = parse.GetValue(epochs), Seed = parse.GetValue(seed) },
                Threads = parse.GetValue(threads),
            };
            options.Training.Validate();
            var result = DemoRun.Execute(options, token);
            // Not reproducing the trainer is a failure of the product, not of the input.
            return result.Reference.Passes() && result.SamePredictions == result.Engine.Predicted.Count ? 0 : 3;
        }));
        return command;
    }
}
