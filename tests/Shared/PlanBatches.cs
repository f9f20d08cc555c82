// Shared by the engine's test projects (linked into each): a plan made for a larger batch runs a smaller one,
// padded, with the logits of a plan made for exactly that batch, whatever an earlier larger run left in the padding.
using CudaGenre.Core;
using CudaGenre.Core.Imaging;
using CudaGenre.Engine;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Tests.Shared;

internal static class PlanBatches
{
    /// <summary>
    /// On <paramref name="backend"/>: a plan for <paramref name="small"/> and one for <paramref name="large"/>; the large
    /// one first runs a full batch of other inputs (so its padding holds stale, different items), then the small batch;
    /// both as floats and as images. Returns (exact plan's logits, large plan's logits) for floats, then for images.
    /// </summary>
    public static ((float[] Exact, float[] Padded) Floats, (float[] Exact, float[] Padded) Images) Compare(IModelBackend backend, FusedGraph graph, int small, int large)
    {
        var spec = graph.Source.Spec;
        var perItem = spec.InputChannels * spec.InputHeight * spec.InputWidth;
        var classes = spec.ClassCount;
        using var exact = backend.CreatePlan(small);
        using var padded = backend.CreatePlan(large);
        var stale = Random(large * perItem, 11);
        var input = Random(small * perItem, 12);
        var (exactLogits, paddedLogits, staleLogits) = (new float[small * classes], new float[small * classes], new float[large * classes]);
        padded.Run(stale, staleLogits);
        exact.Run(input, exactLogits);
        padded.Run(input, paddedLogits);

        var preprocessor = new ImagePreprocessor(spec.ToPreprocessSettings());
        var images = Enumerable.Range(0, small).Select(i => Image(spec.InputHeight + (3 * i), spec.InputWidth + 5, (ulong)(20 + i))).ToList();
        var staleImages = Enumerable.Range(0, large).Select(i => Image(spec.InputHeight, spec.InputWidth, (ulong)(40 + i))).ToList();
        var (exactImages, paddedImages) = (new float[small * classes], new float[small * classes]);
        padded.Run(staleImages, preprocessor, staleLogits);
        exact.Run(images, preprocessor, exactImages);
        padded.Run(images, preprocessor, paddedImages);
        return ((exactLogits, paddedLogits), (exactImages, paddedImages));
    }

    /// <summary>A batch over the plan's size is refused, naming both sizes, before anything runs.</summary>
    public static void AssertTooManyItemsRefused(IModelBackend backend, FusedGraph graph)
    {
        var spec = graph.Source.Spec;
        using var plan = backend.CreatePlan(2);
        var e = Assert.Throws<ArgumentException>(() => plan.Run(new float[3 * spec.InputChannels * spec.InputHeight * spec.InputWidth], new float[3 * spec.ClassCount]));
        Assert.Contains("3 items were given to a plan for up to 2", e.Message, StringComparison.Ordinal);
    }

    private static float[] Random(int length, ulong seed)
    {
        var random = new SeededRandom(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 4) - 2))];
    }

    private static RgbImage Image(int height, int width, ulong seed)
    {
        var random = new SeededRandom(seed);
        var pixels = new byte[height * width * 3];
        for (var i = 0; i < pixels.Length; i++)
            pixels[i] = (byte)random.NextInt(256);
        return new RgbImage(width, height, pixels);
    }
}
