using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;

namespace CudaGenre.Core.Tests.Models;

public class ModelGraphTests
{
    private static readonly string[] ImageNetClasses = [.. Enumerable.Range(0, 1000).Select(i => $"n{i:D5}")];

    private static ModelGraph Build(Architecture architecture, ClassifierHead head = ClassifierHead.Linear, int? classes = null)
    {
        var spec = ModelSpec.Default(architecture, head);
        if (classes is { } n)
            spec = spec with { ClassNames = ImageNetClasses[..n] };
        return ModelGraph.Build(spec);
    }

    private static List<(string Name, string DType, string Shape)> Parse(string reference) =>
        [.. reference.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line =>
        {
            var parts = line.Split(' ', 3);
            return (parts[0], parts[1], parts[2]);
        })];

    private static List<(string Name, string DType, string Shape)> Describe(ModelGraph graph) =>
        [.. graph.StateDict.Select(e => (e.Name, e.DType.SafetensorsName(), e.Shape.ToString()))];

    [Theory]
    [InlineData(Architecture.ResNet18, ReferenceStateDicts.TorchvisionResNet18)]
    [InlineData(Architecture.ResNet50, ReferenceStateDicts.TorchvisionResNet50)]
    [InlineData(Architecture.Xception, ReferenceStateDicts.TimmLegacyXception)]
    public void StateDict_IsExactlyTheReferenceModels_NamesDTypesShapesAndOrder(Architecture architecture, string reference)
    {
        var expected = Parse(reference);
        var actual = Describe(Build(architecture, classes: 1000));
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
            Assert.Equal(expected[i], actual[i]);
    }

    [Theory]
    [InlineData(Architecture.ResNet18, 11_689_512L)]
    [InlineData(Architecture.ResNet50, 25_557_032L)]
    [InlineData(Architecture.Xception, 22_855_952L)]
    public void ParameterCount_WithA1000ClassHead_IsTheKnownTotal(Architecture architecture, long expected)
        => Assert.Equal(expected, Build(architecture, classes: 1000).ParameterCount);

    [Theory]
    [InlineData(Architecture.ResNet18, 512)]
    [InlineData(Architecture.ResNet50, 2048)]
    [InlineData(Architecture.Xception, 2048)]
    public void HeadSwap_ChangesOnlyTheHead(Architecture architecture, int features)
    {
        var imageNet = Build(architecture, classes: 1000);
        var linear = Build(architecture);
        var dense = Build(architecture, ClassifierHead.Dense);

        var backbone = Describe(imageNet).Where(e => !e.Name.StartsWith("fc.", StringComparison.Ordinal)).ToList();
        Assert.Equal([.. backbone, ("fc.weight", "F32", $"[10, {features}]"), ("fc.bias", "F32", "[10]")], Describe(linear));
        Assert.Equal(
            [.. backbone, ("fc.0.weight", "F32", $"[512, {features}]"), ("fc.0.bias", "F32", "[512]"), ("fc.3.weight", "F32", "[10, 512]"), ("fc.3.bias", "F32", "[10]")],
            Describe(dense));
        Assert.Equal(imageNet.ParameterCount - (1000L * features) - 1000 + (10L * features) + 10, linear.ParameterCount);
        Assert.Equal(features, dense.FeatureCount);
        Assert.Equal("fc", dense.HeadModule);
        Assert.True(dense.IsHead("fc.3.bias"));
        Assert.False(dense.IsHead("fcx.weight"));

        var head = dense.Nodes.SkipWhile(n => !dense.IsHead(n.Module)).ToList();
        Assert.Equal([NodeKind.Linear, NodeKind.ReLU, NodeKind.Dropout, NodeKind.Linear], head.Select(n => n.Kind));
        Assert.Equal(0.5f, ((DropoutNode)head[2]).Probability);
    }

    [Fact]
    public void ResNet50_Shapes_At224_FollowTorchvision()
    {
        var graph = Build(Architecture.ResNet50);
        var shapes = graph.InferShapes(4);
        Assert.Equal(new TensorShape(4, 3, 224, 224), shapes[ModelGraph.InputName]);
        Assert.Equal(new TensorShape(4, 64, 112, 112), shapes["conv1"]);
        Assert.Equal(new TensorShape(4, 64, 56, 56), shapes["maxpool"]);
        Assert.Equal(new TensorShape(4, 256, 56, 56), shapes["layer1.2.relu#3"]);
        Assert.Equal(new TensorShape(4, 128, 28, 28), shapes["layer2.0.conv2"]); // v1.5: the 3×3 conv strides
        Assert.Equal(new TensorShape(4, 128, 56, 56), shapes["layer2.0.conv1"]);
        Assert.Equal(new TensorShape(4, 1024, 14, 14), shapes["layer3.5.relu#3"]);
        var pool = graph.Nodes.OfType<GlobalAvgPoolNode>().Single();
        Assert.Equal(new TensorShape(4, 2048, 7, 7), shapes[pool.Input]);
        Assert.Equal(new TensorShape(4, 2048), shapes["flatten"]);
        Assert.Equal(new TensorShape(4, 10), shapes[graph.Output]);
    }

    [Fact]
    public void ResNet_OddInputSize_UsesPyTorchsFloorFormula()
    {
        // 225: conv1 ⌊(225+6−7)/2⌋+1 = 113, maxpool ⌊(113+2−3)/2⌋+1 = 57, then 29, 15, 8.
        var graph = ModelGraph.Build(ModelSpec.Default(Architecture.ResNet18) with { InputHeight = 225, InputWidth = 100 });
        var shapes = graph.InferShapes(1);
        Assert.Equal(new TensorShape(1, 64, 113, 50), shapes["conv1"]);
        Assert.Equal(new TensorShape(1, 64, 57, 25), shapes["maxpool"]);
        Assert.Equal(new TensorShape(1, 128, 29, 13), shapes["layer2.1.relu#2"]);
        Assert.Equal(new TensorShape(1, 256, 15, 7), shapes["layer3.1.relu#2"]);
        Assert.Equal(new TensorShape(1, 512, 8, 4), shapes["layer4.1.relu#2"]);
    }

    [Fact]
    public void Xception_Shapes_At299_FollowTimm()
    {
        var graph = Build(Architecture.Xception);
        var shapes = graph.InferShapes(2);
        Assert.Equal(new TensorShape(2, 32, 149, 149), shapes["conv1"]);   // 3×3/2, no padding
        Assert.Equal(new TensorShape(2, 64, 147, 147), shapes["conv2"]);   // 3×3, no padding
        Assert.Equal(new TensorShape(2, 128, 74, 74), shapes["block1.add"]);
        Assert.Equal(new TensorShape(2, 256, 37, 37), shapes["block2.add"]);
        Assert.Equal(new TensorShape(2, 728, 19, 19), shapes["block3.add"]);
        Assert.Equal(new TensorShape(2, 728, 19, 19), shapes["block11.add"]);
        Assert.Equal(new TensorShape(2, 1024, 10, 10), shapes["block12.add"]);
        Assert.Equal(new TensorShape(2, 2048, 10, 10), shapes["act4"]);
        Assert.Equal(new TensorShape(2, 2048, 10, 10), shapes[graph.Nodes.OfType<GlobalAvgPoolNode>().Single().Input]);
        Assert.Equal(new TensorShape(2, 10), shapes[graph.Output]);
    }

    [Fact]
    public void Xception_Wiring_SkipSeesTheInputBeforeTheBlocksFirstRelu()
    {
        var graph = Build(Architecture.Xception);
        var byOutput = graph.Nodes.ToDictionary(n => n.Output);

        // block1 does not start with a ReLU: rep.0 is the separable conv on act2.
        Assert.Equal("act2", byOutput["block1.rep.0.conv1"].Input);
        Assert.Equal("act2", byOutput["block1.skip"].Input);
        Assert.IsType<MaxPool2dNode>(byOutput["block1.rep.5"]);

        // block2: rep.0 is a ReLU of the block input; the skip conv reads the block input itself.
        Assert.IsType<ReluNode>(byOutput["block2.rep.0"]);
        Assert.Equal("block1.add", byOutput["block2.rep.0"].Input);
        Assert.Equal("block1.add", byOutput["block2.skip"].Input);
        Assert.Equal("block2.rep.0", byOutput["block2.rep.1.conv1"].Input);
        Assert.Equal(["block2.rep.6", "block2.skipbn"], byOutput["block2.add"].Inputs);
        var pool = (MaxPool2dNode)byOutput["block2.rep.6"];
        Assert.Equal((Size2d.Square(3), Size2d.Square(2), Size2d.Square(1)), (pool.Kernel, pool.Stride, pool.Padding));

        // Middle blocks: no skip conv, identity is the block input; three repetitions, rep.0..rep.8.
        Assert.False(byOutput.ContainsKey("block4.skip"));
        Assert.Equal(["block4.rep.8", "block3.add"], byOutput["block4.add"].Inputs);

        // Separable conv = depthwise 3×3 (groups = in) then pointwise 1×1.
        var depthwise = (Conv2dNode)byOutput["block4.rep.1.conv1"];
        Assert.True(depthwise.IsDepthwise);
        Assert.Equal((728, 728, 728, 1, 1), (depthwise.InChannels, depthwise.OutChannels, depthwise.Groups, depthwise.Padding.Height, depthwise.Stride.Height));
        var pointwise = (Conv2dNode)byOutput["block4.rep.1.pointwise"];
        Assert.False(pointwise.IsDepthwise);
        Assert.Equal((Size2d.Square(1), 1, false), (pointwise.Kernel, pointwise.Groups, pointwise.HasBias));

        // block12 grows last: 728→728 then 728→1024.
        Assert.Equal(728, ((Conv2dNode)byOutput["block12.rep.1.pointwise"]).OutChannels);
        Assert.Equal(1024, ((Conv2dNode)byOutput["block12.rep.4.pointwise"]).OutChannels);
    }

    [Fact]
    public void ResNet_Wiring_ReluAfterTheResidualSum()
    {
        var graph = Build(Architecture.ResNet50);
        var byOutput = graph.Nodes.ToDictionary(n => n.Output);
        Assert.Equal(["layer1.0.bn3", "layer1.0.downsample.1"], byOutput["layer1.0.add"].Inputs);
        Assert.Equal("maxpool", byOutput["layer1.0.downsample.0"].Input);
        Assert.Equal("layer1.0.add", byOutput["layer1.0.relu#3"].Input);
        Assert.Equal(["layer1.1.bn3", "layer1.0.relu#3"], byOutput["layer1.1.add"].Inputs);
        var downsample = (Conv2dNode)byOutput["layer2.0.downsample.0"];
        Assert.Equal((256, 512, 2), (downsample.InChannels, downsample.OutChannels, downsample.Stride.Height));
        Assert.All(graph.Nodes.OfType<BatchNorm2dNode>(), bn => Assert.Equal(1e-5, bn.Epsilon));

        // Every value is written once, and read only after it is written.
        var written = new HashSet<string> { ModelGraph.InputName };
        foreach (var node in graph.Nodes)
        {
            Assert.All(node.Inputs, i => Assert.Contains(i, written));
            Assert.True(written.Add(node.Output));
        }
    }

    [Fact]
    public void Cnn_ShapesAndNames_AreTheHandComputedOnes()
    {
        var graph = Build(Architecture.Cnn);
        var shapes = graph.InferShapes(3);
        // 144×216 → conv (pad 1) keeps the size → pool halves: 72×108, 36×54, 18×27.
        Assert.Equal(new TensorShape(3, 32, 144, 216), shapes["features.0"]);
        Assert.Equal(new TensorShape(3, 32, 72, 108), shapes["features.2"]);
        Assert.Equal(new TensorShape(3, 64, 36, 54), shapes["features.5"]);
        Assert.Equal(new TensorShape(3, 128, 18, 27), shapes["features.8"]);
        Assert.Equal(new TensorShape(3, 128, 1, 1), shapes["avgpool"]);
        Assert.Equal(new TensorShape(3, 128), shapes["flatten"]);
        Assert.Equal(new TensorShape(3, 10), shapes["classifier"]);

        Assert.Equal(
            [
                ("features.0.weight", "F32", "[32, 3, 3, 3]"), ("features.0.bias", "F32", "[32]"),
                ("features.3.weight", "F32", "[64, 32, 3, 3]"), ("features.3.bias", "F32", "[64]"),
                ("features.6.weight", "F32", "[128, 64, 3, 3]"), ("features.6.bias", "F32", "[128]"),
                ("classifier.weight", "F32", "[10, 128]"), ("classifier.bias", "F32", "[10]"),
            ],
            Describe(graph));
        // 32·27+32 + 64·288+64 + 128·576+128 + 10·128+10
        Assert.Equal(896 + 18_496 + 73_856 + 1_290, graph.ParameterCount);
        Assert.Equal(
            [NodeKind.Conv2d, NodeKind.ReLU, NodeKind.MaxPool2d, NodeKind.Conv2d, NodeKind.ReLU, NodeKind.MaxPool2d, NodeKind.Conv2d, NodeKind.ReLU, NodeKind.MaxPool2d,
             NodeKind.GlobalAvgPool, NodeKind.Flatten, NodeKind.Linear],
            graph.Nodes.Select(n => n.Kind));

        var dense = Build(Architecture.Cnn, ClassifierHead.Dense);
        Assert.Equal(["classifier.0.weight", "classifier.0.bias", "classifier.3.weight", "classifier.3.bias"], dense.StateDict.Where(e => dense.IsHead(e.Name)).Select(e => e.Name));
        Assert.Equal(new TensorShape(512, 128), dense.StateDict.Single(e => e.Name == "classifier.0.weight").Shape);
    }

    [Fact]
    public void Cnn_WidthsAndOddSizes()
    {
        var spec = ModelSpec.Default(Architecture.Cnn) with { CnnWidths = [8, 16], InputHeight = 145, InputWidth = 9, ClassNames = ["a", "b", "c"] };
        var graph = ModelGraph.Build(spec);
        var shapes = graph.InferShapes(1);
        Assert.Equal(new TensorShape(1, 8, 72, 4), shapes["features.2"]);   // ⌊145/2⌋, ⌊9/2⌋
        Assert.Equal(new TensorShape(1, 16, 36, 2), shapes["features.5"]);
        Assert.Equal(new TensorShape(1, 3), shapes["classifier"]);
        Assert.Equal(16, graph.FeatureCount);
    }

    [Theory]
    [InlineData(Architecture.Xception, 6, 299, "Conv2d 'conv2'")]
    [InlineData(Architecture.Cnn, 144, 7, "MaxPool2d 'features.8'")]
    public void InputTooSmallForTheStrides_IsRefusedNamingTheLayer(Architecture architecture, int height, int width, string layer)
    {
        var spec = ModelSpec.Default(architecture) with { InputHeight = height, InputWidth = width };
        var e = Assert.Throws<ArgumentException>(() => ModelGraph.Build(spec));
        Assert.Contains(layer, e.Message);
        Assert.Contains("too small", e.Message);
        Assert.Throws<ArgumentException>(spec.Validate);
    }

    [Fact]
    public void SmallestInputs()
    {
        // ResNet pads every window, so even 1×1 runs (as in PyTorch): 1 → 1 at each stride.
        Assert.Equal(new TensorShape(1, 10), ModelGraph.Build(ModelSpec.Default(Architecture.ResNet50) with { InputHeight = 1, InputWidth = 1 }).InferShapes(1)["fc"]);
        // conv1 3×3/2 then conv2 3×3 without padding: 7 → 3 → 1 works, 6 → 2 → nothing.
        _ = ModelGraph.Build(ModelSpec.Default(Architecture.Xception) with { InputHeight = 7, InputWidth = 7 });
        Assert.Throws<ArgumentException>(() => ModelGraph.Build(ModelSpec.Default(Architecture.Xception) with { InputHeight = 6, InputWidth = 7 }));
    }

    // ---- weight checking ----

    private static SafetensorsWriter RandomWeights(ModelGraph graph, int seed)
    {
        var random = new SeededRandom((ulong)seed);
        var writer = new SafetensorsWriter();
        foreach (var e in graph.StateDict)
        {
            if (e.DType == TensorDType.I64)
            {
                writer.Add(e.Name, e.Shape, [(long)random.NextInt(1000)]);
                continue;
            }
            var values = new float[e.Shape.ElementCount];
            for (var i = 0; i < values.Length; i++)
                values[i] = (float)random.Gaussian(0, 0.1);
            writer.Add(e.Name, e.Shape, values);
        }
        return writer;
    }

    private static SafetensorsFile Reread(SafetensorsWriter writer) => SafetensorsFile.Parse(writer.ToArray(), "weights.safetensors");

    [Fact]
    public void CheckWeights_AcceptsACompleteSet_AndNamesEachProblem()
    {
        var graph = Build(Architecture.Cnn, ClassifierHead.Dense);
        graph.CheckWeights(Reread(RandomWeights(graph, 1)));

        var bad = new SafetensorsWriter();
        foreach (var e in graph.StateDict.Where(e => e.Name != "features.3.bias"))
        {
            if (e.Name == "classifier.3.weight")
                bad.Add(e.Name, new TensorShape(7, 512), new float[7 * 512]);
            else if (e.Name == "features.0.bias")
                bad.Add(e.Name, TensorDType.F16, e.Shape, new byte[2 * 32]);
            else
                bad.Add(e.Name, e.DType, e.Shape, new byte[e.Shape.ElementCount * e.DType.SizeInBytes()]);
        }
        bad.Add("features.9.weight", new TensorShape(2), [1f, 2f]);
        var error = Assert.Throws<DataFileException>(() => graph.CheckWeights(Reread(bad)));
        Assert.Equal("weights.safetensors", error.FilePath);
        Assert.Contains("missing tensor 'features.3.bias' (expected F32 [64])", error.Problem);
        Assert.Contains("tensor 'classifier.3.weight' has shape [7, 512], expected [10, 512]", error.Problem);
        Assert.Contains("tensor 'features.0.bias' is F16, expected F32 (shape [32])", error.Problem);
        Assert.Contains("unexpected tensor 'features.9.weight' (F32 [2])", error.Problem);
    }

    [Fact]
    public void CheckWeights_PretrainedOptions_IgnoreTheHead_AndOldCheckpointsWithoutCounters()
    {
        var imageNet = Build(Architecture.ResNet18, classes: 1000);
        var ours = Build(Architecture.ResNet18, ClassifierHead.Dense);
        var file = Reread(RandomWeights(imageNet, 2));

        var strict = Assert.Throws<DataFileException>(() => ours.CheckWeights(file));
        Assert.Contains("missing tensor 'fc.0.weight'", strict.Problem);
        Assert.Contains("unexpected tensor 'fc.weight' (F32 [1000, 512])", strict.Problem);
        ours.CheckWeights(file, WeightCheck.IgnoreHead);

        var noCounters = new SafetensorsWriter();
        foreach (var t in file.Tensors.Where(t => !t.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
            noCounters.Add(t.Name, t.DType, t.Shape, file.Bytes(t));
        var old = Reread(noCounters);
        Assert.Contains("missing tensor 'bn1.num_batches_tracked' (expected I64 [])", Assert.Throws<DataFileException>(() => imageNet.CheckWeights(old)).Problem);
        imageNet.CheckWeights(old, WeightCheck.AllowMissingBatchCounters);
        ours.CheckWeights(old, WeightCheck.IgnoreHead | WeightCheck.AllowMissingBatchCounters);
    }
}
