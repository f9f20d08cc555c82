using System.Text.Json;
using CudaGenre.Cli;
using CudaGenre.Core.Data;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Metrics;
using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;
using CudaGenre.Engine;

namespace CudaGenre.Core.Tests.Cli;

[Collection(nameof(ConsoleUsers))]
public class ModelCommandTests
{
    /// <summary>A small CNN with seeded random weights; its predictions are arbitrary but deterministic.</summary>
    private static string WriteRandomCnn(TempFolder temp)
    {
        var spec = ModelSpec.Default(Architecture.Cnn, ClassifierHead.Dense) with { InputHeight = 48, InputWidth = 64 };
        var graph = ModelGraph.Build(spec);
        var random = new SeededRandom(3);
        var writer = new SafetensorsWriter();
        foreach (var entry in graph.StateDict)
        {
            var values = new float[entry.Shape.ElementCount];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)(random.NextDouble() - 0.5);
            }
            writer.Add(entry.Name, entry.Shape, values);
        }
        var path = temp.File("model.safetensors");
        ModelFile.Write(path, spec, writer);
        return path;
    }

    [Fact]
    public void Classify_And_Evaluate_AgreeWithTheEngineUsedDirectly()
    {
        using var temp = new TempFolder();
        var data = temp.File("data");
        Assert.Equal(0, Invoke("data", "synth", "--out", data, "--count-per-genre", "2", "--seconds", "1", "--size", "96x64", "--seed", "4"));
        var model = WriteRandomCnn(temp);
        using var session = InferenceSession.Open(model, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });
        var ds = GtzanDataset.Open(data);
        var expected = ds.Items.ToDictionary(i => Path.GetFullPath(ds.PathOf(i)), i => session.Classify(ImageFile.Read(ds.PathOf(i))).Label);

        var (rc, stdout) = Capture("classify", model, Path.Combine(data, "images_original"), "--json", "--backend", "cpu");
        Assert.Equal(0, rc);
        var classified = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("file").GetString()!, e => e.GetProperty("genre").GetString()!);
        Assert.Equal(expected.Count, classified.Count);
        Assert.All(expected, pair => Assert.Equal(pair.Value, classified[pair.Key]));

        var report = temp.File("report");
        Assert.Equal(0, Invoke("evaluate", model, "--data", data, "--split", "all", "--out", report, "--backend", "cpu", "--batch-size", "3"));
        var matrix = ConfusionMatrix.From([.. ds.Items.Select(i => i.Label)], [.. ds.Items.Select(i => Genres.Names.ToList().IndexOf(expected[Path.GetFullPath(ds.PathOf(i))]))], Genres.Names);
        Assert.Equal(matrix.BalancedAccuracy, ClassificationReport.Load(Path.Combine(report, "report.json")).BalancedAccuracy, 12);
        Assert.True(File.Exists(Path.Combine(report, "confusion.png")));
    }

    [Fact]
    public void BadModelsAndInputs_GiveExitCode1()
    {
        using var temp = new TempFolder();
        var notAModel = temp.File("notamodel.safetensors");
        File.WriteAllBytes(notAModel, [1, 2, 3]);
        Assert.Equal(1, Invoke("classify", notAModel, temp.Path));
        var model = WriteRandomCnn(temp);
        Assert.Equal(1, Invoke("classify", model, temp.File("missing.png")));
        Assert.Equal(1, Invoke("classify", model, temp.Path, "--backend", "tpu"));
        Assert.Equal(1, Invoke("evaluate", model, "--data", temp.File("nothing-here")));
    }

    private static int Invoke(params string[] args) => CliApp.Create().Parse(args).Invoke();

    private static (int ExitCode, string Stdout) Capture(params string[] args)
    {
        var original = Console.Out;
        using var writer = new StringWriter();
        Console.SetOut(writer);
        try
        {
            var rc = Invoke(args);
            return (rc, writer.ToString());
        }
        finally
        {
            Console.SetOut(original);
        }
    }
}
