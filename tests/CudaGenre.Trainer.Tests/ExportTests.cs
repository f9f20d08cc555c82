using CudaGenre.Core;
using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;
using CudaGenre.Trainer.Cli;
using CudaGenre.Trainer.Models;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Tests;

public sealed class ExportTests
{
    [Theory]
    [InlineData("cnn", "dense", 24, 32)]
    [InlineData("resnet18", "linear", 32, 32)]
    public void Model_export_reads_back_identical_tensors_and_metadata(string arch, string head, int height, int width)
    {
        using var temp = new TempFolder();
        var spec = GraphModuleTests.Spec(arch, head) with { InputHeight = height, InputWidth = width, TrainerVersion = TrainerInfo.Version, SplitHash = new string('a', 64) };
        using var model = RandomModel.Create(spec, 9);
        var path = temp.File("model.safetensors");
        Export.WriteModel(path, model, spec);

        var file = ModelFile.Read(path);
        Assert.Equal(spec, file.Spec);
        var state = model.state_dict();
        Assert.Equal(state.Keys.Order(StringComparer.Ordinal), file.Weights.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in state)
        {
            Assert.Equal(tensor.shape.Select(d => (int)d), file.Weights.Shape(name).Dims);
            if (tensor.dtype == ScalarType.Int64)
                Assert.Equal(tensor.data<long>().ToArray(), file.Weights.ToInt64Array(name));
            else
                Assert.Equal(tensor.data<float>().ToArray(), file.Weights.ToSingleArray(name));
        }

        // Loading the file into a fresh network reproduces the logits bit for bit.
        using var copy = new GraphModule(ModelGraph.Build(spec));
        Assert.Equal(state.Count, StateDict.LoadInto(copy, file.Graph, file.Weights, skipHead: false));
        copy.eval();
        using var noGrad = no_grad();
        using var x = randn(2, 3, height, width);
        Assert.Equal(model.forward(x).data<float>().ToArray(), copy.forward(x).data<float>().ToArray());
    }

    [Fact]
    public void Random_export_has_randomized_batchnorm_and_a_reference_bundle_of_its_logits()
    {
        using var temp = new TempFolder();
        var spec = ModelSpec.Default(Architecture.ResNet18) with { InputHeight = 32, InputWidth = 32 };
        var (modelPath, referencePath) = ExportRandomCommand.Write(spec, 21, 5, temp.Path);
        var file = ModelFile.Read(modelPath);
        var mean = file.Weights.ToSingleArray("layer1.0.bn1.running_mean");
        var variance = file.Weights.ToSingleArray("layer1.0.bn1.running_var");
        Assert.Contains(mean, m => m != 0);
        Assert.All(variance, v => Assert.InRange(v, 0.5f, 2f));
        Assert.Contains(variance, v => v != 1);

        var bundle = ReferenceBundle.Read(referencePath);
        Assert.Equal(5, bundle.Count);
        Assert.Equal("random", bundle.Split);
        Assert.Equal(ModelFile.ComputeSha256(modelPath), bundle.ModelSha256);
        // Independent recomputation: a fresh network loaded from the file gives the bundle's logits.
        using var model = new GraphModule(file.Graph);
        StateDict.LoadInto(model, file.Graph, file.Weights, skipHead: false);
        model.eval();
        using var noGrad = no_grad();
        using var x = tensor(bundle.Inputs.ToArray(), [5, 3, 32, 32]);
        var logits = model.forward(x).data<float>().ToArray();
        Assert.Equal(bundle.Logits.ToArray(), logits);
        Assert.True(bundle.Inputs.ToArray().Distinct().Count() > 100);
    }

    [Fact]
    public void Pretrained_weights_load_except_the_replaced_classifier()
    {
        using var temp = new TempFolder();
        // "ImageNet-like" weights: the same backbone with a 1000-class head.
        var imagenetSpec = ModelSpec.Default(Architecture.ResNet18) with
        {
            InputHeight = 32,
            InputWidth = 32,
            ClassNames = [.. Enumerable.Range(0, 1000).Select(i => $"n{i:0000}")],
        };
        var path = temp.File("imagenet.safetensors");
        using (var source = RandomModel.Create(imagenetSpec, 1))
            Export.WriteModel(path, source, imagenetSpec);
        var pretrained = SafetensorsFile.Read(path);
        Assert.Equal([1000, 512], pretrained.Shape("fc.weight").Dims);

        var spec = imagenetSpec with { ClassNames = Genres.Names };
        var graph = ModelGraph.Build(spec);
        manual_seed(2);
        using var model = new GraphModule(graph);
        var freshHead = model.state_dict()["fc.weight"].clone();
        var copied = StateDict.LoadInto(model, graph, pretrained, skipHead: true);

        Assert.Equal(graph.StateDict.Count(e => !graph.IsHead(e.Name)), copied);
        var state = model.state_dict();
        Assert.Equal(pretrained.ToSingleArray("layer3.1.conv2.weight"), state["layer3.1.conv2.weight"].data<float>().ToArray());
        Assert.Equal(pretrained.ToSingleArray("bn1.running_var"), state["bn1.running_var"].data<float>().ToArray());
        Assert.Equal([10L, 512L], state["fc.weight"].shape);
        Assert.True(freshHead.equal(state["fc.weight"]).all().item<bool>());
        // Without skipping the head, the 1000-class classifier is refused, naming the tensor.
        var e = Assert.Throws<DataFileException>(() => StateDict.LoadInto(model, graph, pretrained, skipHead: false));
        Assert.Contains("fc.weight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_of_another_architecture_are_refused_naming_a_tensor()
    {
        using var temp = new TempFolder();
        var cnnSpec = ModelSpec.Default(Architecture.Cnn) with { InputHeight = 24, InputWidth = 32 };
        var path = temp.File("cnn.safetensors");
        using (var cnn = RandomModel.Create(cnnSpec, 1))
            Export.WriteModel(path, cnn, cnnSpec);
        var graph = ModelGraph.Build(ModelSpec.Default(Architecture.ResNet18) with { InputHeight = 32, InputWidth = 32 });
        using var model = new GraphModule(graph);
        var e = Assert.Throws<DataFileException>(() => StateDict.LoadInto(model, graph, SafetensorsFile.Read(path), skipHead: true));
        Assert.Contains("conv1.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_foreign_or_truncated_weight_file_gives_a_clear_error()
    {
        using var temp = new TempFolder();
        var foreign = temp.File("foreign.safetensors");
        File.WriteAllText(foreign, "PK\u0003\u0004 this is a zip file, not safetensors");
        Assert.Contains(foreign, Assert.Throws<DataFileException>(() => SafetensorsFile.Read(foreign)).Message, StringComparison.Ordinal);

        var spec = ModelSpec.Default(Architecture.Cnn) with { InputHeight = 24, InputWidth = 32 };
        var good = temp.File("model.safetensors");
        using (var m = RandomModel.Create(spec, 3))
            Export.WriteModel(good, m, spec);
        var bytes = File.ReadAllBytes(good);
        var cut = temp.File("cut.safetensors");
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<DataFileException>(() => ModelFile.Read(cut));
        Assert.Equal(cut, e.FilePath);
    }

    [Fact]
    public void The_reference_subset_is_all_inputs_when_few_and_a_seeded_sorted_subset_when_many()
    {
        Assert.Equal(Enumerable.Range(0, 90), Export.ChooseSubset(90, 256, 1));
        var a = Export.ChooseSubset(1000, 100, 1);
        Assert.Equal(100, a.Length);
        Assert.Equal(a.Order(), a);
        Assert.Equal(a, Export.ChooseSubset(1000, 100, 1));
        Assert.NotEqual(a, Export.ChooseSubset(1000, 100, 2));
        Assert.Equal(64, Export.ChooseSubset(1000, 10, 1).Length);
    }
}
