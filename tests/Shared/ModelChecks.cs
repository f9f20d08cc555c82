// Shared by the engine's test projects (linked into each, not a library): the model variants the trainer makes,
// and the error measure of the numerics contract, computed independently of the engine's own ReferenceComparison.
namespace CudaGenre.Tests.Shared;

internal static class ModelChecks
{
    /// <summary>Every (architecture, head) the trainer makes, as names.</summary>
    public static TheoryData<string, string> Variants => new()
    {
        { "cnn", "linear" }, { "cnn", "dense" },
        { "resnet18", "linear" }, { "resnet18", "dense" },
        { "resnet50", "linear" }, { "resnet50", "dense" },
        { "xception", "linear" }, { "xception", "dense" },
    };

    /// <summary>‖actual − expected‖₂ / ‖expected‖₂, in double.</summary>
    public static double RelativeL2(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            diff += Math.Pow(actual[i] - (double)expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }
        return Math.Sqrt(diff / norm);
    }
}
