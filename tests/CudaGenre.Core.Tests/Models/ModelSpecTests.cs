using CudaGenre.Core.Imaging;
using CudaGenre.Core.Models;

namespace CudaGenre.Core.Tests.Models;

public class ModelSpecTests
{
    [Theory]
    [InlineData(Architecture.Cnn, 144, 216)]
    [InlineData(Architecture.ResNet18, 224, 224)]
    [InlineData(Architecture.ResNet50, 224, 224)]
    [InlineData(Architecture.Xception, 299, 299)]
    public void Defaults(Architecture architecture, int height, int width)
    {
        var spec = ModelSpec.Default(architecture);
        Assert.Equal((3, height, width), (spec.InputChannels, spec.InputHeight, spec.InputWidth));
        Assert.Equal(ClassifierHead.Linear, spec.Head);
        Assert.Equal(Genres.Names, spec.ClassNames);
        Assert.Equal(10, spec.ClassCount);
        Assert.Equal(512, spec.DenseUnits);
        var expectedMean = architecture == Architecture.Xception ? [0.5f, 0.5f, 0.5f] : PreprocessSettings.ImageNetMean;
        Assert.Equal(expectedMean, spec.Mean);
        spec.Validate();
    }

    [Fact]
    public void Cnn_DefaultSize_IsHalfTheGtzanImage()
    {
        var spec = ModelSpec.Default(Architecture.Cnn);
        Assert.Equal((288 / 2, 432 / 2), (spec.InputHeight, spec.InputWidth));
        Assert.Equal([32, 64, 128], spec.CnnWidths);
        var settings = spec.ToPreprocessSettings();
        Assert.Equal((216, 144), (settings.Width, settings.Height));
        Assert.Equal(spec.Mean, settings.Mean);
    }

    [Fact]
    public void Json_RoundTrips_EveryField()
    {
        var spec = ModelSpec.Default(Architecture.Cnn, ClassifierHead.Dense) with
        {
            InputHeight = 128,
            InputWidth = 192,
            Mean = [0.1f, 0.2f, 0.3f],
            Std = [0.9f, 0.8f, 0.7f],
            ClassNames = ["rock", "jazz", "métal \"heavy\""],
            DenseUnits = 256,
            DropoutRate = 0.25f,
            CnnWidths = [16, 32, 64, 128],
            TrainerVersion = "cudagenre-train 0.1.0",
            SplitHash = "6b5d1f192aaef84cbdfb5fe9232a82909bc9eebdd9f735e09b4b6e359be3aa9c",
        };
        var json = spec.ToJson();
        var back = ModelSpec.FromJson(json);
        Assert.Equal(spec, back);
        Assert.Equal(json, back.ToJson());
        Assert.StartsWith("{\"architecture\":\"cnn\",\"head\":\"dense\",\"inputChannels\":3,\"inputHeight\":128,\"inputWidth\":192,\"mean\":[0.1,0.2,0.3]", json);
        Assert.Contains("\"cnnWidths\":[16,32,64,128]", json);

        var resnet = ModelSpec.Default(Architecture.ResNet50);
        Assert.DoesNotContain("cnnWidths", resnet.ToJson());
        Assert.DoesNotContain("trainerVersion", resnet.ToJson());
        Assert.Equal(resnet, ModelSpec.FromJson(resnet.ToJson()));
        Assert.NotEqual(resnet, resnet with { Mean = [0.485f, 0.456f, 0.407f] });
        Assert.NotEqual(resnet, resnet with { ClassNames = [.. Genres.Names.Reverse()] });
    }

    [Fact]
    public void Json_MinimalSpec_TakesDefaults()
    {
        var spec = ModelSpec.FromJson("{\"architecture\":\"ResNet18\",\"inputHeight\":112,\"inputWidth\":160}");
        Assert.Equal(ModelSpec.Default(Architecture.ResNet18) with { InputHeight = 112, InputWidth = 160 }, spec);
    }

    public static TheoryData<string, string> BadJson => new()
    {
        { "{\"architecture\":\"vgg16\",\"inputHeight\":224,\"inputWidth\":224}", "unknown architecture 'vgg16' (known: cnn, resnet18, resnet50, xception)" },
        { "{\"architecture\":\"resnet50\",\"head\":\"mlp\",\"inputHeight\":224,\"inputWidth\":224}", "unknown head 'mlp' (known: linear, dense)" },
        { "{\"architecture\":\"resnet50\",\"inputWidth\":224}", "inputHeight and inputWidth are required" },
        { "{\"architecture\":\"resnet50\",\"inputHeight\":\"big\",\"inputWidth\":224}", "not valid spec JSON" },
        { "[1]", "not valid spec JSON" },
        { "{\"architecture\":\"resnet50\",\"inputHeight\":-4,\"inputWidth\":224}", "input size must be positive" },
        { "{\"architecture\":\"resnet50\",\"inputHeight\":224,\"inputWidth\":224,\"mean\":[0.5]}", "mean has 1 values for 3 input channels" },
        { "{\"architecture\":\"xception\",\"inputHeight\":5,\"inputWidth\":299}", "too small" },
    };

    [Theory]
    [MemberData(nameof(BadJson))]
    public void Json_Invalid_IsRefusedWithTheProblemNamed(string json, string problem)
        => Assert.Contains(problem, Assert.Throws<ArgumentException>(() => ModelSpec.FromJson(json)).Message);

    public static TheoryData<Func<ModelSpec, ModelSpec>, string> BadSpecs => new()
    {
        { s => s with { Architecture = (Architecture)17 }, "unknown architecture 17" },
        { s => s with { Head = (ClassifierHead)5 }, "unknown head 5" },
        { s => s with { InputChannels = 0 }, "input size must be positive" },
        { s => s with { InputWidth = 0 }, "input size must be positive" },
        { s => s with { InputChannels = 1 }, "mean has 3 values for 1 input channels" },
        { s => s with { Std = [0.2f, 0.2f] }, "std has 2 values for 3 input channels" },
        { s => s with { Std = [0.2f, 0f, 0.2f] }, "std must be positive and finite" },
        { s => s with { Mean = [0.2f, float.NaN, 0.2f] }, "mean must be finite" },
        { s => s with { ClassNames = [] }, "at least one class name" },
        { s => s with { ClassNames = ["rock", " "] }, "class names must not be empty" },
        { s => s with { ClassNames = ["rock", "jazz", "rock"] }, "class name 'rock' appears 2 times" },
        { s => s with { DenseUnits = 0 }, "dense units must be positive" },
        { s => s with { DropoutRate = 1f }, "dropout rate must be in [0, 1)" },
        { s => s with { DropoutRate = float.NaN }, "dropout rate must be in [0, 1)" },
        { s => s with { CnnWidths = [] }, "the CNN needs at least one block" },
        { s => s with { CnnWidths = [32, -1] }, "positive widths" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public void Validate_NamesTheProblem(Func<ModelSpec, ModelSpec> change, string problem)
    {
        var spec = change(ModelSpec.Default(Architecture.Cnn));
        var e = Assert.Throws<ArgumentException>(spec.Validate);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith("Invalid model spec", e.Message);
    }

    [Fact]
    public void NonRgbInput_HasNoImagePreprocessing_ButBuilds()
    {
        var gray = ModelSpec.Default(Architecture.ResNet18) with { InputChannels = 1, Mean = [0.5f], Std = [0.25f] };
        Assert.Equal(new Core.Tensors.TensorShape(64, 1, 7, 7), ModelGraph.Build(gray).StateDict[0].Shape);
        Assert.Throws<InvalidOperationException>(gray.ToPreprocessSettings);
    }
}
