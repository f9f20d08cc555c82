using CudaGenre.Core;
using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;
using CudaGenre.Engine.Cpu;

namespace CudaGenre.Engine.Tests;

public sealed class InferenceSessionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cudagenre-engine-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Writes a small ResNet18 (64×64) with random weights; returns its path, graph and weights.</summary>
    private (string Path, ModelGraph Graph, Dictionary<string, float[]> Weights) WriteModel(string name = "model.safetensors")
    {
        var spec = ModelSpec.Default(Architecture.ResNet18, ClassifierHead.Linear) with { InputHeight = 64, InputWidth = 64 };
        var path = Path.Combine(_folder, name);
        var weights = RandomWeights.WriteModel(path, spec, seed: 5);
        var graph = ModelGraph.Build(spec);
        return (path, graph, weights);
    }

    [Fact]
    public void Open_Run_AndClassify_AgreeWithTheReference()
    {
        var (path, graph, weights) = WriteModel();
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 2 });
        Assert.Equal((Backend.Cpu, Precision.Fp32, 3 * 64 * 64, 10), (session.Backend, session.Precision, session.InputLength, session.ClassCount));

        var input = Reference.Random(3 * session.InputLength, 6, scale: 2f);
        var logits = session.Run(input, 3);
        Assert.True(CpuModelTests.RelativeL2(logits, GraphReference.Run(graph, weights, input, 3)) < 1e-5);

        var one = session.Classify(input.AsSpan(session.InputLength, session.InputLength));
        Assert.Equal(logits.AsSpan(10, 10).ToArray(), one.Logits);
        Assert.Equal(1.0, one.Probabilities.Sum(p => (double)p), 1e-5);
        Assert.Equal(Genres.Names[CpuModelTests.ArgMax(one.Logits)], one.Label);
        Assert.Equal(one.Label, one.Top(3)[0].Label);
    }

    /// <summary>A batch of images of mixed sizes: each is preprocessed as one image alone would be, in the given order.</summary>
    [Fact]
    public void ClassifyImages_OfMixedSizes_EqualsPreprocessingEachThenOneRun()
    {
        var (path, _, _) = WriteModel();
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 2 });
        var preprocessor = new CudaGenre.Core.Imaging.ImagePreprocessor(session.Spec.ToPreprocessSettings());
        var images = new[] { (80, 50, 1UL), (80, 50, 2UL), (33, 71, 3UL), (80, 50, 4UL) }.Select(t => RandomImage(t.Item1, t.Item2, t.Item3)).ToArray();
        var inputs = images.SelectMany(i => preprocessor.Process(i)).ToArray();
        var expected = session.Run(inputs, images.Length);

        var logits = new float[images.Length * session.ClassCount];
        session.Run(images, logits);
        Assert.Equal(expected, logits);
        var classified = session.Classify(images);
        Assert.Equal(images.Length, classified.Length);
        for (var i = 0; i < images.Length; i++)
        {
            Assert.Equal(expected.AsSpan(i * 10, 10).ToArray(), classified[i].Logits);
            Assert.Equal(classified[i].Logits, session.Classify(images[i]).Logits);
        }
    }

    [Fact]
    public void ImageBatches_WithNoImage_ANullImage_OrWrongLogits_GetClearErrors()
    {
        var (path, _, _) = WriteModel();
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });
        var image = RandomImage(20, 10, 5);
        Assert.Contains("no images", Assert.Throws<ArgumentException>(() => session.Classify(Array.Empty<CudaGenre.Core.Imaging.RgbImage>())).Message, StringComparison.Ordinal);
        Assert.Contains("image 1 is null", Assert.Throws<ArgumentException>(() => session.Classify([image, null!])).Message, StringComparison.Ordinal);
        Assert.Contains("2 images produce 2 × 10", Assert.Throws<ArgumentException>(() => session.Run([image, image], new float[10])).Message, StringComparison.Ordinal);
    }

    private static CudaGenre.Core.Imaging.RgbImage RandomImage(int width, int height, ulong seed)
    {
        var random = new SeededRandom(seed);
        return new(width, height, [.. Enumerable.Range(0, width * height * 3).Select(_ => (byte)random.NextInt(256))]);
    }

    [Fact]
    public void AOneChannelModel_Opens_AndRuns_ButSaysWhyItCannotClassifyAnRgbImage()
    {
        var spec = ModelSpec.Default(Architecture.Cnn, ClassifierHead.Linear) with { InputChannels = 1, InputHeight = 20, InputWidth = 24, Mean = [0.5f], Std = [0.25f] };
        var path = Path.Combine(_folder, "mono.safetensors");
        var weights = RandomWeights.WriteModel(path, spec, seed: 9);
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });
        var input = Reference.Random(2 * session.InputLength, 10);
        Assert.True(CpuModelTests.RelativeL2(session.Run(input, 2), GraphReference.Run(ModelGraph.Build(spec), weights, input, 2)) < 1e-5);
        var e = Assert.Throws<InvalidOperationException>(() => session.Classify(new CudaGenre.Core.Imaging.RgbImage(24, 20)));
        Assert.Contains("takes 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_AllocatesNothing_AfterWarmUp()
    {
        var (path, _, _) = WriteModel();
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 2 });
        var input = Reference.Random(2 * session.InputLength, 7);
        var logits = new float[2 * session.ClassCount];
        for (var i = 0; i < 5; i++)
        {
            session.Run(input, 2, logits); // warm-up: the plan, tiered JIT
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
        {
            session.Run(input, 2, logits);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ConcurrentCallers_GetTheSameLogitsAsSequentialOnes()
    {
        var (path, _, _) = WriteModel();
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });
        var inputs = Enumerable.Range(0, 8).Select(i => Reference.Random(session.InputLength, 100 + (ulong)i)).ToArray();
        var sequential = inputs.Select(x => session.Run(x, 1)).ToArray();
        var concurrent = new float[inputs.Length][];
        Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => concurrent[i] = session.Run(inputs[i], 1));
        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(sequential[i], concurrent[i]);
        }
    }

    [Fact]
    public void BadInputs_GetClearErrors()
    {
        var (path, _, _) = WriteModel();
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });
        var input = Reference.Random(session.InputLength, 8);

        var shape = Assert.Throws<ArgumentException>(() => session.Run(input.AsSpan(1), 1));
        Assert.Contains("1 × 3×64×64 = 12288", shape.Message, StringComparison.Ordinal);

        input[5000] = float.NaN;
        var nan = Assert.Throws<ArgumentException>(() => session.Run(input, 1));
        Assert.Contains("item 0 has a non-finite value (NaN) at index 5000", nan.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => session.Run(new float[session.InputLength], 1, new float[3]));
        Assert.Throws<NotSupportedException>(() => InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Precision = Precision.Fp16 }));
    }

    /// <summary>The CPU column of <see cref="PrecisionTraits"/> is what the CPU backend does: it opens in, and reports, exactly those precisions.</summary>
    [Theory]
    [InlineData(Precision.Fp32)]
    [InlineData(Precision.Tf32)]
    [InlineData(Precision.Fp16)]
    [InlineData(Precision.Bf16)]
    [InlineData(Precision.Int8)]
    [InlineData(Precision.Int16)]
    public void CpuBackend_OpensInThePrecisionsItsTraitsSay(Precision precision)
    {
        var (path, _, _) = WriteModel();
        var options = new SessionOptions { Backend = Backend.Cpu, Precision = precision, Threads = 1 };
        if (!precision.RunsOnCpu || (precision == Precision.Bf16 && Bf16Support.MissingReason is not null))
        {
            var error = Assert.Throws<NotSupportedException>(() => InferenceSession.Open(path, options));
            Assert.Contains(precision.ToString(), error.Message, StringComparison.Ordinal);
            return;
        }
        using var session = InferenceSession.Open(path, options);
        Assert.Equal(precision, session.Precision);
    }

    [Fact]
    public void TruncatedForeignOrWrongDTypeFiles_NameTheFileAndTheProblem()
    {
        var (path, graph, weights) = WriteModel();
        var bytes = File.ReadAllBytes(path);

        var truncated = Path.Combine(_folder, "truncated.safetensors");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<DataFileException>(() => InferenceSession.Open(truncated));
        Assert.Contains("truncated.safetensors", e.Message, StringComparison.Ordinal);

        var foreign = Path.Combine(_folder, "foreign.safetensors");
        var plain = new SafetensorsWriter().Add("conv1.weight", new TensorShape(2, 2), [1f, 2f, 3f, 4f]);
        plain.Save(foreign);
        Assert.Contains("not a CudaGenre model file", Assert.Throws<DataFileException>(() => InferenceSession.Open(foreign)).Message, StringComparison.Ordinal);

        // fc.weight stored as I32: the check names the tensor and both dtypes.
        var writer = new SafetensorsWriter();
        foreach (var entry in graph.StateDict)
        {
            if (entry.Role == StateRole.NumBatchesTracked)
            {
                writer.Add(entry.Name, TensorShape.Scalar, [1L]);
            }
            else if (entry.Name == "fc.weight")
            {
                writer.Add(entry.Name, entry.Shape, new int[entry.Shape.ElementCount]);
            }
            else
            {
                writer.Add(entry.Name, entry.Shape, weights[entry.Name]);
            }
        }
        writer.Metadata[ModelFile.FormatKey] = ModelFile.FormatTag;
        writer.Metadata[ModelFile.SpecKey] = graph.Spec.ToJson();
        var wrongType = Path.Combine(_folder, "wrongtype.safetensors");
        writer.Save(wrongType);
        var dtype = Assert.Throws<DataFileException>(() => InferenceSession.Open(wrongType));
        Assert.Contains("fc.weight", dtype.Message, StringComparison.Ordinal);
    }
}
