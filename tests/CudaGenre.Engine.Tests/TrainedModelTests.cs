using System.Text.Json.Nodes;
using CudaGenre.Core.Data;
using CudaGenre.Core.Models;
using CudaGenre.Synthesis;
using CudaGenre.Trainer.Training;

namespace CudaGenre.Engine.Tests;

/// <summary>
/// A model actually trained (by the trainer's own <c>demo</c> pipeline, on a small built-in synthetic set): the
/// engine, reading and preprocessing the test images itself, must give the trainer's predictions and balanced
/// accuracy, and the trainer's logits on the reference inputs, on each backend. The model is trained once per class.
/// </summary>
[Collection(nameof(TorchUsers))]
public sealed class TrainedModelTests(TrainedDemo demo) : IClassFixture<TrainedDemo>
{
    [Fact]
    public void Engine_ReproducesTheTrainersTestPredictions_OnAModelTrainedOnSyntheticData()
    {
        var result = demo.Result;

        var trainer = result.Training.Test;
        Assert.True(trainer.Predictions.Distinct().Count() >= 3, $"the trained model predicts only {string.Join(",", trainer.Predictions.Distinct())}: too degenerate to test with");
        Assert.Equal(trainer.Predictions, result.Engine.Predicted);
        var split = SplitManifest.Load(Path.Combine(result.Training.Folder, "split.json"));
        Assert.Equal(split.Part(SplitPart.Test).Select(e => e.Label), result.Engine.Truth);
        var recorded = (double)JsonNode.Parse(File.ReadAllText(Path.Combine(result.Training.Folder, "metrics.json")))!["test"]!["balancedAccuracy"]!;
        Assert.Equal(recorded, result.Engine.BalancedAccuracy, 12);
        Assert.True(result.Reference.Passes(), $"relative L2 error {result.Reference.RelativeL2Error:E2}, same top-1 {result.Reference.Top1Agreements}/{result.Reference.Count}");
        Assert.True(File.Exists(Path.Combine(demo.Folder, "engine", "confusion.png")));
    }

    /// <summary>
    /// The trained model on each backend, whichever <c>Auto</c> picked in the demo: the trainer's test predictions
    /// and recorded balanced accuracy, and its logits on the reference inputs (what <c>cudagenre evaluate</c> and
    /// <c>verify</c> compute). CUDA runs where a GPU, or the emulated device with its libraries, is usable.
    /// </summary>
    [Theory]
    [InlineData(Backend.Cpu)]
    [InlineData(Backend.Cuda)]
    public void EachBackend_ReproducesTheTrainersPredictionsAndLogits(Backend backend)
    {
        if (backend == Backend.Cuda)
            Gpu.Require();
        var result = demo.Result;
        var run = result.Training.Folder;
        using var session = InferenceSession.Open(Path.Combine(run, "model.safetensors"), new SessionOptions { Backend = backend, Threads = 2 });
        Assert.Equal(backend, session.Backend);
        var test = SplitManifest.Load(Path.Combine(run, "split.json")).Part(SplitPart.Test).ToList();
        var engine = SplitEvaluation.Run(session, result.Data, test, cancellation: TestContext.Current.CancellationToken);
        Assert.Equal(result.Training.Test.Predictions, engine.Predicted);
        var recorded = (double)JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!["test"]!["balancedAccuracy"]!;
        Assert.Equal(recorded, engine.BalancedAccuracy, 12);
        var reference = ReferenceComparison.Run(session, ReferenceBundle.Read(Path.Combine(run, "reference.safetensors")));
        Assert.True(reference.Passes(), $"{backend}: relative L2 error {reference.RelativeL2Error:E2}, same top-1 {reference.Top1Agreements}/{reference.Count}");
    }

    /// <summary>
    /// The command line on the trained model, on each backend (CUDA where a GPU or the emulated device is usable):
    /// <c>cudagenre verify</c> passes against the trainer's reference logits, and <c>cudagenre evaluate</c> on the
    /// trainer's split writes the balanced accuracy the trainer recorded.
    /// </summary>
    [Theory]
    [InlineData(Backend.Cpu)]
    [InlineData(Backend.Cuda)]
    public void VerifyAndEvaluate_ReproduceTheTrainer(Backend backend)
    {
        if (backend == Backend.Cuda)
            Gpu.Require();
        var result = demo.Result;
        var run = result.Training.Folder;
        var model = Path.Combine(run, "model.safetensors");
        var name = backend.ToString().ToLowerInvariant();
        Assert.Equal(0, Cli.CliApp.Create().Parse(["verify", model, "--backend", name]).Invoke());
        var report = Path.Combine(demo.Folder, $"cli-evaluate-{name}");
        Assert.Equal(0, Cli.CliApp.Create().Parse(["evaluate", model, "--data", result.Data, "--manifest", Path.Combine(run, "split.json"),
            "--backend", name, "--out", report, "--batch-size", "5"]).Invoke());
        var recorded = (double)JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!["test"]!["balancedAccuracy"]!;
        var written = (double)JsonNode.Parse(File.ReadAllText(Path.Combine(report, "report.json")))!["balancedAccuracy"]!;
        Assert.Equal(recorded, written, 12);
    }
}

/// <summary>The demo's trained run, made once for the tests that read it (training is the slow part).</summary>
public sealed class TrainedDemo : IDisposable
{
    private readonly Lazy<DemoResult> _result;

    public TrainedDemo() => _result = new(() => DemoRun.Execute(new DemoOptions
    {
        Output = Folder,
        Data = new SyntheticGtzanOptions { CountPerGenre = 30, Seconds = 6, Width = 144, Height = 96, Seed = 7 },
        InputSize = (48, 72),
        Training = new TrainingSettings { Epochs = 8, BatchSize = 8, Seed = 7 },
        Threads = 2,
    }, TestContext.Current.CancellationToken, interactive: false));

    public string Folder { get; } = Directory.CreateTempSubdirectory("cudagenre-demo-").FullName;

    internal DemoResult Result => _result.Value;

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
