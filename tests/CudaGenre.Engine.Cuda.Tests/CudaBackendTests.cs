using CudaGenre.Core;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Models;
using CudaGenre.Cuda;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cuda.Tests;

/// <summary>
/// The CUDA backend against the CPU backend (itself held to TorchSharp within 1e-4 in CudaGenre.Engine.Tests), on
/// seeded random weights with random BatchNorm statistics and random inputs. Where there is no GPU (here, CI) the
/// tests that need one are skipped with the reason, and fail instead under CUDAGENRE_REQUIRE_GPU=1
/// (<c>tools/gpu-check.sh</c>), so a GPU machine cannot pass by skipping. The others check what a machine
/// without a GPU must get: clear errors and the CPU fallback.
/// </summary>
[Collection(nameof(GpuUsers))]
public sealed class CudaBackendTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cudagenre-cuda-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, string> Variants => ModelChecks.Variants;

    [Fact]
    public void Auto_FallsBackToTheCpu_SayingWhy_WhenCudaIsNotUsable()
    {
        if (Gpu.IsUsable(out _))
            Assert.Skip("this machine has a usable GPU: Auto picks CUDA here (checked by the GPU tests)");
        var path = WriteRandom("cnn", "linear", (24, 32));
        var lines = new List<string>();
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Auto, Precision = Precision.Fp16, Log = lines.Add });
        Assert.Equal((Backend.Cpu, Precision.Fp32), (session.Backend, session.Precision));
        var line = Assert.Single(lines, l => l.StartsWith("backend: CPU (CUDA is not usable: ", StringComparison.Ordinal));
        Assert.True(line.Length > 45, $"no reason given: {line}");
        Assert.Contains("the CPU computes FP32, not Fp16", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_WithoutAUsableGpu_IsAClearError()
    {
        if (Gpu.IsUsable(out _))
            Assert.Skip("this machine has a usable GPU");
        var path = WriteRandom("cnn", "linear", (24, 32));
        var e = Record.Exception(() => InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda }));
        Assert.True(e is CudaLibraryNotFoundException or CudaException, $"{e?.GetType().Name}: {e?.Message}");
        Assert.Contains("cuda", e!.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ConvolutionFilters_AreReorderedToKrsc()
    {
        // 2 outputs, 3 inputs, 2×2 kernel: value = the PyTorch index, so each KRSC position names its source.
        var node = new Conv2dNode("c", "x", "y", 3, 2, new Size2d(2, 2), Size2d.Square(1), Size2d.Square(0), 1, false);
        var weight = Enumerable.Range(0, 2 * 3 * 2 * 2).Select(i => (float)i).ToArray();
        var krsc = Ops.Convolution.ToKrsc(new FusedConv("c", ["x"], "y", node, weight, new float[2], false, false));
        for (var o = 0; o < 2; o++)
            for (var ky = 0; ky < 2; ky++)
                for (var kx = 0; kx < 2; kx++)
                    for (var i = 0; i < 3; i++)
                        Assert.Equal(((o * 3 + i) * 2 + ky) * 2 + kx, krsc[((o * 2 + ky) * 2 + kx) * 3 + i]);
    }

    /// <summary>Every variant at its real input size, FP32, batch 1 and 3: the CPU backend's logits within 1e-4, same top-1.</summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public void Fp32_MatchesTheCpuBackend(string arch, string head)
    {
        Gpu.Require();
        var path = WriteRandom(arch, head, Gpu.InputSize(arch, null));
        using var cuda = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda });
        using var cpu = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu });
        Assert.Equal(Backend.Cuda, cuda.Backend);
        foreach (var batch in new[] { 1, 3 })
        {
            var input = Inputs(batch * cpu.InputLength, seed: (ulong)(30 + batch));
            var expected = cpu.Run(input, batch);
            var actual = cuda.Run(input, batch);
            var error = ModelChecks.RelativeL2(actual, expected);
            Assert.True(error <= 1e-4, $"{arch}/{head} batch {batch}: CUDA vs CPU relative L2 {error:E2}");
            for (var n = 0; n < batch; n++)
                Assert.Equal(Classification.ArgMax(expected.AsSpan(n * 10, 10)), Classification.ArgMax(actual.AsSpan(n * 10, 10)));
        }
    }

    [Fact]
    public void GraphReplay_GivesTheEagerLogits_AndRunAllocatesNothing()
    {
        Gpu.Require();
        var path = WriteRandom("resnet18", "dense", Gpu.InputSize("resnet18", (96, 96)));
        using var eager = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda, UseCudaGraphs = false });
        using var graphs = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda, UseCudaGraphs = true });
        var input = Inputs(3 * eager.InputLength, 41);
        var expected = eager.Run(input, 3);
        var first = graphs.Run(input, 3);   // eager, then captured
        var replayed = graphs.Run(input, 3);
        Assert.Equal(expected, first);
        Assert.Equal(expected, replayed);

        var logits = new float[3 * graphs.ClassCount];
        graphs.Run(input, 3, logits);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 5; i++)
            graphs.Run(input, 3, logits);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void EveryDepthwiseStep_IsMeasuredAgainstCudnn_AndEverySeparablePairAgainstTheFusedKernel()
    {
        Gpu.Require();
        var size = Gpu.InputSize("xception", (149, 149))!.Value;
        var path = WriteRandom("xception", "linear", size);
        WithCache(Path.Combine(_folder, "measure-cache"), () =>
        {
            using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda });
            session.Run(Inputs(2 * session.InputLength, 70), 2); // the first run captures the graph
            var lines = session.DescribePlan(2);
            var depthwiseSteps = ModelGraph.Build(ModelSpec.Default(Architecture.Xception) with { InputHeight = size.Height, InputWidth = size.Width })
                .Nodes.OfType<Conv2dNode>().Count(c => c.IsDepthwise);
            var choices = lines.Where(l => l.StartsWith("depthwise ", StringComparison.Ordinal)).ToList();
            var pairs = lines.Where(l => l.StartsWith("separable ", StringComparison.Ordinal)).ToList();
            // Every depthwise step (the halves of the pairs that run as two steps included) and every pair whose
            // output the arena kept apart from its input was timed, unless an earlier step of this plan with the
            // same shape was: Xception's middle flow repeats one shape 24 times, measured once.
            Assert.Equal(depthwiseSteps, pairs.Count);
            Assert.Equal(depthwiseSteps, choices.Count);
            var timedChoices = choices.Where(l => !l.Contains(": not timed", StringComparison.Ordinal)).ToList();
            var timedPairs = pairs.Where(l => !l.Contains(": not timed", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(timedChoices);
            Assert.NotEmpty(timedPairs);
            Assert.All(timedChoices, l => Assert.Matches(@"depthwise3x3_nhwc_f32 \d+\.\d+ ms, depthwise3x3w4_nhwc_f32 \d+\.\d+ ms, depthwise3x3v4_nhwc_f32 \d+\.\d+ ms, depthwise3x3tile_nhwc_f32 \d+\.\d+ ms", l));
            Assert.All(timedPairs, l => Assert.Matches(@"depthwise, then 1×1 convolution \d+\.\d+ ms, separable3x3_nhwc_f32 \d+\.\d+ ms", l));
            Assert.All(choices.Except(timedChoices), l => Assert.Contains("measured in an earlier run", l, StringComparison.Ordinal));
            Assert.All(pairs.Except(timedPairs), l => Assert.Matches("measured in an earlier run|output over input", l));
            // What was timed once per shape: one timing per distinct shape and stride.
            static string Shape(string line) => line[(line.IndexOf(' ', line.IndexOf(' ') + 1) + 1)..line.IndexOf(':')];
            Assert.Equal(choices.Select(Shape).Distinct().Count(), timedChoices.Select(Shape).Distinct().Count());
            Assert.Contains(lines, l => l.StartsWith("CUDA graph: captured", StringComparison.Ordinal));
        });
    }

    /// <summary>
    /// The fused separable kernel inside Xception, forced on every pair, against the two-step path forced everywhere:
    /// the same depthwise values (bit for bit by definition), so only the 1×1 sums' order differs.
    /// </summary>
    [Theory]
    [InlineData(Precision.Fp32, 1e-5)]
    [InlineData(Precision.Fp16, 2e-2)] // a first estimate: FP16 roundings that flip with the sum order, over 34 pairs
    public void FusedSeparableKernel_GivesTheTwoStepLogits(Precision precision, double tolerance)
    {
        Gpu.Require();
        var path = WriteRandom("xception", "dense", Gpu.InputSize("xception", (149, 149)));
        var lines = new List<string>();
        using var fused = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda, Precision = precision, Cuda = new CudaOptions { Separable = SeparablePath.Fused }, Log = lines.Add });
        using var split = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda, Precision = precision, Cuda = new CudaOptions { Separable = SeparablePath.Split } });
        var input = Inputs(3 * fused.InputLength, 90);
        var expected = split.Run(input, 3);
        var actual = fused.Run(input, 3);
        var error = ModelChecks.RelativeL2(actual, expected);
        var plan = fused.DescribePlan(3);
        Assert.True(error <= tolerance, $"fused vs two steps, {precision}: relative L2 {error:E2}; {string.Join("; ", lines)}");
        Assert.Contains(plan, l => l.Contains("separable3x3_nhwc_", StringComparison.Ordinal) && l.Contains(" → separable3x3", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, l => l.StartsWith("separable ", StringComparison.Ordinal) && l.Contains("depthwise, then", StringComparison.Ordinal) && !l.Contains("output over input", StringComparison.Ordinal));
    }

    /// <summary>
    /// Each depthwise candidate the plan measures (our four kernels and cuDNN's grouped convolution), forced on every
    /// depthwise step of Xception in turn: the CPU backend's logits, whichever of them wins on a given GPU.
    /// </summary>
    [Fact]
    public void EveryDepthwiseCandidate_ForcedInTurn_GivesTheCpuLogits()
    {
        Gpu.Require();
        var path = WriteRandom("xception", "linear", Gpu.InputSize("xception", (149, 149)));
        using var cpu = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu });
        var input = Inputs(3 * cpu.InputLength, 95);
        var expected = cpu.Run(input, 3);
        foreach (var candidate in new[] { "depthwise3x3_nhwc_f32", "depthwise3x3w4_nhwc_f32", "depthwise3x3v4_nhwc_f32", "depthwise3x3tile_nhwc_f32", Ops.Depthwise.CudnnCandidate })
        {
            using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda, Cuda = new CudaOptions { Separable = SeparablePath.Split, Depthwise = candidate, UseCudaGraphs = false } });
            var actual = session.Run(input, 3);
            var error = ModelChecks.RelativeL2(actual, expected);
            Assert.True(error <= 1e-4, $"depthwise forced to {candidate}: CUDA vs CPU relative L2 {error:E2}");
            for (var n = 0; n < 3; n++)
                Assert.Equal(Classification.ArgMax(expected.AsSpan(n * 10, 10)), Classification.ArgMax(actual.AsSpan(n * 10, 10)));
            Assert.Contains(session.DescribePlan(3), l => l.StartsWith("depthwise ", StringComparison.Ordinal) && l.Contains($"→ {candidate} (", StringComparison.Ordinal) && l.Contains("forced", StringComparison.Ordinal));
        }
    }

    /// <summary>Timing a candidate stays within its budget: 3 rounds of 10 calls for µs kernels, fewer for slow ones, 1 × 1 at least.</summary>
    [Theory]
    [InlineData(0.01, 3, 10)]  // a 10 µs kernel: the full 30 calls (0.3 ms)
    [InlineData(0.0, 3, 10)]   // too quick for the events to see
    [InlineData(0.1, 3, 10)]   // 30 × 0.1 ms = 3 ms
    [InlineData(0.5, 3, 3)]    // 9 × 0.5 ms = 4.5 ms
    [InlineData(1.6, 3, 1)]    // 3 × 1.6 ms = 4.8 ms
    [InlineData(2.0, 1, 1)]    // one more call only
    [InlineData(250.0, 1, 1)]  // the emulated device: one more call only
    public void CandidateTiming_FitsItsBudget(double callMs, int rounds, int calls)
    {
        Assert.Equal((rounds, calls), Autotuner.TimingRounds(callMs, budgetMs: 5));
        Assert.True(rounds * calls * callMs <= 5 || (rounds, calls) == (1, 1));
    }

    [Fact]
    public void EveryXceptionDepthwiseStep_IsFollowedByItsPointwise_AndNothingElseIsPaired()
    {
        foreach (var arch in new[] { Architecture.Xception, Architecture.ResNet50, Architecture.Cnn })
        {
            var graph = ModelGraph.Build(ModelSpec.Default(arch) with { InputHeight = 71, InputWidth = 71 });
            var weights = RandomWeights.Create(graph, seed: 3);
            var fused = GraphOptimizer.Optimize(graph, name => weights[name]);
            var depthwise = Enumerable.Range(0, fused.Steps.Count).Where(i => fused.Steps[i] is FusedConv { Conv.IsDepthwise: true }).ToList();
            var pairs = depthwise.Select(i => (Depthwise: (FusedConv)fused.Steps[i], Pointwise: Ops.Separable.PointwiseAfter(fused, i))).ToList();
            Assert.All(pairs, p =>
            {
                Assert.NotNull(p.Pointwise);
                Assert.Equal(p.Depthwise.Output, p.Pointwise.Input);
                Assert.Equal((1, 1, 1), (p.Pointwise.Conv.Kernel.Height, p.Pointwise.Conv.Kernel.Width, p.Pointwise.Conv.Groups));
            });
            Assert.Equal(arch == Architecture.Xception ? 34 : 0, pairs.Count);
        }
    }

    [Fact]
    public void ASecondSession_ReusesTheMeasuredChoices_AndGivesTheSameLogits()
    {
        Gpu.Require();
        var cache = Path.Combine(_folder, "cache");
        WithCache(cache, () =>
        {
            var path = WriteRandom("xception", "dense", (71, 71));
            var input = Inputs(2 * 3 * 71 * 71, 80);
            float[] first, second;
            IReadOnlyList<string> plan;
            using (var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda }))
                first = session.Run(input, 2);
            Assert.Single(Directory.GetFiles(cache, "choices-*.json"));
            using (var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda }))
            {
                second = session.Run(input, 2);
                plan = session.DescribePlan(2);
            }
            Assert.Equal(first, second);
            Assert.All(plan.Where(l => l.StartsWith("depthwise ", StringComparison.Ordinal) || l.StartsWith("separable ", StringComparison.Ordinal)),
                l => Assert.Matches("earlier run|output over input", l));
        });
    }

    /// <summary>Runs <paramref name="action"/> with the kernel and algorithm-choice caches in <paramref name="folder"/>.</summary>
    private static void WithCache(string folder, Action action)
    {
        var previous = Environment.GetEnvironmentVariable("CUDAGENRE_CACHE_DIR");
        Environment.SetEnvironmentVariable("CUDAGENRE_CACHE_DIR", folder);
        try
        {
            action();
        }
        finally
        {
            Environment.SetEnvironmentVariable("CUDAGENRE_CACHE_DIR", previous);
        }
    }

    /// <summary>Classify(image) preprocesses on the GPU; its logits must be those of the CPU-preprocessed input, bit for bit.</summary>
    [Fact]
    public void ClassifyImage_PreprocessesOnTheGpu_ExactlyAsTheCpuDoes()
    {
        Gpu.Require();
        var path = WriteRandom("resnet18", "linear", Gpu.InputSize("resnet18", (112, 112)));
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda });
        var preprocessor = new ImagePreprocessor(session.Spec.ToPreprocessSettings());
        foreach (var (width, height, seed) in new[] { (432, 288, 1UL), (97, 61, 2UL), (432, 288, 3UL) })
        {
            var random = new SeededRandom(seed);
            var image = new RgbImage(width, height, [.. Enumerable.Range(0, width * height * 3).Select(_ => (byte)random.NextInt(256))]);
            var expected = session.Run(preprocessor.Process(image), 1);
            Assert.Equal(expected, session.Classify(image).Logits);
        }
        // A batch: runs of same-sized images are preprocessed by one launch each, in place in the batch.
        var images = new[] { (432, 288, 4UL), (432, 288, 5UL), (97, 61, 6UL), (432, 288, 7UL) }.Select(t =>
        {
            var random = new SeededRandom(t.Item3);
            return new RgbImage(t.Item1, t.Item2, [.. Enumerable.Range(0, t.Item1 * t.Item2 * 3).Select(_ => (byte)random.NextInt(256))]);
        }).ToArray();
        var batch = session.Run(images.SelectMany(i => preprocessor.Process(i)).ToArray(), images.Length);
        var logits = new float[batch.Length];
        session.Run(images, logits);
        Assert.Equal(batch, logits);
    }

    [Fact]
    public void ConcurrentCallers_GetTheSequentialResults()
    {
        Gpu.Require();
        var path = WriteRandom("xception", "linear", (71, 71));
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda });
        var inputs = Enumerable.Range(0, 8).Select(i => Inputs(2 * session.InputLength, (ulong)(50 + i))).ToArray();
        var sequential = inputs.Select(x => session.Run(x, 2)).ToArray();
        var concurrent = new float[inputs.Length][];
        Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            for (var repeat = 0; repeat < 3; repeat++)
                concurrent[i] = session.Run(inputs[i], 2);
        });
        for (var i = 0; i < inputs.Length; i++)
            Assert.Equal(sequential[i], concurrent[i]);
    }

    /// <summary>Two sessions (two models, two precisions) on one GPU, driven from several threads at once: each gives its sequential results.</summary>
    [Fact]
    public void TwoSessionsOnOneGpu_RunConcurrently_AndEachGivesItsSequentialResults()
    {
        Gpu.Require();
        using var first = InferenceSession.Open(WriteRandom("resnet18", "linear", Gpu.InputSize("resnet18", (96, 96))), new SessionOptions { Backend = Backend.Cuda });
        using var second = InferenceSession.Open(WriteRandom("xception", "dense", (71, 71)), new SessionOptions { Backend = Backend.Cuda, Precision = Precision.Fp16 });
        var sessions = new[] { first, second };
        var inputs = Enumerable.Range(0, 8).Select(i => Inputs(2 * sessions[i % 2].InputLength, (ulong)(110 + i))).ToArray();
        var sequential = inputs.Select((x, i) => sessions[i % 2].Run(x, 2)).ToArray();
        var concurrent = new float[inputs.Length][];
        Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            for (var repeat = 0; repeat < 4; repeat++)
                concurrent[i] = sessions[i % 2].Run(inputs[i], 2);
        });
        for (var i = 0; i < inputs.Length; i++)
            Assert.Equal(sequential[i], concurrent[i]);
    }

    /// <summary>
    /// TF32 math, and FP16/BF16 storage (FP32 sums): close to FP32, never NaN, same top-1 on most inputs, within
    /// the precision's <see cref="PrecisionTraits"/> tolerance.
    /// </summary>
    [Theory]
    [InlineData(Precision.Tf32)]
    [InlineData(Precision.Fp16)]
    [InlineData(Precision.Bf16)]
    public void ReducedPrecision_StaysCloseToFp32_WithoutNaN(Precision precision)
    {
        Gpu.Require();
        var tolerance = precision.LogitTolerance;
        foreach (var (arch, size) in new[] { ("resnet50", ((int, int)?)null), ("xception", (149, 149)), ("cnn", null) })
        {
            var path = WriteRandom(arch, "dense", Gpu.InputSize(arch, size));
            using var reduced = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda, Precision = precision });
            using var cpu = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu });
            Assert.Equal(precision, reduced.Precision);
            var batch = Gpu.IsEmulated ? 3 : 16;
            var input = Inputs(batch * cpu.InputLength, 60);
            var expected = cpu.Run(input, batch);
            var actual = reduced.Run(input, batch);
            Assert.All(actual, v => Assert.True(float.IsFinite(v), $"{arch} {precision}: a logit is {v}"));
            var error = ModelChecks.RelativeL2(actual, expected);
            var agree = Enumerable.Range(0, batch).Count(n => Classification.ArgMax(actual.AsSpan(n * 10, 10)) == Classification.ArgMax(expected.AsSpan(n * 10, 10)));
            Assert.True(error < tolerance, $"{arch} {precision} vs FP32: relative L2 {error:E2} (limit {tolerance:E0}), same top-1 {agree}/{batch}");
            Assert.True(agree >= batch - 2, $"{arch} {precision} vs FP32: same top-1 only {agree}/{batch} (relative L2 {error:E2})");
        }
    }

    private static float[] Inputs(int length, ulong seed)
    {
        var random = new SeededRandom(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 4 - 2))];
    }

    /// <summary>A model file with seeded random weights (random BatchNorm statistics too).</summary>
    private string WriteRandom(string arch, string head, (int Height, int Width)? size)
    {
        Assert.True(ArchitectureNames.TryParseArchitecture(arch, out var architecture));
        Assert.True(ArchitectureNames.TryParseHead(head, out var classifier));
        var spec = ModelSpec.Default(architecture, classifier);
        if (size is { } s)
            spec = spec with { InputHeight = s.Height, InputWidth = s.Width };
        var path = Path.Combine(_folder, $"{arch}-{head}-{spec.InputHeight}x{spec.InputWidth}.safetensors");
        RandomWeights.WriteModel(path, spec, seed: 17);
        return path;
    }
}

/// <summary>GPU tests run one class at a time: a CUDA graph capture must not overlap other work, and timings must not interleave.</summary>
[CollectionDefinition(nameof(GpuUsers), DisableParallelization = true)]
public sealed class GpuUsers;
