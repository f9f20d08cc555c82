// Shared by the engine's test projects (linked into each): optimized graphs of the trainer's architectures on
// seeded random weights, and a step type no backend knows, for the backends' support checks.
using CudaGenre.Core.Models;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Tests.Shared;

internal static class FusedGraphs
{
    /// <summary>The architectures the trainer makes.</summary>
    public static TheoryData<Architecture> Architectures => [Architecture.Cnn, Architecture.ResNet18, Architecture.ResNet50, Architecture.Xception];

    /// <summary><paramref name="architecture"/> at <paramref name="size"/>² input, optimized, on seeded random weights.</summary>
    public static FusedGraph Build(Architecture architecture, ClassifierHead head = ClassifierHead.Dense, int size = 71)
    {
        var graph = ModelGraph.Build(ModelSpec.Default(architecture, head) with { InputHeight = size, InputWidth = size });
        var weights = RandomWeights.Create(graph, seed: 5);
        return GraphOptimizer.Optimize(graph, name => weights[name]);
    }
}

/// <summary>A step type no backend knows.</summary>
internal sealed record UnknownStep(string Module, IReadOnlyList<string> Inputs, string Output) : FusedStep(Module, Inputs, Output);
