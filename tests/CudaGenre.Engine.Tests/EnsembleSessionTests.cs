using CudaGenre.Core;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Models;

namespace CudaGenre.Engine.Tests;

/// <summary>
/// An ensemble manifest opened as one session: its probabilities are the weighted mean of its members' own sessions'
/// probabilities (computed here by hand, in double), each member preprocessing the images its own way.
/// </summary>
public sealed class EnsembleSessionTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private static readonly SessionOptions Cpu = new() { Backend = Backend.Cpu, Threads = 1 };

    public void Dispose() => _temp.Dispose();

    /// <summary>Small CNNs of different input sizes, normalizations and heads: fast, and each member sees other pixels.</summary>
    private static readonly ModelSpec[] Specs =
    [
        ModelSpec.Default(Architecture.Cnn) with { InputHeight = 16, InputWidth = 24, CnnWidths = [4, 8] },
        ModelSpec.Default(Architecture.Cnn, ClassifierHead.Dense) with { InputHeight = 20, InputWidth = 20, CnnWidths = [6], DenseUnits = 12, Mean = [0.5f, 0.5f, 0.5f], Std = [0.25f, 0.5f, 0.3f] },
        ModelSpec.Default(Architecture.Cnn) with { InputHeight = 12, InputWidth = 30, CnnWidths = [4, 4, 8] },
    ];

    /// <summary>Writes member models (seeded random weights) and a manifest over them; returns the manifest's path.</summary>
    private string Ensemble(string name, params (int Spec, double Weight)[] members)
    {
        foreach (var (spec, _) in members)
        {
            var file = _temp.File($"member{spec}.safetensors");
            if (!File.Exists(file))
                RandomWeights.WriteModel(file, Specs[spec], seed: 10 + (ulong)spec);
        }
        var path = _temp.File(name);
        EnsembleManifest.Write(path, [.. members.Select(m => ($"member{m.Spec}.safetensors", m.Weight))]);
        return path;
    }

    private static RgbImage[] Images(int count, ulong seed)
    {
        var random = new SeededRandom(seed);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var (w, h) = (30 + 7 * i, 18 + 5 * i);
            return new RgbImage(w, h, [.. Enumerable.Range(0, w * h * 3).Select(_ => (byte)random.NextInt(256))]);
        })];
    }

    private static double[] Softmax(ReadOnlySpan<float> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var v in logits)
            max = Math.Max(max, v);
        var e = new double[logits.Length];
        for (var i = 0; i < e.Length; i++)
            e[i] = Math.Exp(logits[i] - max);
        var sum = e.Sum();
        return [.. e.Select(v => v / sum)];
    }

    [Fact]
    public void AnEnsembleOfOne_GivesItsMembersProbabilities()
    {
        var path = Ensemble("one.ensemble.json", (0, 3.0));
        using var ensemble = InferenceSession.Open(path, Cpu);
        using var member = InferenceSession.Open(_temp.File("member0.safetensors"), Cpu);
        var images = Images(3, 1);
        var expected = member.Classify(images);
        var actual = ensemble.Classify(images);
        Assert.NotNull(ensemble.Manifest);
        Assert.Single(ensemble.Members);
        for (var i = 0; i < images.Length; i++)
        {
            Assert.Equal(expected[i].Label, actual[i].Label);
            for (var c = 0; c < 10; c++)
                Assert.Equal(expected[i].Probabilities[c], actual[i].Probabilities[c], 6);
        }
    }

    /// <summary>
    /// Three members of different input sizes, normalizations and weights, against their own sessions combined by hand;
    /// on CUDA too (the emulated device in CI), where each member resizes and normalizes on the GPU.
    /// </summary>
    [Theory]
    [InlineData(Backend.Cpu)]
    [InlineData(Backend.Cuda)]
    public void MembersOfDifferentInputs_CombineAsTheWeightedMeanOfTheirOwnProbabilities(Backend backend)
    {
        if (backend == Backend.Cuda)
            Gpu.Require();
        var options = new SessionOptions { Backend = backend, Threads = 1 };
        var weights = new[] { 0.5, 2.0, 1.25 };
        var path = Ensemble("three.ensemble.json", (0, weights[0]), (1, weights[1]), (2, weights[2]));
        using var ensemble = InferenceSession.Open(path, options);
        Assert.Equal(backend, ensemble.Backend);
        Assert.False(ensemble.HasSingleInput);
        Assert.Equal(0, ensemble.InputLength);
        Assert.Equal(Genres.Names, ensemble.ClassNames);
        Assert.Contains("ensemble of 3", ensemble.Describe(), StringComparison.Ordinal);
        Assert.Equal([16, 20, 12], ensemble.Members.Select(m => m.Spec.InputHeight));

        var images = Images(4, 2);
        var logits = new float[images.Length * 10];
        ensemble.Run(images, logits);

        var members = Enumerable.Range(0, 3).Select(m => InferenceSession.Open(_temp.File($"member{m}.safetensors"), options)).ToArray();
        try
        {
            var own = members.Select(m => m.Classify(images)).ToArray();
            // The members disagree somewhere, or the test could not tell a weight from another.
            Assert.True(Enumerable.Range(0, images.Length).Any(i => own.Select(o => o[i].Index).Distinct().Count() > 1), "the random members agree on every image");
            for (var i = 0; i < images.Length; i++)
            {
                var expected = new double[10];
                for (var m = 0; m < 3; m++)
                {
                    var p = Softmax(own[m][i].Logits);
                    for (var c = 0; c < 10; c++)
                        expected[c] += weights[m] * p[c] / weights.Sum();
                }
                var actual = Softmax(logits.AsSpan(i * 10, 10));
                for (var c = 0; c < 10; c++)
                    Assert.Equal(expected[c], actual[c], 6);
                Assert.Equal(Math.Log(expected[0]), logits[i * 10], 4);
            }

            // One preprocessed input per member (what a reference bundle holds) gives the same logits as the images.
            var inputs = members.Select(m => (ReadOnlyMemory<float>)images.SelectMany(new ImagePreprocessor(m.Spec.ToPreprocessSettings()).Process).ToArray()).ToArray();
            var fromInputs = new float[logits.Length];
            ensemble.Run(inputs, images.Length, fromInputs);
            if (backend == Backend.Cpu)
                Assert.Equal(logits, fromInputs);
            else
                Assert.True(ModelChecks.RelativeL2(fromInputs, logits) < 1e-5, $"CUDA: member inputs against images, relative L2 {ModelChecks.RelativeL2(fromInputs, logits):E2}");
        }
        finally
        {
            foreach (var m in members)
                m.Dispose();
        }
    }

    [Fact]
    public void RawTensors_OnMembersOfDifferentInputs_AreRefusedWithTheReason()
    {
        using var ensemble = InferenceSession.Open(Ensemble("mixed.ensemble.json", (0, 1), (1, 1)), Cpu);
        var e = Assert.Throws<InvalidOperationException>(() => ensemble.Run(new float[3 * 16 * 24], 1));
        Assert.Contains("has no single input shape: its members take 3×16×24 (mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]) and 3×20×20", e.Message, StringComparison.Ordinal);
        Assert.Contains("no single spec", Assert.Throws<InvalidOperationException>(() => ensemble.Spec).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => ensemble.InputSpec);
        Assert.Contains("an ensemble of 2 members, which takes one per member", Assert.Throws<ArgumentException>(() => ensemble.Run([new float[3 * 16 * 24]], 1, new float[10])).Message, StringComparison.Ordinal);
        Assert.Contains("member 1's input has 5 floats", Assert.Throws<ArgumentException>(() => ensemble.Run([new float[3 * 16 * 24], new float[5]], 1, new float[10])).Message, StringComparison.Ordinal);

        // The same size, normalized another way, is another input too.
        RandomWeights.WriteModel(_temp.File("renormalized.safetensors"), Specs[0] with { Std = [0.5f, 0.5f, 0.5f] }, seed: 7);
        var path = _temp.File("norm.ensemble.json");
        EnsembleManifest.Write(path, [("member0.safetensors", 1.0), ("renormalized.safetensors", 1.0)]);
        using var renormalized = InferenceSession.Open(path, Cpu);
        Assert.False(renormalized.HasSingleInput);
        Assert.Throws<InvalidOperationException>(() => renormalized.Run(new float[3 * 16 * 24], 1));
    }

    /// <summary>Members that take one input: raw tensors work, allocate nothing after warm-up, and concurrent callers agree.</summary>
    [Fact]
    public void MembersOfOneInput_RunRawTensors_WithoutAllocating_AndConcurrently()
    {
        // Two different models with the same input: the first spec, and its copy with other weights.
        RandomWeights.WriteModel(_temp.File("twin.safetensors"), Specs[0], seed: 99);
        RandomWeights.WriteModel(_temp.File("member0.safetensors"), Specs[0], seed: 10);
        var path = _temp.File("same.ensemble.json");
        EnsembleManifest.Write(path, [("member0.safetensors", 1.0), ("twin.safetensors", 3.0)]);
        using var ensemble = InferenceSession.Open(path, Cpu);
        Assert.True(ensemble.HasSingleInput);
        Assert.Equal(3 * 16 * 24, ensemble.InputLength);
        Assert.Equal(16, ensemble.InputSpec.InputHeight);

        var images = Images(2, 3);
        var preprocessor = new ImagePreprocessor(ensemble.InputSpec.ToPreprocessSettings());
        var input = images.SelectMany(preprocessor.Process).ToArray();
        var logits = new float[20];
        ensemble.Run(input, 2, logits);
        var fromImages = new float[20];
        ensemble.Run(images, fromImages);
        Assert.Equal(fromImages, logits);

        ensemble.WarmUp(2);
        for (var i = 0; i < 5; i++)
            ensemble.Run(input, 2, logits);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
            ensemble.Run(input, 2, logits);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        var inputs = Enumerable.Range(0, 8).Select(i => Reference.Random(ensemble.InputLength, 200 + (ulong)i)).ToArray();
        var sequential = inputs.Select(x => ensemble.Run(x, 1)).ToArray();
        var concurrent = new float[inputs.Length][];
        Parallel.For(0, 4 * inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k => concurrent[k % inputs.Length] = ensemble.Run(inputs[k % inputs.Length], 1));
        Assert.Equal(sequential, concurrent);
    }

    [Fact]
    public void DescribePlan_ListsEachMember_AndDisposeReleasesThem()
    {
        var ensemble = InferenceSession.Open(Ensemble("plan.ensemble.json", (0, 1), (2, 0.5)), Cpu);
        var plan = ensemble.DescribePlan(1);
        Assert.Contains(plan, l => l.StartsWith("member 0 (member0.safetensors, weight 1)", StringComparison.Ordinal));
        Assert.Contains(plan, l => l.StartsWith("member 1 (member2.safetensors, weight 0.5)", StringComparison.Ordinal));
        Assert.Contains(plan, l => l.StartsWith("combine:", StringComparison.Ordinal));
        var member = ensemble.Members[0];
        ensemble.Dispose();
        Assert.Throws<ObjectDisposedException>(() => member.Run(new float[member.InputLength], 1));
        Assert.Throws<ObjectDisposedException>(() => ensemble.Classify(Images(1, 4)));
    }
}
