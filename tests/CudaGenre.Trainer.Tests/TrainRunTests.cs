using System.Text.Json.Nodes;
using CudaGenre.Core.Data;
using CudaGenre.Core.Models;
using CudaGenre.Synthesis;
using CudaGenre.Trainer.Models;
using CudaGenre.Trainer.Training;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Tests;

/// <summary>Whole runs on a tiny synthetic GTZAN (3 short clips per genre), generated once per class.</summary>
public sealed class TrainRunTests : IClassFixture<TrainRunTests.TinySynth>
{
    private static readonly string[] RunFiles =
    [
        "config.json", "split.json", "train.log", "metrics.json", "curves_loss.png", "curves_accuracy.png",
        "confusion_val.png", "confusion_test.png", "model.safetensors", "reference.safetensors",
    ];

    private readonly TinySynth _data;

    public TrainRunTests(TinySynth data) => _data = data;

    [Fact]
    public void A_run_writes_every_file_and_the_reference_matches_the_exported_model()
    {
        using var temp = new TempFolder();
        var result = TrainRun.Execute(Options(temp.File("run"), epochs: 2), CancellationToken.None, interactive: false);

        foreach (var file in RunFiles)
            Assert.True(new FileInfo(Path.Combine(result.Folder, file)).Length > 0, $"{file} is missing or empty");
        var split = SplitManifest.Load(Path.Combine(result.Folder, "split.json"));
        var model = ModelFile.Read(Path.Combine(result.Folder, "model.safetensors"));
        Assert.Equal(split.Hash, model.Spec.SplitHash);
        Assert.Equal(TrainerInfo.Version, model.Spec.TrainerVersion);
        Assert.Equal((24, 32), (model.Spec.InputHeight, model.Spec.InputWidth));

        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(result.Folder, "metrics.json")))!;
        Assert.Equal(2, metrics["epochs"]!.AsArray().Count);
        Assert.Equal(result.Outcome.Best.Epoch, (int)metrics["bestEpoch"]!);
        var interval = metrics["test"]!["balancedAccuracy95"]!;
        Assert.InRange((double)interval["estimate"]!, (double)interval["lower"]!, (double)interval["upper"]!);
        Assert.Equal(result.Test.Matrix.BalancedAccuracy, (double)metrics["test"]!["balancedAccuracy"]!, 12);
        Assert.False((bool)metrics["cancelled"]!);

        // The bundle holds every test image (10 ≤ limit) and the logits a fresh network built from the file gives.
        var bundle = ReferenceBundle.Read(Path.Combine(result.Folder, "reference.safetensors"));
        Assert.Equal(split.Part(SplitPart.Test).Select(e => e.File), bundle.Sources);
        Assert.Equal(split.Part(SplitPart.Test).Select(e => (long)e.Label), bundle.Labels.ToArray());
        using var network = new GraphModule(model.Graph);
        StateDict.LoadInto(network, model.Graph, model.Weights, skipHead: false);
        network.eval();
        using var noGrad = no_grad();
        using var x = tensor(bundle.Inputs.ToArray(), [bundle.Count, 3, 24, 32]);
        var logits = network.forward(x).data<float>().ToArray();
        Assert.Equal(bundle.Logits.ToArray(), logits);
        Assert.Equal(result.Test.Logits, logits);
    }

    [Fact]
    public void A_cancelled_run_still_writes_everything_from_the_best_checkpoint()
    {
        using var temp = new TempFolder();
        using var cancel = new CancellationTokenSource();
        // 10 training images (1 per genre), batch 4: 3 steps per epoch; cancel in the second step of epoch 2.
        var watcher = new RecordingObserver(cancel, cancelAtBatch: 5);
        var result = TrainRun.Execute(Options(temp.File("run"), epochs: 20) with { Training = new TrainingSettings { Epochs = 20, BatchSize = 4, Seed = 3 } }, cancel.Token, interactive: false, watcher);

        Assert.True(result.Outcome.Cancelled);
        Assert.Equal(2, result.Outcome.Epochs.Count);
        foreach (var file in RunFiles)
            Assert.True(File.Exists(Path.Combine(result.Folder, file)), $"{file} is missing");
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(result.Folder, "metrics.json")))!;
        Assert.True((bool)metrics["cancelled"]!);
        Assert.Contains("cancelled", File.ReadAllText(Path.Combine(result.Folder, "train.log")), StringComparison.Ordinal);
        _ = ModelFile.Read(Path.Combine(result.Folder, "model.safetensors"));
    }

    private RunOptions Options(string output, int epochs)
        => _data.Options(output, new TrainingSettings { Epochs = epochs, BatchSize = 4, Seed = 5, Augmentation = CudaGenre.Trainer.Data.Augmentation.Default });

    /// <summary>A synthetic GTZAN of 3 clips per genre, 3 s each, 64×48 images: 1 train, 1 validation, 1 test per genre.</summary>
    public sealed class TinySynth : IDisposable
    {
        private readonly TempFolder _folder = new();

        public TinySynth()
        {
            Root = _folder.File("synth");
            SyntheticGtzan.Generate(Root, new SyntheticGtzanOptions { CountPerGenre = 3, Seconds = 3, Width = 64, Height = 48, Seed = 11 });
        }

        /// <summary>A run of the small dense-head CNN at 24×32 on this data set, on 2 threads, into <paramref name="output"/>.</summary>
        internal RunOptions Options(string output, TrainingSettings training) => new()
        {
            Data = Root,
            Architecture = Architecture.Cnn,
            Head = ClassifierHead.Dense,
            InputSize = (24, 32),
            Output = output,
            Threads = 2,
            Training = training,
        };

        public string Root { get; }

        public void Dispose() => _folder.Dispose();
    }
}
