using System.Text.Json.Nodes;
using CudaGenre.Core;
using CudaGenre.Core.Data;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Models;
using CudaGenre.Trainer.Training;

namespace CudaGenre.Engine.Tests;

/// <summary>
/// The trainer's <c>ensemble</c> command and the engine on its output: two "runs" (small CNNs of different input sizes,
/// seeded random weights, one split of a small folder of random images), combined by the trainer with TorchSharp; the
/// engine's <c>evaluate</c> must give the trainer's test predictions and balanced accuracy exactly, <c>verify</c> must pass
/// (each member and the combination), and <c>classify</c> must take the manifest.
/// </summary>
[Collection(nameof(TorchUsers))]
public sealed class EnsembleRoundTripTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private (string Data, SplitManifest Split, string[] Runs) MakeRuns()
    {
        var data = _temp.Folder("data");
        var random = new SeededRandom(5);
        foreach (var genre in Genres.Names)
        {
            var folder = Path.Combine(data, "images_original", genre);
            Directory.CreateDirectory(folder);
            for (var i = 0; i < 10; i++)
            {
                // A random level per channel and image (what survives the CNN's global pooling), so that the random
                // members do not all predict one class, plus pixel noise.
                var (w, h) = (36 + i, 24);
                int[] level = [random.NextInt(230), random.NextInt(230), random.NextInt(230)];
                ImageFile.WritePng(Path.Combine(folder, $"{genre}000{i:00}.png"),
                    new RgbImage(w, h, [.. Enumerable.Range(0, w * h * 3).Select(k => (byte)(level[k % 3] + random.NextInt(26)))]));
            }
        }
        var split = SplitManifest.Create(GtzanDataset.Open(data), 42);
        ModelSpec[] specs =
        [
            ModelSpec.Default(Architecture.Cnn) with { InputHeight = 16, InputWidth = 24, CnnWidths = [4, 8], SplitHash = split.Hash },
            ModelSpec.Default(Architecture.Cnn, ClassifierHead.Dense) with { InputHeight = 20, InputWidth = 20, CnnWidths = [6], DenseUnits = 12, Mean = [0.5f, 0.5f, 0.5f], Std = [0.25f, 0.5f, 0.3f], SplitHash = split.Hash },
        ];
        var runs = specs.Select((spec, i) =>
        {
            var run = _temp.Folder($"run{i}");
            RandomWeights.WriteModel(Path.Combine(run, "model.safetensors"), spec, 20 + (ulong)i);
            split.Save(Path.Combine(run, "split.json"));
            File.WriteAllText(Path.Combine(run, "config.json"), new JsonObject { ["data"] = data }.ToJsonString());
            return run;
        }).ToArray();
        return (data, split, runs);
    }

    [Fact]
    public void TheEnginesEvaluateAndVerify_ReproduceTheTrainersEnsemble()
    {
        var (data, split, runs) = MakeRuns();
        var output = _temp.File("ensemble");
        var result = EnsembleRun.Execute(new EnsembleOptions(runs, [1.0, 2.5], output, Data: null, ReferenceLimit: 64), TestContext.Current.CancellationToken, interactive: false);
        Assert.True(result.TestPredictions.Distinct().Count() >= 2, "the ensemble predicts one class only: too degenerate to test with");

        var manifest = Path.Combine(output, "ensemble.json");
        Assert.Equal([1.0, 2.5], EnsembleManifest.Read(manifest).Weights());
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")))!;
        var recorded = (double)metrics["test"]!["balancedAccuracy"]!;
        Assert.Equal(result.Test.Estimate, recorded, 12);
        Assert.Equal(2, metrics["members"]!.AsArray().Count);
        Assert.True(File.Exists(Path.Combine(output, "confusion_test.png")));

        // The engine's predictions, image by image, and the CLI's figure.
        using (var session = InferenceSession.Open(manifest, new SessionOptions { Backend = Backend.Cpu, Threads = 2 }))
        {
            var engine = SplitEvaluation.Run(session, data, [.. split.Part(SplitPart.Test)], cancellation: TestContext.Current.CancellationToken);
            Assert.Equal(result.TestPredictions, engine.Predicted);
        }
        var report = _temp.File("report");
        Assert.Equal(0, Cli.CliApp.Create().Parse(["evaluate", manifest, "--data", data, "--manifest", Path.Combine(runs[0], "split.json"), "--backend", "cpu", "--out", report]).Invoke());
        Assert.Equal(recorded, (double)JsonNode.Parse(File.ReadAllText(Path.Combine(report, "report.json")))!["balancedAccuracy"]!, 12);

        Assert.Equal(0, Cli.CliApp.Create().Parse(["verify", manifest, "--backend", "cpu"]).Invoke());
        var image = Directory.GetFiles(Path.Combine(data, "images_original", "jazz"))[0];
        var classified = CommandOutput.Capture(() => Cli.CliApp.Create().Parse(["classify", manifest, image, "--json", "--backend", "cpu"]).Invoke());
        Assert.Equal(0, classified.ExitCode);
        using (var session = InferenceSession.Open(manifest, new SessionOptions { Backend = Backend.Cpu }))
            Assert.Equal(session.Classify(ImageFile.Read(image)).Label, (string)JsonNode.Parse(classified.Output)![0]!["genre"]!);

        // A reference for another manifest (a weight changed afterwards) is refused, naming the reason.
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("2.5", "3", StringComparison.Ordinal));
        var refused = CommandOutput.Capture(() => Cli.CliApp.Create().Parse(["verify", manifest, "--backend", "cpu"]).Invoke());
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("was made for another manifest", refused.Output, StringComparison.Ordinal);
    }
}
