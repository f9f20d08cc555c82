using CudaGenre.Core.Models;
using CudaGenre.Engine.Graph;
using Ort = Microsoft.ML.OnnxRuntime;

namespace CudaGenre.Engine.Tests;

/// <summary>
/// The ONNX export run by ONNX Runtime against the engine's CPU backend on the same random weights and inputs: an
/// independent implementation of every operator checks the exporter (names, layouts, attributes) and the engine's
/// folding, fusions and kernels at once.
/// </summary>
public class OnnxExportTests
{
    // Non-square inputs, so a height/width mix-up in the exported shapes or windows changes the result.
    public static TheoryData<string, string, int, int> Models => new()
    {
        { "cnn", "linear", 72, 104 },
        { "cnn", "dense", 64, 88 },
        { "resnet18", "dense", 64, 80 },
        { "resnet50", "linear", 64, 72 },
        { "xception", "dense", 71, 79 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void OnnxRuntime_MatchesTheEngine(string arch, string head, int height, int width)
    {
        Assert.True(ArchitectureNames.TryParseArchitecture(arch, out var architecture));
        Assert.True(ArchitectureNames.TryParseHead(head, out var classifier));
        var spec = ModelSpec.Default(architecture, classifier) with { InputHeight = height, InputWidth = width };
        using var folder = new TempFolder();
        var model = folder.File("model.safetensors");
        RandomWeights.WriteModel(model, spec, seed: 7);
        var onnx = folder.File("model.onnx");
        OnnxExport.Write(ModelFile.Read(model), onnx);

        using var engine = InferenceSession.Open(model, new SessionOptions { Backend = Backend.Cpu, Threads = 2 });
        // No graph optimizations: ONNX Runtime then runs each BatchNorm, ReLU and Add as its own node, the
        // unfused arithmetic the engine's folding must reproduce.
        using var options = new Ort.SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1, GraphOptimizationLevel = Ort.GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var ort = new Ort.InferenceSession(onnx, options);
        Assert.Equal(-1, ort.InputMetadata[OnnxExport.InputName].Dimensions[0]); // the batch is symbolic
        Assert.Equal([-1, spec.ClassCount], ort.OutputMetadata[OnnxExport.OutputName].Dimensions);
        foreach (var batch in new[] { 1, 3 })
        {
            var input = Reference.Random(batch * 3 * height * width, (ulong)(11 + batch), scale: 2f);
            var expected = RunOrt(ort, input, [batch, 3, height, width]);
            var logits = engine.Run(input, batch);
            Assert.Equal(expected.Length, logits.Length);
            var error = CpuModelTests.RelativeL2(logits, expected);
            Assert.True(error <= 1e-4, $"{arch} batch {batch}: relative L2 {error:E2} between the engine and ONNX Runtime");
            for (var n = 0; n < batch; n++)
            {
                Assert.Equal(CpuModelTests.ArgMax(expected.AsSpan(n * spec.ClassCount, spec.ClassCount)), CpuModelTests.ArgMax(logits.AsSpan(n * spec.ClassCount, spec.ClassCount)));
            }
        }
    }

    [Fact]
    public void Metadata_CarriesTheSpec()
    {
        var spec = ModelSpec.Default(Architecture.Cnn) with { InputHeight = 40, InputWidth = 48, ClassNames = ["a", "b", "c"] };
        var graph = ModelGraph.Build(spec);
        var weights = RandomWeights.Create(graph, seed: 3);
        using var ort = new Ort.InferenceSession(OnnxExport.ToBytes(graph, name => weights[name]));
        Assert.Equal(spec.ToJson(), ort.ModelMetadata.CustomMetadataMap[OnnxExport.SpecMetadataKey]);
        Assert.Equal("CudaGenre", ort.ModelMetadata.ProducerName);
    }

    [Fact]
    public void TooLargeModel_IsRefusedBeforeAnyWeightIsRead()
    {
        // Four 3×3 convolutions of 8192 channels: about 6.8 GiB of weights, far over protobuf's 2 GiB.
        var graph = ModelGraph.Build(ModelSpec.Default(Architecture.Cnn) with { CnnWidths = [8192, 8192, 8192, 8192], InputHeight = 64, InputWidth = 64 });
        var e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(graph, name => throw new InvalidOperationException($"read {name}")));
        Assert.Contains("2 GiB", e.Message, StringComparison.Ordinal);
        Assert.Contains("MiB of weights", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongSizedWeight_IsNamed()
    {
        var graph = ModelGraph.Build(ModelSpec.Default(Architecture.Cnn) with { InputHeight = 40, InputWidth = 48 });
        var weights = RandomWeights.Create(graph, seed: 3);
        var head = graph.StateDict.Last(s => s.Role == StateRole.Weight).Name;
        weights[head] = new float[5];
        var e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(graph, name => weights[name]));
        Assert.Contains($"'{head}' holds 5 values", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_ExportsAndRefusesBadInput()
    {
        var spec = ModelSpec.Default(Architecture.Cnn) with { InputHeight = 40, InputWidth = 48 };
        using var folder = new TempFolder();
        var model = folder.File("model.safetensors");
        RandomWeights.WriteModel(model, spec, seed: 9);
        var onnx = folder.File("out", "model.onnx");
        Assert.Equal(0, Invoke("export-onnx", model, onnx));
        using (var ort = new Ort.InferenceSession(onnx))
        {
            var input = Reference.Random(2 * 3 * 40 * 48, 5);
            Assert.Equal(2 * spec.ClassCount, RunOrt(ort, input, [2, 3, 40, 48]).Length);
        }

        var notAModel = folder.File("notes.safetensors");
        File.WriteAllText(notAModel, "not a model");
        Assert.Equal(1, Invoke("export-onnx", notAModel, folder.File("x.onnx")));
        Assert.Equal(1, Invoke("export-onnx", folder.File("missing.safetensors"), folder.File("y.onnx")));
        Assert.Equal(1, Invoke("export-onnx", model, folder.Folder("a-folder")));
        Assert.False(File.Exists(folder.File("x.onnx")) || File.Exists(folder.File("y.onnx")));
    }

    private static int Invoke(params string[] args) => Cli.CliApp.Create().Parse(args).Invoke();

    private static float[] RunOrt(Ort.InferenceSession session, float[] input, int[] shape)
    {
        var tensor = new Ort.Tensors.DenseTensor<float>(input, shape);
        using var results = session.Run([Ort.NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, tensor)]);
        return [.. results.Single(r => r.Name == OnnxExport.OutputName).AsEnumerable<float>()];
    }
}
