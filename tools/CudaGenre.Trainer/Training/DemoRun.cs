using System.Diagnostics;
using System.Globalization;
using CudaGenre.Core;
using CudaGenre.Core.Data;
using CudaGenre.Core.Metrics;
using CudaGenre.Core.Models;
using CudaGenre.Synthesis;
using CudaGenre.Engine;
using CudaGenre.Reports;

namespace CudaGenre.Trainer.Training;

/// <summary>What <c>demo</c> does; the defaults take about three minutes on two cores.</summary>
internal sealed record DemoOptions
{
    /// <summary>Folder for everything: <c>data/</c>, <c>run/</c> (the trainer's run folder), <c>engine/</c> and <c>demo.log</c>.</summary>
    public required string Output { get; init; }

    /// <summary>The synthetic data set (clips per genre, clip length, image size, seed).</summary>
    public SyntheticGtzanOptions Data { get; init; } = new() { CountPerGenre = 60 };

    /// <summary>Model input size; null: the CNN's default (144×216).</summary>
    public (int Height, int Width)? InputSize { get; init; }

    /// <summary>Training epochs, batch size, learning rate, seed.</summary>
    public TrainingSettings Training { get; init; } = new() { Epochs = 10 };

    /// <summary>libtorch and engine threads; 0 = one per core.</summary>
    public int Threads { get; init; }
}

/// <summary>What the demo found: the synthetic data set's folder, the trainer's run, and the engine's verdict on the same test images and reference inputs.</summary>
internal sealed record DemoResult(string Data, RunResult Training, SplitEvaluation Engine, ReferenceComparison Reference, int SamePredictions);

/// <summary>
/// The main job on built-in data, with nothing to download: synthesize a GTZAN-like data set, train the CNN on
/// it briefly, export <c>model.safetensors</c> and <c>reference.safetensors</c>, then load the model into the
/// inference engine (CPU, or CUDA when usable) and check that it gives the trainer's predictions and balanced
/// accuracy on the test split and the trainer's logits on the reference inputs.
/// </summary>
internal static class DemoRun
{
    public static DemoResult Execute(DemoOptions options, CancellationToken cancellation, bool? interactive = null)
    {
        var root = Path.GetFullPath(options.Output);
        Directory.CreateDirectory(root);
        var data = Synthesize(root, options.Data, interactive, cancellation);

        var training = TrainRun.Execute(new RunOptions
        {
            Data = data,
            Architecture = Architecture.Cnn,
            Head = ClassifierHead.Linear,
            InputSize = options.InputSize,
            Training = options.Training,
            Threads = options.Threads,
            Output = Path.Combine(root, "run"),
        }, cancellation, interactive);

        using var log = new RunLog(Path.Combine(root, "demo.log"), interactive);
        var modelPath = Path.Combine(training.Folder, "model.safetensors");
        using var session = InferenceSession.Open(modelPath, new SessionOptions
        {
            Backend = Backend.Auto,
            Threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
            Log = log.Log,
        });
        var split = SplitManifest.Load(Path.Combine(training.Folder, "split.json"));
        var test = split.Part(SplitPart.Test).ToList();
        var engine = SplitEvaluation.Run(session, data, test, cancellation: cancellation);
        var reference = ReferenceComparison.Run(session, ReferenceBundle.Read(Path.Combine(training.Folder, "reference.safetensors")));

        var engineFolder = Path.Combine(root, "engine");
        ClassificationReport.From(engine.Matrix).Save(Path.Combine(engineFolder, "report.json"));
        ConfusionMatrixPlot.SavePng(engine.Matrix, Path.Combine(engineFolder, "confusion.png"), $"{session.Spec.Describe()}, test, engine {session.Backend}");

        var same = Enumerable.Range(0, test.Count).Count(i => engine.Predicted[i] == training.Test.Predictions[i]);
        var trained = training.Test.Matrix.BalancedAccuracy;
        log.Log(string.Create(CultureInfo.InvariantCulture,
            $"Engine ({session.Backend} {session.Precision}) on the {test.Count} test images: balanced accuracy {engine.BalancedAccuracy:0.000} (trainer {trained:0.000}), " +
            $"{same}/{test.Count} predictions the same as the trainer's, {engine.EngineTime.TotalMilliseconds / Math.Max(1, test.Count):0.0} ms per image."));
        log.Log(string.Create(CultureInfo.InvariantCulture,
            $"Engine vs trainer logits on the {reference.Count} reference inputs: relative L2 error {reference.RelativeL2Error:0.00E+00}, same top-1 {reference.Top1Agreements}/{reference.Count}: {(reference.Passes() ? "verified" : "NOT verified")}."));
        log.Log($"Wrote {engineFolder}/report.json and confusion.png. Try: cudagenre classify {modelPath} {Path.Combine(data, test[0].File)}");
        return new DemoResult(data, training, engine, reference, same);
    }

    /// <summary>Generates the data set once into a folder named by its options; a later demo with the same options reuses it.</summary>
    private static string Synthesize(string root, SyntheticGtzanOptions options, bool? interactive, CancellationToken cancellation)
    {
        var folder = Path.Combine(root, "data", string.Create(CultureInfo.InvariantCulture,
            $"synth-n{options.CountPerGenre}-{options.Seconds:0.##}s-{options.Width}x{options.Height}-seed{options.Seed}"));
        using var log = new RunLog(Path.Combine(root, "demo.log"), interactive);
        if (File.Exists(Path.Combine(folder, "README.md")))
        {
            log.Log($"Using the synthetic data set in {folder} (made by an earlier demo; NOT real music).");
            return folder;
        }

        var total = options.CountPerGenre * Genres.Count;
        log.Log($"Synthesizing {total} clips ({options.CountPerGenre} per genre, {options.Seconds:0.#} s each; NOT real music) into {folder}…");
        var clock = Stopwatch.StartNew();
        var step = Math.Max(1, total / 5);
        SyntheticGtzan.Generate(folder, options, new LineProgress(done =>
        {
            if (done % step == 0 && done < total)
                log.Log($"  {done}/{total} clips");
        }), cancellation);
        log.Log(string.Create(CultureInfo.InvariantCulture, $"Synthesized {total} spectrograms in {clock.Elapsed.TotalSeconds:0} s."));
        return folder;
    }

    /// <summary>Reports on the generator's thread (Progress&lt;T&gt; would post to the thread pool, out of order).</summary>
    private sealed class LineProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
