using System.Text.Json.Nodes;
using CudaGenre.Core.Data;
using CudaGenre.Core.Synthesis;
using CudaGenre.Trainer.Training;

namespace CudaGenre.Engine.Tests;

/// <summary>
/// A model actually trained (by the trainer's own <c>demo</c> pipeline, on a small built-in synthetic set): the
/// engine, reading and preprocessing the test images itself, must give the trainer's predictions and balanced
/// accuracy, and the trainer's logits on the reference inputs.
/// </summary>
[Collection(nameof(TorchUsers))]
public sealed class TrainedModelTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cudagenre-demo-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Engine_ReproducesTheTrainersTestPredictions_OnAModelTrainedOnSyntheticData()
    {
        var result = DemoRun.Execute(new DemoOptions
        {
            Output = _folder,
            Data = new SyntheticGtzanOptions { CountPerGenre = 30, Seconds = 6, Width = 144, Height = 96, Seed = 7 },
            InputSize = (48, 72),
            Training = new TrainingSettings { Epochs = 8, BatchSize = 8, Seed = 7 },
            Threads = 2,
        }, CancellationToken.None, interactive: false);

        var trainer = result.Training.Test;
        Assert.True(trainer.Predictions.Distinct().Count() >= 3, $"the trained model predicts only {string.Join(",", trainer.Predictions.Distinct())}: too degenerate to test with");
        Assert.Equal(trainer.Predictions, result.Engine.Predicted);
        var split = SplitManifest.Load(Path.Combine(result.Training.Folder, "split.json"));
        Assert.Equal(split.Part(SplitPart.Test).Select(e => e.Label), result.Engine.Truth);
        var recorded = (double)JsonNode.Parse(File.ReadAllText(Path.Combine(result.Training.Folder, "metrics.json")))!["test"]!["balancedAccuracy"]!;
        Assert.Equal(recorded, result.Engine.BalancedAccuracy, 12);
        Assert.True(result.Reference.Passes(), $"relative L2 error {result.Reference.RelativeL2Error:E2}, same top-1 {result.Reference.Top1Agreements}/{result.Reference.Count}");
        Assert.True(File.Exists(Path.Combine(_folder, "engine", "confusion.png")));
    }
}
