using CudaGenre.Core.Models;

namespace CudaGenre.Engine.Tests;

/// <summary>
/// Plans per maximum batch: a CPU plan made for 5 runs a batch of 2 with the bits of a plan made for 2 (the same
/// GEMM blocking along the sums, rows never mix), after a full run left other items in its padding; and which idle
/// plan a session may hand a batch.
/// </summary>
public sealed class PlanBatchTests
{
    [Theory]
    [InlineData(Architecture.Cnn)]
    [InlineData(Architecture.Xception)]
    public void ASmallerBatchOnALargerCpuPlan_GivesTheExactPlansBits(Architecture architecture)
    {
        var graph = FusedGraphs.Build(architecture);
        using var backend = new CpuBackend(graph, threads: 2);
        var (floats, images) = PlanBatches.Compare(backend, graph, small: 2, large: 5);
        Assert.Equal(floats.Exact, floats.Padded);
        Assert.Equal(images.Exact, images.Padded);
        Assert.All(floats.Exact, v => Assert.True(float.IsFinite(v)));
        PlanBatches.AssertTooManyItemsRefused(backend, graph);
    }

    [Fact]
    public void TheCnnsBatchRunsItemByItem_WithTheWholeBatchPlansBits()
    {
        // At its real input size (144×216; 144² here) the CNN's activations dwarf its weights, so its CPU plans run a
        // batch one item at a time (ChunkedPlan); at 71² they do not. The ResNets and Xception, whose weights
        // dominate, run the batch whole.
        Assert.Equal(1, Engine.Cpu.ChunkedPlan.ChunkFor(FusedGraphs.Build(Architecture.Cnn, size: 144)));
        Assert.Equal(0, Engine.Cpu.ChunkedPlan.ChunkFor(FusedGraphs.Build(Architecture.Cnn)));
        Assert.Equal(0, Engine.Cpu.ChunkedPlan.ChunkFor(FusedGraphs.Build(Architecture.ResNet18)));
        Assert.Equal(0, Engine.Cpu.ChunkedPlan.ChunkFor(FusedGraphs.Build(Architecture.Xception)));

        var graph = FusedGraphs.Build(Architecture.Cnn, size: 144);
        using var backend = new CpuBackend(graph, threads: 2);
        using var chunked = backend.CreatePlan(5);
        Assert.IsType<Engine.Cpu.ChunkedPlan>(chunked);
        using var whole = new Engine.Cpu.CpuPlan(graph, new Engine.Cpu.CpuWeights(graph), 5, threads: 2);
        var spec = graph.Source.Spec;
        var input = Reference.Random(4 * spec.InputChannels * spec.InputHeight * spec.InputWidth, 31, scale: 2f);
        var (a, b) = (new float[4 * spec.ClassCount], new float[4 * spec.ClassCount]);
        chunked.Run(input, a);
        whole.Run(input, b);
        Assert.Equal(b, a);
        Assert.Throws<ArgumentException>(() => chunked.Run(input, new float[4 * spec.ClassCount - 1]));
    }

    [Fact]
    public void AnIdlePlanFits_ItsOwnSize_OrALargerOneUnderTwice_WhereTheBackendPadsCheaply()
    {
        Assert.True(ExecutionPlans.Fits(4, 4, padsCheaply: false));
        Assert.False(ExecutionPlans.Fits(5, 4, padsCheaply: false));
        Assert.True(ExecutionPlans.Fits(7, 4, padsCheaply: true));
        Assert.False(ExecutionPlans.Fits(8, 4, padsCheaply: true));
        Assert.False(ExecutionPlans.Fits(3, 4, padsCheaply: true));
        Assert.False(new CpuBackend(FusedGraphs.Build(Architecture.Cnn), threads: 1).PadsCheaply);
    }
}
