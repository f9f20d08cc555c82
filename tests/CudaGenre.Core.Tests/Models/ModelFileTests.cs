using System.Security.Cryptography;
using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;

namespace CudaGenre.Core.Tests.Models;

public class ModelFileTests
{
    /// <summary>Seeded random weights for every state_dict tensor (BN variances positive, counters random).</summary>
    internal static SafetensorsWriter RandomWeights(ModelGraph graph, ulong seed, Func<StateDictEntry, bool>? include = null)
    {
        var random = new SeededRandom(seed);
        var writer = new SafetensorsWriter();
        foreach (var e in graph.StateDict.Where(include ?? (_ => true)))
        {
            if (e.DType == TensorDType.I64)
            {
                writer.Add(e.Name, e.Shape, [(long)random.NextInt(100_000)]);
                continue;
            }
            var values = new float[e.Shape.ElementCount];
            for (var i = 0; i < values.Length; i++)
                values[i] = e.Role == StateRole.RunningVar ? (float)random.Uniform(0.5, 2) : (float)random.Uniform(-0.2, 0.2);
            writer.Add(e.Name, e.Shape, values);
        }
        return writer;
    }

    [Fact]
    public void WriteThenRead_GivesBackTheSpecAndEveryTensorBitForBit()
    {
        var spec = ModelSpec.Default(Architecture.ResNet18, ClassifierHead.Dense) with { TrainerVersion = "test 1", SplitHash = "abc123" };
        var graph = ModelGraph.Build(spec);
        var weights = RandomWeights(graph, 42);
        weights.Metadata["note"] = "kept";
        var expected = SafetensorsFile.Parse(weights.ToArray(), "expected");

        using var temp = new TempFolder();
        var path = temp.File("model.safetensors");
        ModelFile.Write(path, spec, weights);
        var model = ModelFile.Read(path);

        Assert.Equal(spec, model.Spec);
        Assert.Equal(path, model.Path);
        Assert.Equal(ModelFile.FormatTag, model.Weights.Metadata["format"]);
        Assert.Equal(spec.ToJson(), model.Weights.Metadata["spec"]);
        Assert.Equal("kept", model.Weights.Metadata["note"]);
        Assert.Equal(graph.StateDict.Count, model.Weights.Tensors.Count);
        foreach (var e in graph.StateDict)
            Assert.True(expected.Bytes(e.Name).SequenceEqual(model.Weights.Bytes(e.Name)), e.Name);
        Assert.Equal(expected.AsFloat32("fc.3.weight")[17], model.Weights.AsFloat32("fc.3.weight")[17]);
        Assert.NotEqual(0f, model.Weights.AsFloat32("fc.3.weight")[17]);
        Assert.Equal(graph.StateDict.Select(e => e.Name), model.Graph.StateDict.Select(e => e.Name));

        var hash = ModelFile.ComputeSha256(path);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), hash);
        Assert.Equal(64, hash.Length);
    }

    [Fact]
    public void Write_RefusesWeightsThatDoNotFitTheSpec()
    {
        var spec = ModelSpec.Default(Architecture.Cnn);
        var wrong = RandomWeights(ModelGraph.Build(spec with { ClassNames = ["a", "b"] }), 1);
        using var temp = new TempFolder();
        var e = Assert.Throws<ArgumentException>(() => ModelFile.Write(temp.File("m.safetensors"), spec, wrong));
        Assert.Contains("tensor 'classifier.weight' has shape [2, 128], expected [10, 128]", e.Message);
        Assert.False(File.Exists(temp.File("m.safetensors")));
    }

    [Fact]
    public void ForeignFile_IsRefusedClearly_ButLoadsWithAnExplicitSpec()
    {
        // A torchvision-named state_dict as PyTorch would save it: no CudaGenre metadata, 1000-class fc.
        var imageNet = ModelGraph.Build(ModelSpec.Default(Architecture.ResNet18) with { ClassNames = [.. Enumerable.Range(0, 1000).Select(i => $"c{i}")] });
        using var temp = new TempFolder();
        var plain = temp.File("resnet18.safetensors");
        RandomWeights(imageNet, 7).Save(plain);

        var e = Assert.Throws<DataFileException>(() => ModelFile.Read(plain));
        Assert.Contains("not a CudaGenre model file: the safetensors metadata has no 'format' key", e.Problem);
        Assert.Contains("ReadWithSpec", e.Problem);

        var hf = temp.File("hf.safetensors");
        var withFormat = RandomWeights(imageNet, 7);
        withFormat.Metadata["format"] = "pt";
        withFormat.Save(hf);
        Assert.Contains("format is 'pt', expected 'cudagenre-model/1'", Assert.Throws<DataFileException>(() => ModelFile.Read(hf)).Problem);

        // --pretrained: our 10-genre dense head replaces the ImageNet fc.
        var ours = ModelSpec.Default(Architecture.ResNet18, ClassifierHead.Dense);
        var strict = Assert.Throws<DataFileException>(() => ModelFile.ReadWithSpec(plain, ours));
        Assert.Contains("unexpected tensor 'fc.weight' (F32 [1000, 512])", strict.Problem);
        var pretrained = ModelFile.ReadWithSpec(plain, ours, WeightCheck.IgnoreHead);
        Assert.Equal(ours, pretrained.Spec);
        Assert.Equal(new TensorShape(64, 3, 7, 7), pretrained.Weights.Shape("conv1.weight"));
        Assert.Equal(new TensorShape(1000, 512), pretrained.Weights.Shape("fc.weight"));

        // With the matching spec it loads strictly.
        Assert.Equal(1000, ModelFile.ReadWithSpec(plain, imageNet.Spec).Spec.ClassCount);
    }

    [Fact]
    public void BadSpecMetadata_WeightMismatch_AndTruncation_AreDataFileExceptions()
    {
        var spec = ModelSpec.Default(Architecture.Cnn);
        var graph = ModelGraph.Build(spec);
        using var temp = new TempFolder();

        string Save(string name, Action<SafetensorsWriter> change, Func<StateDictEntry, bool>? include = null)
        {
            var w = RandomWeights(graph, 3, include);
            w.Metadata["format"] = ModelFile.FormatTag;
            w.Metadata["spec"] = spec.ToJson();
            change(w);
            var path = temp.File(name);
            w.Save(path);
            return path;
        }

        Assert.Contains("has no 'spec' metadata", Assert.Throws<DataFileException>(() => ModelFile.Read(Save("nospec", w => w.Metadata.Remove("spec")))).Problem);
        var badSpec = Assert.Throws<DataFileException>(() => ModelFile.Read(Save("badspec", w => w.Metadata["spec"] = "{\"architecture\":\"vgg\",\"inputHeight\":1,\"inputWidth\":1}")));
        Assert.Contains("the 'spec' metadata is unusable: Invalid model spec: unknown architecture 'vgg'", badSpec.Problem);
        Assert.DoesNotContain("Parameter", badSpec.Problem);
        Assert.Contains("not valid spec JSON", Assert.Throws<DataFileException>(() => ModelFile.Read(Save("json", w => w.Metadata["spec"] = "{oops"))).Problem);

        var missing = Save("missing", _ => { }, e => e.Name != "features.6.weight");
        var m = Assert.Throws<DataFileException>(() => ModelFile.Read(missing));
        Assert.Equal(missing, m.FilePath);
        Assert.Contains("missing tensor 'features.6.weight' (expected F32 [128, 64, 3, 3])", m.Problem);

        var good = Save("good", _ => { });
        _ = ModelFile.Read(good);
        var bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(good, bytes[..^100]);
        Assert.Contains("truncated", Assert.Throws<DataFileException>(() => ModelFile.Read(good)).Problem);
        Assert.Contains("cannot be read", Assert.Throws<DataFileException>(() => ModelFile.Read(temp.File("absent.safetensors"))).Problem);
    }
}
