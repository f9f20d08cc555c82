using CudaGenre.Core;
using CudaGenre.Core.Models;

namespace CudaGenre.Engine.Tests;

/// <summary>Issue #15: NaN weights gave "blues" with NaN probabilities and exit code 0. A non-finite model is an error.</summary>
public sealed class NonFiniteTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cudagenre-nonfinite-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly ModelSpec Spec = ModelSpec.Default(Architecture.ResNet18, ClassifierHead.Linear) with { InputHeight = 32, InputWidth = 32 };

    /// <summary>A random ResNet18 with one value of <paramref name="tensor"/> replaced.</summary>
    private string WriteWith(string tensor, float value, ulong seed)
    {
        var graph = ModelGraph.Build(Spec);
        var weights = RandomWeights.Create(graph, seed);
        var random = new SeededRandom(seed + 1);
        var index = random.NextInt(weights[tensor].Length);
        weights[tensor][index] = value;
        var path = Path.Combine(_folder, $"{tensor}-{value}-{seed}.safetensors");
        RandomWeights.WriteModel(path, Spec, weights);
        return path;
    }

    [Theory]
    [InlineData("conv1.weight", float.NaN, "non-finite value (NaN)")]
    [InlineData("layer2.1.conv2.weight", float.PositiveInfinity, "non-finite value (Infinity)")]
    [InlineData("layer3.0.bn1.bias", float.NegativeInfinity, "non-finite value (-Infinity)")]
    [InlineData("fc.bias", float.NaN, "non-finite value (NaN)")]
    [InlineData("layer1.0.bn2.running_var", -0.5f, "negative variance (-0.5)")]
    public void ANonFiniteWeight_OrANegativeVariance_IsAnErrorAtOpen_NamingTheTensor(string tensor, float value, string expected)
    {
        var path = WriteWith(tensor, value, seed: (ulong)tensor.Length);

        var e = Assert.Throws<DataFileException>(() => InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 1 }));

        Assert.Equal(path, e.FilePath);
        Assert.Contains($"tensor '{tensor}' holds a {expected} at index", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithTheOptOut_TheModelOpens_ButNonFiniteLogitsAreAnError_NeverAGenre()
    {
        var path = WriteWith("fc.weight", float.NaN, seed: 4);
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 1, AllowNonFiniteWeights = true });
        var input = Reference.Random(2 * session.InputLength, 5);

        Assert.Contains("the model produced a non-finite logit (NaN) for item 0", Assert.Throws<InvalidOperationException>(() => session.Classify(input.AsSpan(0, session.InputLength))).Message, StringComparison.Ordinal);
        Assert.Contains("non-finite logit (NaN)", Assert.Throws<InvalidOperationException>(() => session.Run(input, 2)).Message, StringComparison.Ordinal);
        var image = new Core.Imaging.RgbImage(40, 30);
        new SeededRandom(6).NextBytes(image.Pixels);
        Assert.Throws<InvalidOperationException>(() => session.Classify(image));
    }

    [Fact]
    public void FiniteWeightsThatOverflowOnAnInput_GiveAnError_NotAGenre()
    {
        // Every fc weight float.MaxValue: finite, so the model opens, but the logits overflow to ∞ on a random input
        // (the features after the last ReLU and the average pool are ≥ 0 and sum to more than 1).
        var graph = ModelGraph.Build(Spec);
        var weights = RandomWeights.Create(graph, 8);
        Array.Fill(weights["fc.weight"], float.MaxValue);
        var path = Path.Combine(_folder, "huge.safetensors");
        RandomWeights.WriteModel(path, Spec, weights);
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });

        var e = Assert.Throws<InvalidOperationException>(() => session.Classify(Reference.Random(session.InputLength, 9, scale: 3f)));
        Assert.Contains("non-finite logit", e.Message, StringComparison.Ordinal);
    }
}
