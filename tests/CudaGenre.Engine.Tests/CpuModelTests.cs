using CudaGenre.Core.Models;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Tests;

/// <summary>Whole models on the CPU backend vs the unfused double-precision interpreter, random weights and inputs.</summary>
public class CpuModelTests
{
    public static TheoryData<string, string, int, int, int> Models => new()
    {
        { "cnn", "linear", 144, 216, 2 },
        { "cnn", "dense", 64, 96, 3 },
        { "resnet18", "dense", 64, 64, 2 },
        { "resnet50", "linear", 64, 80, 2 },
        { "xception", "dense", 71, 75, 2 },
    };

    /// <summary>A random model of this architecture and input size: its graph, seeded weights and a seeded input batch.</summary>
    private static (ModelSpec Spec, ModelGraph Graph, Dictionary<string, float[]> Weights, float[] Input) RandomModel(string arch, string head, int height, int width, int batch)
    {
        Assert.True(ArchitectureNames.TryParseArchitecture(arch, out var architecture));
        Assert.True(ArchitectureNames.TryParseHead(head, out var classifier));
        var spec = ModelSpec.Default(architecture, classifier) with { InputHeight = height, InputWidth = width };
        var graph = ModelGraph.Build(spec);
        return (spec, graph, GraphReference.RandomWeights(graph, 42), Reference.Random(batch * 3 * height * width, 43, scale: 2f));
    }

    /// <summary>
    /// The logits of a random model (<see cref="RandomModel"/>: the same weights and input for every kind) on the CPU
    /// backend computing its GEMMs in <paramref name="kind"/>: what the reduced-precision tests compare with FP32.
    /// </summary>
    internal static (ModelSpec Spec, float[] Logits) RandomModelLogits(string arch, string head, int height, int width, int batch, Engine.Cpu.CpuGemmKind kind)
    {
        var (spec, graph, weights, input) = RandomModel(arch, head, height, width, batch);
        var fused = GraphOptimizer.Optimize(graph, name => weights[name]);
        using var plan = new Engine.Cpu.CpuPlan(fused, new Engine.Cpu.CpuWeights(fused, kind), batch, threads: 3);
        var logits = new float[batch * spec.ClassCount];
        plan.Run(input, logits);
        return (spec, logits);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Logits_MatchTheUnfusedReference(string arch, string head, int height, int width, int batch)
    {
        var (_, graph, weights, input) = RandomModel(arch, head, height, width, batch);
        var expected = GraphReference.Run(graph, weights, input, batch);
        var (spec, logits) = RandomModelLogits(arch, head, height, width, batch, Engine.Cpu.CpuGemmKind.Fp32);

        Assert.True(RelativeL2(logits, expected) < 1e-5, $"relative L2 error {RelativeL2(logits, expected):E2}");
        for (var n = 0; n < batch; n++)
        {
            Assert.Equal(ArgMax(expected.AsSpan(n * 10, 10)), ArgMax(logits.AsSpan(n * 10, 10)));
        }
    }

    /// <summary>
    /// Every reduced kind keeps the linear layers (the classifier head, whose rounding goes straight into the logits;
    /// negligible work) in FP32, and computes the 1×1 convolutions, which no FP32 special path takes, in its own kind.
    /// </summary>
    [Theory]
    [InlineData("Bf16", "resnet18")]
    [InlineData("Bf16", "xception")]
    [InlineData("Int8", "resnet50")]
    [InlineData("Int16", "xception")]
    public void ReducedKinds_KeepTheLinearHeadInFp32(string kindName, string arch)
    {
        var kind = Enum.Parse<Engine.Cpu.CpuGemmKind>(kindName); // (the enum is internal: a public theory cannot take it)
        Assert.True(ArchitectureNames.TryParseArchitecture(arch, out var architecture));
        var graph = ModelGraph.Build(ModelSpec.Default(architecture, ClassifierHead.Dense) with { InputHeight = 64, InputWidth = 64 });
        var weights = GraphReference.RandomWeights(graph, 1);
        var fused = GraphOptimizer.Optimize(graph, name => weights[name]);
        var prepared = new Engine.Cpu.CpuWeights(fused, kind);

        var linear = fused.Steps.OfType<FusedLinear>().ToList();
        Assert.Equal(2, linear.Count); // the dense head: hidden layer and output layer
        Assert.All(linear, step => Assert.Equal(Engine.Cpu.CpuGemmKind.Fp32, prepared.KindOf(step)));
        var pointwise = fused.Steps.OfType<FusedConv>().Where(c => c.Conv.Kernel.Height == 1 && !c.Conv.IsDepthwise).ToList();
        Assert.NotEmpty(pointwise);
        Assert.All(pointwise, step => Assert.Equal(kind, prepared.KindOf(step)));
    }

    [Theory]
    [InlineData("resnet18", 0)]
    [InlineData("resnet50", 0)]
    [InlineData("xception", 11)] // blocks 2-12 start with a ReLU whose input the skip path also reads
    public void EveryBatchNormReluAndResidualAdd_IsFused(string arch, int reluPrologues)
    {
        Assert.True(ArchitectureNames.TryParseArchitecture(arch, out var architecture));
        var graph = ModelGraph.Build(ModelSpec.Default(architecture, ClassifierHead.Dense));
        var weights = GraphReference.RandomWeights(graph, 1);
        var fused = GraphOptimizer.Optimize(graph, name => weights[name]);

        Assert.DoesNotContain(fused.Steps, s => s is AddStep or ReluStep or FlattenStep);
        Assert.Equal(graph.Nodes.Count(n => n is Conv2dNode), fused.Steps.Count(s => s is FusedConv));
        Assert.Equal(graph.Nodes.Count(n => n is AddNode), fused.Steps.Count(s => s is FusedConv { Residual: not null }));
        Assert.Equal(reluPrologues, fused.Steps.Count(s => s is FusedConv { ReluInput: true }));
        Assert.Contains(fused.Steps, s => s is FusedLinear { Relu: true }); // the dense head's hidden layer
    }

    internal static double RelativeL2(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected) => ModelChecks.RelativeL2(actual, expected);

    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }
}
