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
