using CudaGenre.Core;
using CudaGenre.Core.Models;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Tests;

/// <summary>Issue #15: sizes a caller or a model file asks for are checked, in 64 bits, before anything is allocated.</summary>
public sealed class LimitsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cudagenre-limits-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string WriteCnn(int height, int width, string name = "cnn.safetensors", ulong seed = 3)
    {
        var spec = ModelSpec.Default(Architecture.Cnn, ClassifierHead.Linear) with { InputHeight = height, InputWidth = width };
        var path = Path.Combine(_folder, name);
        RandomWeights.WriteModel(path, spec, seed);
        return path;
    }

    [Fact]
    public void ABatchWhoseCpuArenaIsLargerThanAnArray_IsRefused_NotWrappedToASmallArray()
    {
        var path = WriteCnn(24, 32);
        var file = ModelFile.Read(path);
        var fused = GraphOptimizer.Optimize(file.Graph, file.Weights.ToSingleArray);
        long Arena(int batch) => ArenaPlan.ForGraph(fused, fused.InferShapes(batch)).Plan.Length;
        // The smallest batch whose arena passes 2^32 floats: cast to int, its length wrapped to a small positive array.
        int lo = 1, hi = 1 << 24;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            (lo, hi) = Arena(mid) > (1L << 32) ? (lo, mid) : (mid + 1, hi);
        }
        var batch = lo;
        Assert.InRange(Arena(batch), (1L << 32) + 1, (1L << 32) + int.MaxValue);
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 2, Limits = new InputLimits { MaxBatchSize = int.MaxValue } });
        var before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => session.DescribePlan(batch));

        Assert.Contains($"a batch of {batch} needs a CPU activation arena of {Arena(batch)} floats", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20, "memory was allocated for the refused batch");
        // A batch the arena can hold still runs, and matches batch 1 item by item.
        var input = Reference.Random(3 * session.InputLength, 17);
        var logits = session.Run(input, 3);
        Assert.Equal(session.Run(input.AsSpan(session.InputLength, session.InputLength), 1), logits.AsSpan(session.ClassCount, session.ClassCount).ToArray());
    }

    [Theory]
    [InlineData(100_000, 1_000)]   // 3×100000×1000 = 3·10^8 floats per item
    [InlineData(65_536, 65_536)]   // 3×65536×65536 does not fit in an int: it used to wrap
    public void AModelWithAVeryLargeInput_IsRefusedAtOpen_NamingFileSizeAndLimit(int height, int width)
    {
        var path = WriteCnn(height, width, $"tall-{height}.safetensors", seed: (ulong)height);

        var e = Assert.Throws<DataFileException>(() => InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 1 }));

        Assert.Equal(path, e.FilePath);
        Assert.Contains($"the model's input is 3×{height}×{width} = {3L * height * width} floats per item, over the limit of 67108864 (InputLimits.MaxModelInputLength)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchSizeAndThreads_OverTheirLimits_AreClearErrors_BeforeAnyPlan()
    {
        var path = WriteCnn(24, 32, seed: 11);
        var threads = Assert.Throws<ArgumentOutOfRangeException>(() => InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 20_000 }));
        Assert.Contains("Threads must be between 1 and 256 (InputLimits.MaxThreads); got 20000", threads.Message, StringComparison.Ordinal);

        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 1, Limits = new InputLimits { MaxBatchSize = 4 } });
        foreach (var call in new Action[]
        {
            () => session.Run(new float[5 * session.InputLength], 5),
            () => session.WarmUp(5),
            () => session.DescribePlan(5),
            () => session.Run(new float[5 * session.InputLength], 5, new float[5 * session.ClassCount]),
        })
        {
            Assert.Contains("batch size 5 is over the limit of 4 (InputLimits.MaxBatchSize)", Assert.Throws<ArgumentOutOfRangeException>(call).Message, StringComparison.Ordinal);
        }
        var input = Reference.Random(4 * session.InputLength, 12);
        Assert.Equal(4 * session.ClassCount, session.Run(input, 4).Length);
        Assert.Throws<ArgumentException>(() => InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Limits = new InputLimits { MaxBatchSize = 0 } }));
    }

    [Fact]
    public void ABatchOfImagesWhoseInputsDoNotFitAnArray_IsAClearError_NotAnOverflow()
    {
        // 716 images × 3×1000×1000 floats = 2,148,000,000: as an int product it wrapped negative (OverflowException, exit 2).
        var path = WriteCnn(1000, 1000, "wide.safetensors", seed: 12);
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });
        var image = new Core.Imaging.RgbImage(30, 20);
        new SeededRandom(13).NextBytes(image.Pixels);
        var images = Enumerable.Repeat(image, 716).ToArray();

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => session.Classify(images));

        Assert.Contains("the inputs of 716 images (floats) is 2148000000", e.Message, StringComparison.Ordinal);
    }
}
