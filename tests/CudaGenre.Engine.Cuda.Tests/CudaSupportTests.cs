using CudaGenre.Core.Models;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda.Tests;

/// <summary>
/// The CUDA backend refuses a step it cannot run when it is opened, before it touches the driver (so the same
/// error on a machine with or without a GPU, and with a device ordinal that does not exist), with the reason
/// naming the step; and accepts every step of every architecture the trainer makes.
/// </summary>
public sealed class CudaSupportTests
{
    [Theory]
    [MemberData(nameof(FusedGraphs.Architectures), MemberType = typeof(FusedGraphs))]
    public void EveryStepOfEveryArchitecture_IsSupported(Architecture architecture)
    {
        var graph = FusedGraphs.Build(architecture);
        Assert.All(graph.Steps, step => Assert.True(CudaBackend.Supports(step, graph, out var reason), reason));
    }

    public static TheoryData<string, string> Unsupported => new()
    {
        { "grouped", "grouped convolutions only as depthwise 3×3" },
        { "depthwise5x5", "depthwise kernel takes 3×3 filters" },
        { "pool", "square windows, equal strides and equal padding" },
        { "reads-head", "reads a linear layer's output" },
        { "ends-without-linear", "needs the model to end with a linear layer" },
        { "unknown", "cannot run UnknownStep" },
    };

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void AnUnsupportedStep_IsRefusedUpFront_WithTheReason(string kind, string reason)
    {
        var graph = FusedGraphs.Build(kind == "depthwise5x5" ? Architecture.Xception : Architecture.ResNet18);
        var steps = graph.Steps.ToList();
        var output = graph.Output;
        int at;
        switch (kind)
        {
            case "grouped":
                at = steps.FindLastIndex(s => s is FusedConv);
                steps[at] = (FusedConv)steps[at] with { Conv = ((FusedConv)steps[at]).Conv with { Groups = 2 } };
                break;
            case "depthwise5x5":
                at = steps.FindIndex(s => s is FusedConv { Conv.IsDepthwise: true });
                steps[at] = (FusedConv)steps[at] with { Conv = ((FusedConv)steps[at]).Conv with { Kernel = Size2d.Square(5), Padding = Size2d.Square(2) } };
                break;
            case "pool":
                at = steps.FindIndex(s => s is MaxPoolStep);
                steps[at] = (MaxPoolStep)steps[at] with { Pool = ((MaxPoolStep)steps[at]).Pool with { Stride = new Size2d(2, 1) } };
                break;
            case "reads-head":
                // A ReLU after the first linear layer of the dense head, read by the second: the head buffer is FP32, the ReLU would run on the arena.
                var linear = steps.FindIndex(s => s is FusedLinear);
                at = linear + 1;
                steps.Insert(at, new ReluStep("head.relu", [steps[linear].Output], "head.relu.out"));
                steps[at + 1] = steps[at + 1] with { Inputs = ["head.relu.out"] };
                break;
            case "ends-without-linear":
                at = steps.FindLastIndex(s => s is not FusedLinear);
                output = steps[at].Output;
                steps.RemoveRange(at + 1, steps.Count - at - 1);
                break;
            default:
                at = steps.FindIndex(s => s is GlobalAvgPoolStep);
                steps[at] = new UnknownStep(steps[at].Module, steps[at].Inputs, steps[at].Output);
                break;
        }
        var broken = graph with { Steps = steps, Output = output };

        Assert.False(CudaBackend.Supports(steps[at], broken, out var why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
        Assert.Contains($"'{steps[at].Module}'", why, StringComparison.Ordinal);
        // Device 99 does not exist: a backend that touched the driver first would say so (or that there is no driver) instead.
        var e = Assert.Throws<NotSupportedException>(() => CudaBackend.Create(broken, new SessionOptions { Backend = Backend.Cuda, Device = 99 }));
        Assert.Equal(why, e.Message);
    }
}
