using CudaGenre.Core.Models;
using CudaGenre.Trainer.Models;
using static TorchSharp.torch;

namespace CudaGenre.Trainer.Tests;

public sealed class GraphModuleTests
{
    public static TheoryData<string, string, int, int> Shapes => new()
    {
        // Small inputs where the architecture allows, to keep the tests fast.
        { "cnn", "linear", 32, 48 },
        { "cnn", "dense", 24, 40 },
        { "resnet18", "linear", 64, 64 },
        { "resnet18", "dense", 48, 80 },
        { "resnet50", "linear", 64, 64 },
        { "resnet50", "dense", 64, 96 },
        { "xception", "linear", 96, 96 },
        { "xception", "dense", 96, 128 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_gives_one_logit_per_class_and_state_dict_names_are_the_graphs(string arch, string head, int height, int width)
    {
        var spec = Spec(arch, head) with { InputHeight = height, InputWidth = width };
        var graph = ModelGraph.Build(spec);
        manual_seed(1);
        using var model = new GraphModule(graph);

        var state = model.state_dict();
        var expected = graph.StateDict.ToDictionary(e => e.Name, e => e.Shape.Dims.Select(d => (long)d).ToArray());
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), state.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in state)
            Assert.True(expected[name].SequenceEqual(tensor.shape), $"{name}: [{string.Join(", ", tensor.shape)}] vs [{string.Join(", ", expected[name])}]");
        var trainable = model.parameters().Sum(p => p.numel());
        Assert.Equal(graph.ParameterCount, trainable);

        model.eval();
        using var noGrad = no_grad();
        using var x = randn(3, 3, height, width);
        using var y = model.forward(x);
        Assert.Equal([3L, 10L], y.shape);
        Assert.True(y.isfinite().all().item<bool>());
        // Different inputs give different logits: the network is really wired through.
        Assert.True(y[0].sub(y[1]).abs().max().item<float>() > 0);
    }

    [Fact]
    public void Forward_to_an_inner_value_returns_the_pooled_features()
    {
        var graph = ModelGraph.Build(Spec("resnet18", "linear") with { InputHeight = 64, InputWidth = 64 });
        manual_seed(2);
        using var model = new GraphModule(graph);
        model.eval();
        using var noGrad = no_grad();
        using var x = randn(2, 3, 64, 64);
        var pool = graph.Nodes.First(n => n.Kind == NodeKind.GlobalAvgPool);
        using var features = model.ForwardTo(pool.Output, x);
        Assert.Equal([2L, 512L, 1L, 1L], features.shape);
        // The head applied to those features gives the logits of the full forward.
        using var fc = features.flatten(1).matmul(model.state_dict()["fc.weight"].t()).add(model.state_dict()["fc.bias"]);
        using var logits = model.forward(x);
        Assert.True(fc.allclose(logits, rtol: 1e-5, atol: 1e-5));
        Assert.Throws<ArgumentException>(() => model.ForwardTo("no-such-value", x));
    }

    [Fact]
    public void The_same_seed_builds_the_same_weights()
    {
        var graph = ModelGraph.Build(Spec("cnn", "dense") with { InputHeight = 24, InputWidth = 32 });
        manual_seed(5);
        using var a = new GraphModule(graph);
        manual_seed(5);
        using var b = new GraphModule(graph);
        manual_seed(6);
        using var c = new GraphModule(graph);
        foreach (var (name, t) in a.state_dict())
            Assert.True(t.equal(b.state_dict()[name]).all().item<bool>(), name);
        Assert.Contains(a.state_dict(), kv => kv.Value.dtype == ScalarType.Float32 && !kv.Value.equal(c.state_dict()[kv.Key]).all().item<bool>());
    }

    internal static ModelSpec Spec(string arch, string head)
    {
        Assert.True(ArchitectureNames.TryParseArchitecture(arch, out var a));
        Assert.True(ArchitectureNames.TryParseHead(head, out var h));
        return ModelSpec.Default(a, h);
    }
}
