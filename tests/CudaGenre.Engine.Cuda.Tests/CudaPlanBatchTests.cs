using CudaGenre.Core.Models;

namespace CudaGenre.Engine.Cuda.Tests;

/// <summary>
/// Plans per maximum batch on the CUDA backend: a plan made for 3 runs a batch of 2, floats and images, with the
/// logits of a plan made for 2, after a full run left other items in its padding; with fixed algorithm choices
/// (no measuring) both plans run the same algorithms, so the logits are the same bits.
/// </summary>
public sealed class CudaPlanBatchTests
{
    [Fact]
    public void ASmallerBatchOnALargerPlan_GivesTheExactPlansLogits()
    {
        Gpu.Require();
        var size = Gpu.IsEmulated ? 40 : 71;
        var graph = FusedGraphs.Build(Architecture.Cnn, size: size);
        using var backend = CudaBackend.Create(graph, new SessionOptions { Backend = Backend.Cuda, MeasureConvolutionAlgorithms = false, UseCudaGraphs = true });
        Assert.True(backend.PadsCheaply);
        var (floats, images) = PlanBatches.Compare(backend, graph, small: 2, large: 3);
        Assert.Equal(floats.Exact, floats.Padded);
        Assert.Equal(images.Exact, images.Padded);
        PlanBatches.AssertTooManyItemsRefused(backend, graph);
    }
}
