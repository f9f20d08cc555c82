using CudaGenre.Core.Models;
using CudaGenre.Engine.Cpu;

namespace CudaGenre.Engine.Tests.Cpu;

/// <summary>
/// The CPU backend's integer modes, INT8 (per-column 8-bit weights, per-row 7-bit activations with a zero point,
/// VPMADDUBSW or VPDPBUSD) and INT16 (10 bits each, symmetric, VPMADDWD or VPDPWSSD): whole GEMMs bit for bit against a
/// scalar reference written from the documented arithmetic (int64 sums, then the epilogue), on both instruction sets, their error against FP32, non-finite and too-deep
/// inputs, whole models against FP32, and the session and CUDA behaviour.
/// </summary>
public sealed unsafe class IntegerGemmTests : IDisposable
{
    private readonly CpuWorkers _cpu = new(3);

    public void Dispose() => _cpu.Dispose();

    private static readonly (int M, int N, int K)[] ShapeList =
    [
        (1, 1, 1),
        (4, 16, 4),
        (7, 23, 5),          // 3 rows left after a group, 7 columns in the last panel, K not a multiple of 4 (nor of 2)
        (73, 40, 37),        // one row past a row block (72), K below one vector of 32
        (150, 64, 147),      // K = 7·7·3
        (8, 48, 9),          // three full panels: on the 512-bit kernel a pair and a lone full panel
        (30, 200, 728),      // several column tiles, Xception's depth
        (9, 17, 4608),       // ResNet50's deepest 3×3 (row blocks of 20 or 8)
    ];

    public static TheoryData<Precision, string, int, int, int> Shapes
    {
        get
        {
            var data = new TheoryData<Precision, string, int, int, int>();
            foreach (var kind in new[] { Precision.Int8, Precision.Int16 })
            {
                foreach (var dot in new[] { "avx512", "vnni", "avx2" })
                {
                    foreach (var (m, n, k) in ShapeList)
                        data.Add(kind, dot, m, n, k);
                }
            }
            return data;
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> with the integer GEMMs planned on kernel <paramref name="dot"/> ("avx512", "vnni"
    /// or "avx2", asked for in this flow whatever the format prefers); skips where this CPU (or runtime) lacks it.
    /// </summary>
    internal static T OnDot<T>(string dot, Func<T> action)
    {
        var kernel = dot switch { "avx512" => IntegerKernel.Avx512, "vnni" => IntegerKernel.Vnni, _ => IntegerKernel.Avx2 };
        if (!IntegerGemm.Supports(kernel))
            Assert.Skip($"this CPU or runtime cannot run the {dot} integer kernel (AVX-VNNI: Zen 4, Alder Lake and later; AVX-512BW with 512-bit vectors on)");
        IntegerGemm.UseInThisFlow(kernel);
        try
        {
            Assert.Equal(kernel, IntegerGemm.Planned);
            return action();
        }
        finally
        {
            IntegerGemm.UseInThisFlow(null);
        }
    }

    /// <summary>Runs the GEMM of <paramref name="kind"/> on the test's workers through <paramref name="a"/>.</summary>
    private void Run<TSource>(CpuGemmKind kind, TSource a, float[] b, int k, int n, float* c, int ldc, GemmEpilogue epilogue)
        where TSource : struct, IGemmSource
    {
        if (kind == CpuGemmKind.Int8)
        {
            new IntegerGemmWork<TSource, Int8Format>(a, new IntegerPackedMatrix<Int8Format>(b, k, n), c, ldc, epilogue,
                new WorkerScratch(_cpu.Count, IntegerGemm.ScratchLength<Int8Format>(k)), _cpu.Count).Run(_cpu);
        }
        else
        {
            new IntegerGemmWork<TSource, Int16Format>(a, new IntegerPackedMatrix<Int16Format>(b, k, n), c, ldc, epilogue,
                new WorkerScratch(_cpu.Count, IntegerGemm.ScratchLength<Int16Format>(k)), _cpu.Count).Run(_cpu);
        }
    }

    /// <summary>
    /// Whole GEMMs (three workers) equal, bit for bit, the arithmetic the mode documents, computed here in scalar code with
    /// int64 sums: so a wrong quantization rule, layout, row or column offset, zero-point term or epilogue shows. The rows
    /// are made different on purpose: all positive, all negative, all zero, one large value among small ones.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gemm_EqualsTheDocumentedArithmetic_BitForBit_WithBiasResidualAndRelu(Precision precision, string dot, int m, int n, int k)
    {
        var kind = CpuPrecision.GemmKind(precision);
        var a = Rows(m, k, 1);
        var b = Reference.Random(k * n, 2);
        var bias = Reference.Random(n, 3);
        var residual = Reference.Random(m * n, 4);
        var c = new float[m * n];
        fixed (float* pa = a, pc = c, pBias = bias, pResidual = residual)
        {
            var epilogue = new GemmEpilogue { Bias = pBias, Residual = pResidual, ResidualStride = n, Relu = true };
            var source = new DenseSource(pa, m, k, k);
            var output = pc;
            OnDot(dot, () =>
            {
                Run(kind, source, b, k, n, output, n, epilogue);
                return 0;
            });
        }

        var expected = Documented(kind, a, b, m, k, n, bias, residual, relu: true);
        for (var i = 0; i < c.Length; i++)
            Assert.True(c[i].Equals(expected[i]), $"C[{i / n}, {i % n}] = {c[i]:R}, documented {expected[i]:R}");

        // And the method's own error against FP32: a few per cent at most (8 and 7 bits; INT16 a quarter of that), on the
        // rows without an outlier (one value 40× the others takes most of its row's steps; INT8 measured up to 8 % there).
        var exact = Reference.Gemm(a, b, m, k, n, bias, residual, relu: true);
        for (var r = 0; r < m && k > 1; r++)
        {
            if (r % 5 == 4)
                continue;
            var error = Reference.ScaledMaxError(c.AsSpan(r * n, n), exact.AsSpan(r * n, n));
            Assert.True(error < (kind == CpuGemmKind.Int8 ? 3e-2 : 8e-3), $"row {r}: error vs FP32 {error}");
        }
        if (m * n > 16)
            Assert.Contains(c, v => v == 0f); // ReLU clipped something
    }

    [Theory]
    [InlineData(Precision.Int8)]
    [InlineData(Precision.Int16)]
    public void Gemm_ThroughPatchSource_IntoStridedOutput_EqualsTheArithmeticOnTheExplicitIm2col_LeavingOtherColumnsAlone(Precision precision)
    {
        var kind = CpuPrecision.GemmKind(precision);
        var g = new ConvGeometry(2, 9, 7, 5, 3, 3, 1, 1); // K = 45, 126 output pixels, zero padding at the borders
        const int n = 24, ldc = 40;
        var x = Reference.Random(g.Batch * g.Height * g.Width * g.Channels, 5);
        var k = g.KernelHeight * g.KernelWidth * g.Channels;
        var b = Reference.Random(k * n, 6);
        var c = Enumerable.Repeat(7f, g.OutPixels * ldc).ToArray();
        var im2col = new float[g.OutPixels * k];
        fixed (float* px = x, pc = c, pi = im2col)
        {
            new PatchSource(px, g).Pack(0, g.OutPixels, 0, k, pi); // checked against explicit im2col in GemmTests
            Run(kind, new PatchSource(px, g), b, k, n, pc, ldc, default);
        }
        var expected = Documented(kind, im2col, b, g.OutPixels, k, n, null, null, relu: false);
        for (var i = 0; i < g.OutPixels; i++)
        {
            for (var j = 0; j < n; j++)
                Assert.True(c[i * ldc + j].Equals(expected[i * n + j]), $"C[{i}, {j}]");
            Assert.All(c.AsSpan(i * ldc + n, ldc - n).ToArray(), v => Assert.Equal(7f, v));
        }
    }

    /// <summary>A NaN or an infinity in a row of A makes that row's outputs NaN (as FP32 would), and only that row's; a non-finite weight its column's.</summary>
    [Theory]
    [InlineData(Precision.Int8)]
    [InlineData(Precision.Int16)]
    public void NonFiniteValues_GiveNaN_InTheirRowOrColumnOnly(Precision precision)
    {
        var kind = CpuPrecision.GemmKind(precision);
        const int m = 9, k = 40, n = 20;
        var a = Reference.Random(m * k, 7);
        a[2 * k + 5] = float.NaN;
        a[6 * k + 39] = float.PositiveInfinity;
        var b = Reference.Random(k * n, 8);
        b[3 * n + 17] = float.NegativeInfinity;
        var c = new float[m * n];
        fixed (float* pa = a, pc = c)
        {
            Run(kind, new DenseSource(pa, m, k, k), b, k, n, pc, n, default);
        }
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
                Assert.Equal(i is 2 or 6 || j == 17, float.IsNaN(c[i * n + j]));
        }
    }

    [Fact]
    public void ADepthPastTheInt32Bound_IsRefusedNamingIt()
    {
        var e = Assert.Throws<NotSupportedException>(() => new IntegerPackedMatrix<Int8Format>(new float[65537], 65537, 1));
        Assert.Contains("at most 65536", e.Message, StringComparison.Ordinal);
        Assert.Contains("65537 deep", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<NotSupportedException>(() => new IntegerPackedMatrix<Int16Format>(new float[8193], 8193, 1));
        Assert.Contains("at most 8192", e.Message, StringComparison.Ordinal);
        // A packed 8192 deep is fine: 8192 · 511 · 511 < 2^31.
        Assert.Equal(8192, new IntegerPackedMatrix<Int16Format>(new float[8192], 8192, 1).K);
    }

    public static TheoryData<Precision, string, string, int, int, int> Models => new()
    {
        { Precision.Int8, "cnn", "linear", 96, 128, 3 },
        { Precision.Int8, "resnet18", "dense", 48, 48, 2 },
        { Precision.Int8, "resnet50", "linear", 40, 40, 1 },
        { Precision.Int8, "xception", "dense", 71, 71, 1 },
        { Precision.Int16, "resnet50", "linear", 40, 40, 1 },
        { Precision.Int16, "xception", "dense", 71, 71, 1 },
    };

    /// <summary>
    /// Whole models, random weights: integer logits against the FP32 CPU backend's, within the precision's tolerance
    /// (<see cref="PrecisionTraits"/>: 1e-1 for INT8, 3e-2 for INT16) and above 1e-6 (integers were really used).
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void Models_AgreeWithFp32_WithinTheirError(Precision precision, string arch, string head, int height, int width, int batch)
    {
        var kind = CpuPrecision.GemmKind(precision);
        var (_, fp32) = CpuModelTests.RandomModelLogits(arch, head, height, width, batch, CpuGemmKind.Fp32);
        var (_, int8) = CpuModelTests.RandomModelLogits(arch, head, height, width, batch, kind);

        var error = ModelChecks.RelativeL2(int8, fp32);
        if (arch == "cnn")
        {
            // The CNN's convolutions are all Winograd 3×3s and a direct first layer, which INT8 leaves FP32: nothing changes.
            Assert.Equal(fp32, int8);
            return;
        }
        Assert.True(error < CpuPrecision.Of(kind).LogitTolerance && error > 1e-6, $"relative L2 error {error:E2} (above 1e-6: integers were really used)");
        Assert.All(int8, v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>
    /// Whole models give the same logits bit for bit on each kernel this CPU has — AVX-VNNI (VPDPBUSD/VPDPWSSD) and the
    /// 512-bit AVX-512BW chains — as on the AVX2 chains (the same int32 sums: INT8's 7-bit activations keep VPMADDUBSW
    /// from saturating).
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void Models_OnEveryIntegerKernel_EqualTheAvx2Chains_BitForBit(Precision precision, string arch, string head, int height, int width, int batch)
    {
        var kind = CpuPrecision.GemmKind(precision);
        var others = new[] { IntegerKernel.Vnni, IntegerKernel.Avx512 }.Where(IntegerGemm.Supports).ToList();
        if (others.Count == 0)
            Assert.Skip("this CPU has only the AVX2 integer kernel: nothing to compare it with");
        var avx2 = OnDot("avx2", () => CpuModelTests.RandomModelLogits(arch, head, height, width, batch, kind).Logits);
        foreach (var other in others)
        {
            var logits = OnDot(other == IntegerKernel.Vnni ? "vnni" : "avx512", () => CpuModelTests.RandomModelLogits(arch, head, height, width, batch, kind).Logits);
            Assert.True(avx2.Select(BitConverter.SingleToUInt32Bits).SequenceEqual(logits.Select(BitConverter.SingleToUInt32Bits)), $"{other} differs from AVX2");
        }
    }

    [Theory]
    [InlineData(Precision.Int8)]
    [InlineData(Precision.Int16)]
    public void Session_ComputesInIt_OnTheCpu_AndAutoWithoutCudaToo_AndCudaRefusesIt(Precision precision)
    {
        var folder = Directory.CreateTempSubdirectory("int8-session").FullName;
        try
        {
            var spec = ModelSpec.Default(Architecture.ResNet18, ClassifierHead.Linear) with { InputHeight = 32, InputWidth = 32 };
            var path = Path.Combine(folder, "model.safetensors");
            RandomWeights.WriteModel(path, spec, seed: 7);
            using var cpu = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Precision = precision, Threads = 2 });
            Assert.Equal((Backend.Cpu, precision), (cpu.Backend, cpu.Precision));
            var input = Reference.Random(2 * cpu.InputLength, 9);
            Assert.All(cpu.Run(input, 2), v => Assert.True(float.IsFinite(v)));

            var cuda = Assert.Throws<NotSupportedException>(() => InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cuda, Precision = precision }));
            Assert.Contains($"Precision.{precision} runs on the CPU backend only", cuda.Message, StringComparison.Ordinal);
            if (!Gpu.IsUsable(out _))
            {
                var lines = new List<string>();
                using var auto = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Auto, Precision = precision, Threads = 2, Log = lines.Add });
                Assert.Equal((Backend.Cpu, precision), (auto.Backend, auto.Precision));
                Assert.Contains(lines, l => l.Contains($"the CPU computes {precision}", StringComparison.Ordinal));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Random rows of different kinds: mixed sign, all positive (ReLU'd), all negative, all zero or on the rounding edge, one outlier.</summary>
    private static float[] Rows(int m, int k, ulong seed)
    {
        var a = Reference.Random(m * k, seed);
        for (var i = 0; i < m; i++)
        {
            var row = a.AsSpan(i * k, k);
            switch (i % 5)
            {
                case 1: foreach (ref var v in row) v = MathF.Abs(v); break;
                case 2: foreach (ref var v in row) v = -MathF.Abs(v) - 0.1f; break;
                case 3 when i != 3: row.Clear(); break;
                case 3 when k >= 2:
                    // The rounding edge: over [−1.5, 125.5] the zero point is round(1.5) = 2, so 125.5 lands on 127.5,
                    // which rounds to 128; the range is capped at 127.
                    foreach (ref var v in row) v = MathF.Abs(v) * 100f;
                    row[0] = -1.5f;
                    row[1] = 125.5f;
                    break;
                case 4: row[k / 2] = 40f; break;
            }
        }
        return a;
    }

    /// <summary>
    /// The modes' arithmetic as documented (IntegerGemm.cs), in scalar code. INT8: weights per column w → round(w / s) in
    /// [−127, 127] with s = max|w| / 127; each row of A over [min(a, 0), max(a, 0)] → q = round(fma(a, 127 / (max − min),
    /// zero)) in [0, 127], zero = round(−min · 127 / (max − min)), row scale (max − min) / 127. INT16: weights as INT8's with
    /// 511; rows symmetric, q = round(a · 511 / max|a|) in [−511, 511], zero 0, row scale max|a| / 511. Then
    /// C = float(Σ q·w − zero · Σ w) · (s · rowScale), + bias, + residual, ReLU as the FP32 GEMM's epilogue.
    /// </summary>
    private static float[] Documented(CpuGemmKind kind, float[] a, float[] b, int m, int k, int n, float[]? bias, float[]? residual, bool relu)
    {
        var int8 = kind == CpuGemmKind.Int8;
        var maxWeight = int8 ? 127 : 511;
        var wq = new int[k * n];
        var columnScale = new float[n];
        var columnSum = new long[n];
        for (var j = 0; j < n; j++)
        {
            var largest = 0f;
            for (var i = 0; i < k; i++)
                largest = MathF.Max(largest, MathF.Abs(b[i * n + j]));
            columnScale[j] = largest / maxWeight;
            for (var i = 0; i < k; i++)
            {
                wq[i * n + j] = columnScale[j] == 0 ? 0 : Math.Clamp((int)MathF.Round(b[i * n + j] / columnScale[j]), -maxWeight, maxWeight);
                columnSum[j] += wq[i * n + j];
            }
        }
        var c = new float[m * n];
        var q = new int[k];
        for (var r = 0; r < m; r++)
        {
            float lo = 0, hi = 0;
            for (var i = 0; i < k; i++)
            {
                lo = MathF.Min(lo, a[r * k + i]);
                hi = MathF.Max(hi, a[r * k + i]);
            }
            float rowScale = 0;
            var zero = 0;
            Array.Clear(q);
            if (int8 && hi - lo > 0)
            {
                var inverse = 127f / (hi - lo);
                rowScale = (hi - lo) / 127f;
                zero = Math.Clamp((int)MathF.Round(-lo * inverse), 0, 127);
                for (var i = 0; i < k; i++)
                    q[i] = Math.Clamp((int)MathF.Round(MathF.FusedMultiplyAdd(a[r * k + i], inverse, zero)), 0, 127);
            }
            var largest = MathF.Max(-lo, hi);
            if (!int8 && largest > 0)
            {
                var inverse = 511f / largest;
                rowScale = largest / 511f;
                for (var i = 0; i < k; i++)
                    q[i] = Math.Clamp((int)MathF.Round(a[r * k + i] * inverse), -511, 511);
            }
            for (var j = 0; j < n; j++)
            {
                long sum = 0;
                for (var i = 0; i < k; i++)
                    sum += (long)q[i] * wq[i * n + j];
                var v = (float)(int)(sum - zero * columnSum[j]) * (columnScale[j] * rowScale);
                if (bias is not null)
                    v += bias[j];
                if (residual is not null)
                    v += residual[r * n + j];
                c[r * n + j] = relu ? MathF.Max(v, 0f) : v;
            }
        }
        return c;
    }
}
