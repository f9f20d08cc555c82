using CudaGenre.Core.Models;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Tests;

/// <summary>
/// The CPU backend refuses a step it cannot run when it is made, before it packs a weight, with the reason naming
/// the step; and accepts every step of every architecture the trainer makes.
/// </summary>
public sealed class BackendSupportTests
{
    [Theory]
    [MemberData(nameof(FusedGraphs.Architectures), MemberType = typeof(FusedGraphs))]
    public void EveryStepOfEveryArchitecture_IsSupported(Architecture architecture)
    {
        var graph = FusedGraphs.Build(architecture);
        Assert.All(graph.Steps, step => Assert.True(CpuBackend.Supports(step, graph, out var reason), reason));
    }

    public static TheoryData<string, string> Unsupported => new()
    {
        { "grouped", "grouped convolutions other than depthwise" },
        { "stride", "equal stride and padding along both axes" },
        { "pool", "equal stride and padding along both axes" },
        { "unknown", "cannot run UnknownStep" },
    };

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void AnUnsupportedStep_IsRefusedUpFront_WithTheReason(string kind, string reason)
    {
        var graph = FusedGraphs.Build(Architecture.ResNet18, ClassifierHead.Linear, size: 32);
        var steps = graph.Steps.ToList();
        // The last convolution (or pool) is made unsupported; the first convolution's weights are cut short, so a
        // backend that packed weights before checking every step would fail on them instead, with another error.
        var at = kind == "pool" ? steps.FindIndex(s => s is MaxPoolStep) : kind == "unknown" ? steps.Count - 1 : steps.FindLastIndex(s => s is FusedConv);
        var module = steps[at].Module;
        steps[at] = (kind, steps[at]) switch
        {
            ("grouped", FusedConv c) => c with { Conv = c.Conv with { Groups = 2 } },
            ("stride", FusedConv c) => c with { Conv = c.Conv with { Stride = new Size2d(1, 2) } },
            ("pool", MaxPoolStep p) => p with { Pool = p.Pool with { Padding = new Size2d(0, 1) } },
            (_, var s) => new UnknownStep(s.Module, s.Inputs, s.Output),
        };
        var first = steps.FindIndex(s => s is FusedConv);
        steps[first] = (FusedConv)steps[first] with { Weight = new float[1] };
        var broken = graph with { Steps = steps };

        Assert.False(CpuBackend.Supports(steps[at], broken, out var why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
        var e = Assert.Throws<NotSupportedException>(() => new CpuBackend(broken, threads: 1));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{module}'", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A CPU plan runs only a graph its weights checked: weights prepared for another graph are refused.</summary>
    [Fact]
    public void ACpuPlan_RefusesWeightsOfAnotherGraph()
    {
        var graph = FusedGraphs.Build(Architecture.Cnn, ClassifierHead.Linear, size: 32);
        var weights = new CudaGenre.Engine.Cpu.CpuWeights(graph);
        var other = graph with { Steps = [.. graph.Steps] };
        Assert.Equal(graph.Values.Count, other.Values.Count);
        var e = Assert.Throws<ArgumentException>(() => new CudaGenre.Engine.Cpu.CpuPlan(other, weights, batchSize: 1, threads: 1));
        Assert.Contains("prepared for another graph", e.Message, StringComparison.Ordinal);
        using var plan = new CudaGenre.Engine.Cpu.CpuPlan(graph, weights, batchSize: 1, threads: 1);
    }
}
