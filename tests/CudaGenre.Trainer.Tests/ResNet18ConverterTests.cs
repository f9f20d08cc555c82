using CudaGenre.Core;
using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;
using CudaGenre.Trainer.Convert;

namespace CudaGenre.Trainer.Tests;

public sealed class ResNet18ConverterTests
{
    private static string PackageFolder
    {
        get
        {
            var folder = ResNet18Converter.DefaultPackageFolder;
            if (!File.Exists(ResNet18Converter.ModelPath(folder)))
                Assert.Skip($"The Microsoft.ML.DnnImageFeaturizer.ResNet18 package is not restored at {folder}.");
            return folder;
        }
    }

    [Fact]
    public void The_converted_network_gives_the_onnx_models_features()
    {
        var folder = PackageFolder;
        var modelPath = ResNet18Converter.ModelPath(folder);
        var converted = ResNet18Converter.Convert(modelPath, ResNet18Converter.PreprocessPath(folder));

        // Exactly torchvision's resnet18 backbone (BN counters aside), plus the ONNX model's extra layer4 block.
        var graph = ModelGraph.Build(ModelSpec.Default(Architecture.ResNet18));
        var backbone = graph.StateDict.Where(e => !graph.IsHead(e.Name) && e.Role != StateRole.NumBatchesTracked).Select(e => e.Name);
        Assert.Equal(backbone.Order(StringComparer.Ordinal), converted.Weights.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(10, converted.ExtraBlock.Count);

        // conv1 takes RGB where the ONNX model takes BGR: input channel 0 is the ONNX model's channel 2.
        var onnx = OnnxModel.Read(modelPath);
        var stem = onnx.Nodes.First(n => n.OpType == "Conv" && n.Inputs[0] == ResNet18Converter.OnnxInputName);
        var original = onnx.Tensors[stem.Inputs[1]].Values;
        var rgb = converted.Weights["conv1.weight"].Values;
        Assert.Equal(original.AsSpan(2 * 49, 49).ToArray(), rgb.AsSpan(0, 49).ToArray());
        Assert.Equal(original.AsSpan(0, 49).ToArray(), rgb.AsSpan(2 * 49, 49).ToArray());

        var check = ResNet18Converter.Verify(converted, modelPath, count: 1, seed: 3);
        Assert.True(check.RelativeL2Error < 1e-5, $"relative L2 error {check.RelativeL2Error}");
        Assert.True(check.MaxFeature > 0.1, "the features are degenerate");
    }

    [Fact]
    public void The_normalization_comes_from_the_preprocessing_graph()
    {
        var (mean, std) = ResNet18Converter.ReadNormalization(ResNet18Converter.PreprocessPath(PackageFolder));
        // An ImageNet mean image: channel averages near torchvision's 0.485, 0.456, 0.406, in RGB order.
        Assert.InRange(mean[0], 0.46f, 0.50f);
        Assert.InRange(mean[1], 0.44f, 0.47f);
        Assert.InRange(mean[2], 0.39f, 0.42f);
        Assert.All(std, s => Assert.Equal(1f / 255, s));
        Assert.InRange(ResNet18Converter.MeanImageDeviation, 0.1, 16);
    }

    [Fact]
    public void The_written_file_loads_as_pretrained_resnet18_weights()
    {
        using var temp = new TempFolder();
        var folder = PackageFolder;
        var converted = ResNet18Converter.Convert(ResNet18Converter.ModelPath(folder), ResNet18Converter.PreprocessPath(folder));
        var path = temp.File("resnet18_imagenet.safetensors");
        ResNet18Converter.Write(path, converted, new ConversionCheck(1, 1e-6, 10, 1e-7), "test");
        var file = SafetensorsFile.Read(path);
        Assert.Equal("cudagenre-pretrained/1", file.Metadata["format"]);
        var spec = ModelSpec.FromJson(file.Metadata["spec"]);
        Assert.Equal(converted.Mean, spec.Mean);
        var graph = ModelGraph.Build(ModelSpec.Default(Architecture.ResNet18, ClassifierHead.Dense));
        graph.CheckWeights(file, WeightCheck.IgnoreHead | WeightCheck.AllowMissingBatchCounters);
        Assert.Equal(converted.Weights["layer2.0.downsample.0.weight"].Values, file.ToSingleArray("layer2.0.downsample.0.weight"));
    }

    [Fact]
    public void A_truncated_or_foreign_onnx_file_gives_a_clear_error()
    {
        using var temp = new TempFolder();
        var bytes = File.ReadAllBytes(ResNet18Converter.PreprocessPath(PackageFolder));
        var cut = temp.File("cut.onnx");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 3)]);
        var e = Assert.Throws<DataFileException>(() => OnnxModel.Read(cut));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);

        var foreign = temp.File("foreign.onnx");
        File.WriteAllText(foreign, "{\"this\": \"is json\"}");
        Assert.Throws<DataFileException>(() => OnnxModel.Read(foreign));
    }
}
