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
    internal static string WriteRandomCnn(TempFolder temp)
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

    [Fact]
    public void Verify_PassesWithinTheTolerance_AndFailsWhenATop1ClassDiffers()
    {
        using var temp = new TempFolder();
        var model = WriteRandomCnn(temp);
        var spec = ModelFile.Read(model).Spec;
        const int count = 3;
        var random = new SeededRandom(9);
        var inputs = new float[count * spec.InputChannels * spec.InputHeight * spec.InputWidth];
        for (var i = 0; i < inputs.Length; i++)
            inputs[i] = (float)(random.NextDouble() * 2 - 1);
        float[] logits;
        using (var session = InferenceSession.Open(model, new SessionOptions { Backend = Backend.Cpu, Threads = 1 }))
            logits = session.Run(inputs, count);

        // A trainer whose logits differ by one part in a million passes; one whose first top-1 differs does not.
        var close = logits.Select(v => v * (1 + 1e-6f)).ToArray();
        var reference = temp.File("reference.safetensors");
        new ReferenceBundle(spec, "random", [], inputs, [0, 1, 2], close).Write(reference);
        Assert.Equal(0, Invoke("verify", model, "--backend", "cpu"));

        var flipped = (float[])logits.Clone();
        var top = Classification.ArgMax(flipped.AsSpan(0, spec.ClassCount));
        flipped[(top + 1) % spec.ClassCount] = flipped[top] + 1;
        var bad = temp.File("flipped.safetensors");
        new ReferenceBundle(spec, "random", [], inputs, [0, 1, 2], flipped).Write(bad);
        var (failed, said) = Capture("verify", model, "--reference", bad, "--backend", "cpu");
        Assert.Equal(1, failed);
        // The failing line says so in words; markup is not printed as text (it was: "[red](fails)[/]").
        Assert.Contains("same top-1 2/3 (fails).", said.ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("[red]", said, StringComparison.Ordinal);

        // A bundle of another model's input size is refused with a message, not compared.
        var other = spec with { InputHeight = 32 };
        var foreign = temp.File("foreign.safetensors");
        new ReferenceBundle(other, "random", [], new float[3 * 32 * spec.InputWidth], [0], new float[spec.ClassCount]).Write(foreign);
        Assert.Equal(1, Invoke("verify", model, "--reference", foreign, "--backend", "cpu"));

        // The CPU computes FP32 only: asking it for FP16 is refused; an unknown precision is named.
        Assert.Equal(1, Invoke("verify", model, "--backend", "cpu", "--precision", "fp16"));
        Assert.Equal(1, Invoke("verify", model, "--precision", "fp99"));
        // No GPU here (CI): asking for CUDA is a clear error, not an internal one.
        if (!CudaGenre.Cuda.Driver.CudaDriver.TryInitialize(out _))
            Assert.Equal(1, Invoke("verify", model, "--backend", "cuda"));
    }

    /// <summary>Issue #15: one bad file lost the whole folder. Each is reported with its reason, the rest are classified, exit code 1.</summary>
    [Fact]
    public void Classify_AFolderWithBadFiles_ReportsEach_ClassifiesTheRest_AndExits1_OrStopsWithFailFast()
    {
        using var temp = new TempFolder();
        var data = temp.File("data");
        Assert.Equal(0, Invoke("data", "synth", "--out", data, "--count-per-genre", "1", "--seconds", "1", "--size", "96x64", "--seed", "6"));
        var folder = Path.Combine(data, "images_original");
        var good = Directory.GetFiles(folder, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var random = new SeededRandom(12);
        var garbage = new byte[300];
        random.NextBytes(garbage);
        var png = File.ReadAllBytes(good[0]);
        var bad = new Dictionary<string, (byte[] Bytes, string Reason)>
        {
            [Path.Combine(folder, "blues", "aa-cut.png")] = (png[..(png.Length / 2)], "truncated"),
            [Path.Combine(folder, "jazz", "huge.png")] = (Imaging.HandMadePng.WithDeclaredSize(png, 65536, 16385), "width 65536 is over the limit of 16384"),
            [Path.Combine(folder, "rock", "noise.wav")] = (garbage, "not a supported audio file"),
        };
        foreach (var (path, (bytes, _)) in bad)
            File.WriteAllBytes(path, bytes);
        var model = WriteRandomCnn(temp);
        using var session = InferenceSession.Open(model, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });

        var (rc, stdout) = Capture("classify", model, folder, "--json", "--backend", "cpu", "--batch-size", "4");

        Assert.Equal(1, rc);
        var entries = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("file").GetString()!);
        Assert.Equal(good.Count + bad.Count, entries.Count);
        foreach (var file in good)
            Assert.Equal(session.Classify(ImageFile.Read(file)).Label, entries[Path.GetFullPath(file)].GetProperty("genre").GetString());
        foreach (var (path, (_, reason)) in bad)
        {
            Assert.False(entries[path].TryGetProperty("genre", out _));
            Assert.Contains(reason, entries[path].GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        var (failFast, output) = Capture("classify", model, folder, "--json", "--backend", "cpu", "--fail-fast");
        Assert.Equal(1, failFast);
        // No entry was classified (the error line it prints names the folder, whose path holds "cudagenre-tests").
        Assert.DoesNotContain("\"genre\"", output, StringComparison.Ordinal);
        Assert.Equal(0, Invoke("classify", model, good[0], "--backend", "cpu"));
    }

    /// <summary>
    /// Issue #15: evaluate stopped at the first unreadable image, and without a manifest it split the folder with that
    /// image in it, which is not the split the trainer made (the trainer leaves unreadable images out first).
    /// </summary>
    [Fact]
    public void Evaluate_WithAnUnreadableImage_SplitsAsTheTrainerDid_EvaluatesTheRest_AndExits1()
    {
        using var temp = new TempFolder();
        var data = temp.File("data");
        Assert.Equal(0, Invoke("data", "synth", "--out", data, "--count-per-genre", "4", "--seconds", "1", "--size", "96x64", "--seed", "8"));
        var metal = Path.Combine(data, "images_original", "metal");
        var corrupt = new byte[400];
        new SeededRandom(13).NextBytes(corrupt);
        File.WriteAllBytes(Path.Combine(metal, "metal.00000a.png"), corrupt);
        var trainers = SplitManifest.Create(GtzanDataset.Open(data, MediaKind.Image, verify: true), 42);

        var (ds, split, undecodable) = ModelCommands.OpenForEvaluation(data, null, 42);

        Assert.Equal(trainers.Hash, split.Hash);
        Assert.Equal("images_original/metal/metal.00000a.png", Assert.Single(undecodable).File);

        // With a manifest that lists the bad image, it is reported and the others are evaluated.
        var all = SplitManifest.Create(GtzanDataset.Open(data, MediaKind.Image).Items, 42);
        var manifest = temp.File("split.json");
        all.Save(manifest);
        var model = WriteRandomCnn(temp);
        var report = temp.File("report");
        Assert.Equal(1, Invoke("evaluate", model, "--data", data, "--manifest", manifest, "--split", "all", "--out", report, "--backend", "cpu", "--batch-size", "3"));
        using var session = InferenceSession.Open(model, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });
        var expected = SplitEvaluation.Run(session, ds.Root, [.. all.Entries.Where(e => !e.File.EndsWith("00000a.png", StringComparison.Ordinal))], cancellation: TestContext.Current.CancellationToken);
        Assert.Equal(expected.BalancedAccuracy, ClassificationReport.Load(Path.Combine(report, "report.json")).BalancedAccuracy, 12);
        Assert.Equal(1, Invoke("evaluate", model, "--data", data, "--split", "all", "--out", report, "--backend", "cpu", "--fail-fast"));
        File.Delete(Path.Combine(metal, "metal.00000a.png"));
        Assert.Equal(0, Invoke("evaluate", model, "--data", data, "--split", "all", "--out", report, "--backend", "cpu"));
    }

    /// <summary>Issue #15: class names come from the model file and were read as terminal markup by the table printer.</summary>
    [Fact]
    public void Classify_PrintsClassNamesFromTheModel_AsText_NotMarkup()
    {
        using var temp = new TempFolder();
        // Each name closes a tag it never opened: read as markup, whichever class wins, the table cannot be printed.
        string[] names = ["[/]", "a[/]", "[/]b[red]", "x[/][link=http://example.com]", "[/][[", "]][/]", "[/][bold", "[/]c", "[/][blink]", "[/][#ff0000]"];
        var spec = ModelSpec.Default(Architecture.Cnn, ClassifierHead.Linear) with { InputHeight = 24, InputWidth = 32, ClassNames = names };
        var model = temp.File("markup.safetensors");
        RandomWeights.WriteModel(model, spec, 19);
        var image = new RgbImage(40, 30);
        new SeededRandom(20).NextBytes(image.Pixels);
        var png = temp.File("x.png");
        ImageFile.WritePng(png, image);
        using var session = InferenceSession.Open(model, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });
        Assert.Contains(session.Classify(image).Label, names);

        Assert.Equal(0, Invoke("classify", model, png, "--backend", "cpu", "--top", "10"));
    }

    /// <summary>Issue #15: verify compared a bundle of another model as long as the sizes matched.</summary>
    [Fact]
    public void Verify_RefusesABundleOfAnotherModelFile()
    {
        using var temp = new TempFolder();
        var model = WriteRandomCnn(temp);
        var spec = ModelFile.Read(model).Spec;
        var random = new SeededRandom(14);
        var inputs = new float[2 * spec.InputChannels * spec.InputHeight * spec.InputWidth];
        for (var i = 0; i < inputs.Length; i++)
            inputs[i] = (float)(random.NextDouble() * 2 - 1);
        float[] logits;
        using (var session = InferenceSession.Open(model, new SessionOptions { Backend = Backend.Cpu, Threads = 1 }))
            logits = session.Run(inputs, 2);
        var right = temp.File("right.safetensors");
        new ReferenceBundle(spec, "random", [], inputs, [0, 1], logits, ModelFile.ComputeSha256(model)).Write(right);
        Assert.Equal(0, Invoke("verify", model, "--reference", right, "--backend", "cpu"));

        var wrong = temp.File("wrong.safetensors");
        new ReferenceBundle(spec, "random", [], inputs, [0, 1], logits, new string('a', 64)).Write(wrong);
        Assert.Equal(1, Invoke("verify", model, "--reference", wrong, "--backend", "cpu"));
    }

    [Fact]
    public void Bench_MeasuresEverySetting_AndWritesTheFigures()
    {
        using var temp = new TempFolder();
        var json = temp.File("bench.json");
        Assert.Equal(0, Invoke("bench", "--arch", "cnn", "--head", "dense", "--backend", "cpu", "--batch", "1,2", "--seconds", "0.05", "--threads", "1", "--json", json));
        var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.StartsWith("cnn/dense", root.GetProperty("model").GetString(), StringComparison.Ordinal);
        var rows = root.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal([1, 2], rows.Select(r => r.GetProperty("batch").GetInt32()));
        Assert.All(rows, r =>
        {
            Assert.True(r.GetProperty("calls").GetInt32() >= 10);
            Assert.InRange(r.GetProperty("medianMs").GetDouble(), 1e-3, r.GetProperty("p99Ms").GetDouble());
            Assert.Equal(r.GetProperty("batch").GetInt32() * 1000 / r.GetProperty("meanMs").GetDouble(), r.GetProperty("imagesPerSecond").GetDouble(), 6);
        });
        Assert.Equal(["cold", "warm"], root.GetProperty("opens").EnumerateArray().Select(o => o.GetProperty("kind").GetString()));
        var plan = root.GetProperty("plans").EnumerateArray().First().GetProperty("lines").EnumerateArray().Select(l => l.GetString()!).ToList();
        Assert.Contains(plan, l => l.StartsWith("features.0 FusedConv", StringComparison.Ordinal));
        Assert.Equal(1, Invoke("bench", "--arch", "cnn", "--backend", "cpu", "--batch", "0"));
        Assert.Equal(1, Invoke("bench", "--arch", "vgg"));
    }

    private static int Invoke(params string[] args) => CliApp.Create().Parse(args).Invoke();

    private static (int ExitCode, string Stdout) Capture(params string[] args) => CommandOutput.Capture(() => Invoke(args));
}
