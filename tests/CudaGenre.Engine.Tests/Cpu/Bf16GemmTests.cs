using System.Diagnostics;
using System.Security.Cryptography;
using CudaGenre.Core.Models;
using CudaGenre.Core.Tensors;
using CudaGenre.Engine.Cpu;

namespace CudaGenre.Engine.Tests.Cpu;

/// <summary>
/// The CPU backend's BF16 mode: the conversion, the machine-code kernel against a reference of VDPBF16PS's
/// arithmetic, whole GEMMs with every edge and the epilogue, whole models against FP32, the refusal where the CPU
/// lacks AVX512_BF16, and that the committed kernel bytes come from the committed source.
/// </summary>
public sealed unsafe class Bf16GemmTests : IDisposable
{
    private readonly CpuWorkers _cpu = new(3);

    public void Dispose() => _cpu.Dispose();

    /// <summary>
    /// Where the CPU lacks AVX512_BF16 the checks run on the kernel's managed emulation (<see cref="Bf16Emulation"/>, asked
    /// for in this flow only): the instruction's arithmetic, so each check still holds; where both run,
    /// <see cref="Emulation_EqualsTheMachineCode_BitForBit"/> ties the emulation to the hardware.
    /// </summary>
    private static void RequireBf16()
    {
        if (Bf16Support.MissingReason is not null)
            Bf16Support.EmulateInThisFlow(true);
        if (Bf16Support.MissingReason is { } missing)
            Assert.Skip($"this CPU cannot run the BF16 kernel, not even emulated: {missing}");
    }

    /// <summary>VDPBF16PS on one lane as the SDM states it: the high halves' product added first, then the low ones', each accumulation rounded once, denormals in and out as zero.</summary>
    private static float DotPairReference(float sum, uint a, uint b)
    {
        static float Flush(float x) => float.IsSubnormal(x) ? (float.IsNegative(x) ? -0f : 0f) : x;
        static float Half(uint bits) => Flush(BitConverter.UInt32BitsToSingle(bits));
        sum = Flush(MathF.FusedMultiplyAdd(Half(a & 0xFFFF0000u), Half(b & 0xFFFF0000u), Flush(sum)));
        return Flush(MathF.FusedMultiplyAdd(Half(a << 16), Half(b << 16), sum));
    }

    private static void RandomKernelOperands(int seed, int pairs, int panelStride, out uint[] a, out uint[] b, out float[] c, bool tiny = false)
    {
        var random = new Random(seed);
        // Values over a wide range of exponents (sums that cancel, products near FP32's smallest normal), not exact in
        // FP32; tiny ones make every product denormal (2^-140 to 2^-128), so flushing decides the result.
        uint Bf16() => ReducedPrecision.SingleToBFloat16((float)((random.NextDouble() * 2 - 1) * Math.Pow(2, tiny ? random.Next(-70, -64) : random.Next(-70, 4))));
        const int aRowPairs = Bf16Gemm.KC / 2;
        a = new uint[Bf16Gemm.MR * aRowPairs];
        for (var r = 0; r < Bf16Gemm.MR; r++)
            for (var p = 0; p < pairs; p++)
                a[r * aRowPairs + p] = Bf16() | Bf16() << 16;
        b = new uint[2 * panelStride];
        for (var i = 0; i < b.Length; i++)
            b[i] = Bf16() | Bf16() << 16;
        c = new float[(Bf16Gemm.MR + 1) * 40];
        for (var i = 0; i < c.Length; i++)
            c[i] = (float)(random.NextDouble() * 4 - 2);
    }

    /// <summary>
    /// The emulation on values that round in FP32 and reach the denormal range (so order, rounding and flushing all
    /// show): bit for bit the SDM's per-lane arithmetic, and only the tile's rows and columns written.
    /// </summary>
    [Theory]
    [InlineData(12, 32, 128, 1, false)]
    [InlineData(7, 23, 33, 0, false)]
    [InlineData(12, 16, 5, 1, false)]
    [InlineData(12, 32, 4, 0, true)]
    public void Emulation_FollowsTheSdmLaneByLane_OnRoundingAndDenormalValues(int rows, int columns, int pairs, int accumulate, bool tiny)
    {
        const int ldc = 40, aRowPairs = Bf16Gemm.KC / 2;
        var panelStride = (pairs + 3) * 16;
        RandomKernelOperands(rows * 100 + pairs, pairs, panelStride, out var a, out var b, out var c, tiny);
        var before = (float[])c.Clone();
        fixed (uint* pa = a, pb = b)
        fixed (float* pc = c)
        {
            Bf16Emulation.Pointer(pairs, pa, pb, panelStride, pc, ldc, rows, columns, accumulate);
        }
        var flushed = 0;
        for (var r = 0; r <= Bf16Gemm.MR; r++)
        {
            for (var j = 0; j < ldc; j++)
            {
                if (r >= rows || j >= columns)
                {
                    Assert.Equal(before[r * ldc + j], c[r * ldc + j]);
                    continue;
                }
                var sum = accumulate != 0 ? before[r * ldc + j] : 0f;
                for (var p = 0; p < pairs; p++)
                {
                    var plain = MathF.FusedMultiplyAdd(BitConverter.UInt32BitsToSingle(a[r * aRowPairs + p] & 0xFFFF0000u), BitConverter.UInt32BitsToSingle(b[j / 16 * panelStride + p * 16 + j % 16] & 0xFFFF0000u), sum);
                    flushed += float.IsSubnormal(plain) ? 1 : 0;
                    sum = DotPairReference(sum, a[r * aRowPairs + p], b[j / 16 * panelStride + p * 16 + j % 16]);
                }
                Assert.Equal(BitConverter.SingleToUInt32Bits(sum), BitConverter.SingleToUInt32Bits(c[r * ldc + j]));
            }
        }
        if (accumulate == 0)
            Assert.True(flushed > 0, "no step produced a denormal: the values do not test the flushing");
        if (tiny)
            Assert.True(c.Count(v => v == 0f) > rows * columns / 2, "the tiny products were not flushed to zero");
    }

    /// <summary>Where the CPU has AVX512_BF16: the emulation and the machine code give the same bits on values that round and underflow.</summary>
    [Fact]
    public void Emulation_EqualsTheMachineCode_BitForBit()
    {
        if (Bf16Support.Emulated || Bf16Support.MissingReason is not null)
            Assert.Skip($"this CPU cannot run the BF16 machine code to compare with: {Bf16Support.MissingReason ?? "emulation is switched on for the process"}");
        const int pairs = 128, ldc = 40;
        var panelStride = (pairs + 3) * 16;
        RandomKernelOperands(77, pairs, panelStride, out var a, out var b, out var c);
        var emulated = (float[])c.Clone();
        fixed (uint* pa = a, pb = b)
        fixed (float* pc = c, pe = emulated)
        {
            Bf16Gemm.Kernel(pairs, pa, pb, panelStride, pc, ldc, Bf16Gemm.MR, 32, 1);
            Bf16Emulation.Pointer(pairs, pa, pb, panelStride, pe, ldc, Bf16Gemm.MR, 32, 1);
        }
        Assert.Equal(c.Select(BitConverter.SingleToUInt32Bits), emulated.Select(BitConverter.SingleToUInt32Bits));
    }

    /// <summary>Round to nearest even at 8 significant bits, by arithmetic on doubles (not bit tricks): the reference conversion.</summary>
    private static float RoundToBf16(float x)
    {
        if (x == 0 || !float.IsFinite(x))
            return x;
        var exponent = Math.Max(Math.ILogB((double)x), -126); // below FP32's normal range the step stays 2^-133
        var step = Math.ScaleB(1.0, exponent - 7);
        return (float)(Math.Round(x / step, MidpointRounding.ToEven) * step);
    }

    private static float[] Bf16Values(float[] values) => [.. values.Select(RoundToBf16)];

    [Fact]
    public void Rounding_IsNearestEven_AndKeepsNaN_ScalarAndVector_AndPadsAnOddCount()
    {
        // Ties both ways (1 + 2^-8 rounds down to even, 1 + 3·2^-8 up), the largest finite, a subnormal, ±0, ±∞, and
        // NaNs whose payload rounding would carry into the exponent (making ∞): first, for the vector loop, and last,
        // for the scalar tail.
        float[] special = [1f + 1f / 256, 1f + 3f / 256, -(1f + 1f / 256), float.MaxValue, 1e-40f, 0f, -0f, float.PositiveInfinity,
            float.NegativeInfinity, 3.3895314e38f, float.NaN, BitConverter.UInt32BitsToSingle(0x7F800001), BitConverter.UInt32BitsToSingle(0xFF80FFFF)];
        var source = special.Concat(Reference.Random(1000, 31, scale: 3f)).Concat(special).ToArray();
        var pairs = new uint[(source.Length + 1) / 2 + 1];
        pairs[^1] = 0xDEADBEEF; // past the end: must stay
        fixed (float* s = source)
        fixed (uint* d = pairs)
        {
            Bf16.RoundPairs(s, source.Length - 1, d); // odd count: the vector loop, the scalar tail and the zero pad
        }
        for (var i = 0; i < source.Length - 1; i++)
        {
            var expected = RoundToBf16(source[i]);
            var half = (ushort)(pairs[i / 2] >> (i % 2 * 16));
            var actual = BitConverter.UInt32BitsToSingle((uint)half << 16);
            Assert.True(float.IsNaN(expected) ? float.IsNaN(actual) : expected.Equals(actual), $"value {i}: {source[i]:R} became {actual:R}, not {expected:R}");
            Assert.Equal(half, ReducedPrecision.SingleToBFloat16(source[i]));
        }
        Assert.Equal(0u, pairs[(source.Length - 2) / 2] >> 16);
        Assert.Equal(0xDEADBEEFu, pairs[^1]);
    }

    /// <summary>
    /// The kernel alone on values whose products and sums are exact in FP32 (multiples of 1/8 below 4): the result must
    /// equal the reference exactly, whatever order the hardware adds in; only the rows and columns asked for change.
    /// </summary>
    [Theory]
    [InlineData(12, 32, 7, 0)]
    [InlineData(12, 32, 128, 1)]
    [InlineData(5, 17, 3, 1)]
    [InlineData(1, 16, 1, 0)]
    [InlineData(11, 9, 40, 1)]
    [InlineData(12, 31, 64, 0)]
    public void Kernel_OnExactValues_EqualsTheReference_AndTouchesOnlyItsTile(int rows, int columns, int pairs, int accumulate)
    {
        RequireBf16();
        var random = new Random(rows * 1000 + columns * 10 + pairs);
        float Exact() => random.Next(-24, 25) / 8f;
        const int ldc = 40, aRowPairs = Bf16Gemm.KC / 2;
        var a = new float[Bf16Gemm.MR, 2 * pairs];
        var b = new float[2 * pairs, 32];
        for (var r = 0; r < Bf16Gemm.MR; r++)
            for (var k = 0; k < 2 * pairs; k++)
                a[r, k] = Exact();
        for (var k = 0; k < 2 * pairs; k++)
            for (var j = 0; j < 32; j++)
                b[k, j] = Exact();
        var aPacked = new uint[Bf16Gemm.MR * aRowPairs];
        for (var r = 0; r < Bf16Gemm.MR; r++)
            for (var p = 0; p < pairs; p++)
                aPacked[r * aRowPairs + p] = ReducedPrecision.SingleToBFloat16(a[r, 2 * p]) | (uint)ReducedPrecision.SingleToBFloat16(a[r, 2 * p + 1]) << 16;
        // Two 16-column panels, 5 pairs apart beyond the depth (a panel stride larger than the depth, as when K > KC).
        var panelStride = (pairs + 5) * 16;
        var bPacked = new uint[2 * panelStride];
        for (var p = 0; p < pairs; p++)
            for (var j = 0; j < 32; j++)
                bPacked[j / 16 * panelStride + p * 16 + j % 16] = ReducedPrecision.SingleToBFloat16(b[2 * p, j]) | (uint)ReducedPrecision.SingleToBFloat16(b[2 * p + 1, j]) << 16;
        var c = new float[(Bf16Gemm.MR + 1) * ldc];
        for (var i = 0; i < c.Length; i++)
            c[i] = Exact() + 100;
        var before = (float[])c.Clone();

        fixed (uint* pa = aPacked, pb = bPacked)
        fixed (float* pc = c)
        {
            Bf16Gemm.Kernel(pairs, pa, pb, panelStride, pc, ldc, rows, columns, accumulate);
        }
        for (var r = 0; r <= Bf16Gemm.MR; r++)
        {
            for (var j = 0; j < ldc; j++)
            {
                if (r >= rows || j >= columns)
                {
                    Assert.Equal(before[r * ldc + j], c[r * ldc + j]);
                    continue;
                }
                double sum = accumulate != 0 ? before[r * ldc + j] : 0;
                for (var k = 0; k < 2 * pairs; k++)
                    sum += (double)a[r, k] * b[k, j];
                Assert.Equal((float)sum, c[r * ldc + j]);
            }
        }
    }

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 },
        { 12, 32, 8 },
        { 13, 33, 9 },         // one past every tile edge, K odd
        { 7, 10, 2048 },       // N < 16 (a linear head), K = 8·KC
        { 150, 64, 147 },      // odd M, K = 7·7·3 (odd)
        { 97, 47, 513 },       // MC + 1 rows, 17..31 columns in the last panel, K = 2·KC + 1
        { 30, 200, 256 },      // several column tiles, K = KC exactly
    };

    /// <summary>
    /// Whole GEMMs against a double-precision product of the BF16-rounded operands: what is left is FP32 summation
    /// error (bound as for the FP32 GEMM), so a wrong pair, panel, block offset or rounding mode shows. Against the
    /// unrounded operands the error is BF16's (about 2^-9 relative per operand).
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gemm_MatchesTheProductOfBf16RoundedOperands_WithBiasResidualAndRelu(int m, int n, int k)
    {
        RequireBf16();
        var a = Reference.Random(m * k, 1);
        var b = Reference.Random(k * n, 2);
        var bias = Reference.Random(n, 3);
        var residual = Reference.Random(m * n, 4);
        var expected = Reference.Gemm(Bf16Values(a), Bf16Values(b), m, k, n, bias, residual, relu: true);
        var exact = Reference.Gemm(a, b, m, k, n, bias, residual, relu: true);

        var c = new float[m * n];
        fixed (float* pa = a, pc = c, pBias = bias, pResidual = residual)
        {
            var epilogue = new GemmEpilogue { Bias = pBias, Residual = pResidual, ResidualStride = n, Relu = true };
            new Bf16GemmWork<DenseSource>(new DenseSource(pa, m, k, k), new Bf16PackedMatrix(b, k, n), pc, n, epilogue,
                new WorkerScratch(_cpu.Count, Bf16Gemm.ScratchLength), _cpu.Count).Run(_cpu);
        }

        Assert.True(Reference.ScaledMaxError(c, expected) < 1e-5, $"error vs BF16-rounded operands {Reference.ScaledMaxError(c, expected)}");
        Assert.True(Reference.ScaledMaxError(c, exact) < 2e-2, $"error vs FP32 operands {Reference.ScaledMaxError(c, exact)}");
        if (m * n > 16)
            Assert.Contains(c, v => v == 0f); // ReLU actually clipped something
    }

    [Fact]
    public void Gemm_ThroughPatchSource_WritesIntoStridedOutput_LeavingOtherColumnsAlone()
    {
        RequireBf16();
        var g = new ConvGeometry(2, 9, 7, 5, 3, 3, 1, 1); // K = 45 (odd), 126 output pixels
        const int n = 24, ldc = 40;
        var x = Reference.Random(g.Batch * g.Height * g.Width * g.Channels, 5);
        var k = g.KernelHeight * g.KernelWidth * g.Channels;
        var b = Reference.Random(k * n, 6);
        var c = Enumerable.Repeat(7f, g.OutPixels * ldc).ToArray();
        var im2col = new float[g.OutPixels * k];
        fixed (float* px = x, pc = c, pi = im2col)
        {
            new PatchSource(px, g).Pack(0, g.OutPixels, 0, k, pi); // checked against explicit im2col in GemmTests
            new Bf16GemmWork<PatchSource>(new PatchSource(px, g), new Bf16PackedMatrix(b, k, n), pc, ldc, default,
                new WorkerScratch(_cpu.Count, Bf16Gemm.ScratchLength), _cpu.Count).Run(_cpu);
        }
        var expected = Reference.Gemm(Bf16Values(im2col), Bf16Values(b), g.OutPixels, k, n);
        for (var i = 0; i < g.OutPixels; i++)
        {
            Assert.True(Reference.ScaledMaxError(c.AsSpan(i * ldc, n), expected.AsSpan(i * n, n)) < 1e-5);
            Assert.All(c.AsSpan(i * ldc + n, ldc - n).ToArray(), v => Assert.Equal(7f, v));
        }
    }

    public static TheoryData<string, string, int, int, int> Models => new()
    {
        { "cnn", "linear", 96, 128, 3 },
        { "cnn", "dense", 64, 96, 2 },
        { "resnet18", "dense", 48, 48, 2 },
        { "resnet50", "linear", 40, 40, 1 },
        { "xception", "dense", 71, 71, 1 },
    };

    /// <summary>
    /// Whole models, random weights: BF16 logits against the FP32 CPU backend's. BF16 keeps 8 significant bits, so
    /// each GEMM is off by about 2^-9 relative and the errors add up over the layers; measured 2.7e-3–5.6e-3 at these sizes (see the
    /// report), bound at 2e-2. The session reports the precision it computes in.
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void Models_AgreeWithFp32_WithinBf16Error(string arch, string head, int height, int width, int batch)
    {
        RequireBf16();
        var (spec, fp32) = CpuModelTests.RandomModelLogits(arch, head, height, width, batch, CpuGemmKind.Fp32);
        var (_, bf16) = CpuModelTests.RandomModelLogits(arch, head, height, width, batch, CpuGemmKind.Bf16);

        var error = ModelChecks.RelativeL2(bf16, fp32);
        Assert.True(error < 2e-2 && error > 1e-5, $"relative L2 error {error:E2} (above 1e-5: BF16 was really used)");
        for (var i = 0; i < batch; i++)
        {
            Assert.Equal(CpuModelTests.ArgMax(fp32.AsSpan(i * spec.ClassCount, spec.ClassCount)), CpuModelTests.ArgMax(bf16.AsSpan(i * spec.ClassCount, spec.ClassCount)));
        }
    }

    /// <summary>
    /// Where the CPU has AVX512_BF16: whole models (every BF16 GEMM, its packing, tiling and epilogue) give the same logits
    /// bit for bit on the machine code and on the emulation, so the accuracy guard measured on the emulation
    /// (benchmarks/bf16-guard.sh with CUDAGENRE_CPU_BF16=emulate) holds for the hardware.
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void Models_OnTheMachineCode_EqualTheEmulation_BitForBit(string arch, string head, int height, int width, int batch)
    {
        if (Bf16Support.Emulated || Bf16Support.MissingReason is not null)
            Assert.Skip($"this CPU cannot run the BF16 machine code to compare with: {Bf16Support.MissingReason ?? "emulation is switched on for the process"}");
        var (_, machine) = CpuModelTests.RandomModelLogits(arch, head, height, width, batch, CpuGemmKind.Bf16);
        float[] emulated;
        Bf16Support.EmulateInThisFlow(true);
        try
        {
            Assert.True(Bf16Support.Emulated);
            (_, emulated) = CpuModelTests.RandomModelLogits(arch, head, height, width, batch, CpuGemmKind.Bf16);
        }
        finally
        {
            Bf16Support.EmulateInThisFlow(false);
        }
        Assert.Equal(machine.Select(BitConverter.SingleToUInt32Bits), emulated.Select(BitConverter.SingleToUInt32Bits));
    }

    [Fact]
    public void Session_ComputesInBf16_OnTheCpu_AndAutoWithoutCudaToo()
    {
        RequireBf16();
        var path = WriteRandomModel(out var folder);
        try
        {
            var cpuLines = new List<string>();
            using var cpu = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Precision = Precision.Bf16, Threads = 2, Log = cpuLines.Add });
            Assert.Equal((Backend.Cpu, Precision.Bf16), (cpu.Backend, cpu.Precision));
            // An emulated kernel is said so, once, whoever asked for it.
            Assert.Equal(Bf16Support.Emulated ? 1 : 0, cpuLines.Count(l => l.Contains("emulation of VDPBF16PS", StringComparison.Ordinal)));
            if (!Gpu.IsUsable(out _))
            {
                var lines = new List<string>();
                using var auto = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Auto, Precision = Precision.Bf16, Threads = 2, Log = lines.Add });
                Assert.Equal((Backend.Cpu, Precision.Bf16), (auto.Backend, auto.Precision));
                Assert.Contains(lines, l => l.Contains("the CPU computes Bf16", StringComparison.Ordinal));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A CPU without AVX512_BF16 (simulated through the capability check's test switch, in this flow only).</summary>
    [Fact]
    public void WithoutAvx512Bf16_CpuBf16IsRefusedNamingTheFeature_AutoFallsBackToFp32SayingWhy_Tf32StaysRefused()
    {
        var path = WriteRandomModel(out var folder);
        try
        {
            var tf32 = Assert.Throws<NotSupportedException>(() => InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Precision = Precision.Tf32 }));
            Assert.Contains("Tf32 needs the CUDA backend", tf32.Message, StringComparison.Ordinal);

            Bf16Support.SimulateMissing("the CPU lacks AVX512_BF16 (simulated)");
            var e = Assert.Throws<NotSupportedException>(() => InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Precision = Precision.Bf16 }));
            Assert.Equal("Precision.Bf16 on the CPU backend needs AVX512_BF16: the CPU lacks AVX512_BF16 (simulated). Use Precision.Fp32 (or the CUDA backend).", e.Message);
            Assert.Throws<NotSupportedException>(() => Bf16Gemm.Kernel == null);
            if (!Gpu.IsUsable(out _))
            {
                var lines = new List<string>();
                using var auto = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Auto, Precision = Precision.Bf16, Threads = 1, Log = lines.Add });
                Assert.Equal((Backend.Cpu, Precision.Fp32), (auto.Backend, auto.Precision));
                Assert.Contains(lines, l => l.Contains("the CPU computes FP32, not Bf16: Precision.Bf16 on the CPU backend needs AVX512_BF16: the CPU lacks AVX512_BF16 (simulated)", StringComparison.Ordinal));
            }
        }
        finally
        {
            Bf16Support.SimulateMissing(null);
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A misspelt or unknown CUDAGENRE_CPU_BF16 is named in the refusal, not silently ignored.</summary>
    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("emulate", false)]
    [InlineData("emulat", true)]
    [InlineData("Emulate", true)]
    [InlineData("1", true)]
    public void AnUnknownEmulationValue_IsNamedInTheRefusal(string? value, bool named)
    {
        var note = Bf16Support.NoteOn(value);
        if (!named)
        {
            Assert.Equal("", note);
            return;
        }
        Assert.Contains($"CUDAGENRE_CPU_BF16='{value}' was not understood", note, StringComparison.Ordinal);
        Assert.Contains("its one value is 'emulate'", note, StringComparison.Ordinal);
    }

    [Fact]
    public void CommittedKernelBytes_AreMadeFromTheCommittedSource_AndRegenerateIdentically()
    {
        var root = FindRoot();
        if (root is null)
            Assert.Skip("not running inside a CudaGenre checkout (no CudaGenre.sln above the test binaries)");
        var source = Path.Combine(root, "src", "CudaGenre.Engine", "Cpu", "Native", "bf16_kernel.c");
        Assert.Equal(Bf16KernelCode.SourceSha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(source))));
        var kernelSource = File.ReadAllText(source);
        Assert.Contains($"#define MR {Bf16Gemm.MR}\n", kernelSource, StringComparison.Ordinal);
        Assert.Contains($"#define A_ROW_PAIRS {Bf16Gemm.KC / 2}\n", kernelSource, StringComparison.Ordinal);

        var gcc = Run("gcc", "--version", root);
        if (gcc is null)
            Assert.Skip("gcc is not installed here: the bytes were checked against the source's hash only");
        var version = gcc.Split('\n')[0];
        if (version != Bf16KernelCode.Compiler)
            Assert.Skip($"gcc here is '{version}', the bytes were made by '{Bf16KernelCode.Compiler}': another compiler makes other bytes");
        var output = Path.Combine(Path.GetTempPath(), $"bf16-kernel-{Guid.NewGuid():N}.cs");
        try
        {
            Assert.NotNull(Run("bash", $"tools/gen-bf16-kernel.sh {output}", root));
            Assert.Equal(File.ReadAllText(Path.Combine(root, "src", "CudaGenre.Engine", "Cpu", "Native", "Bf16KernelCode.g.cs")), File.ReadAllText(output));
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static string? Run(string program, string arguments, string directory)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = process.StandardOutput.ReadToEnd();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"{program} {arguments} failed ({process.ExitCode}): {error}");
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CudaGenre.sln")))
                return dir.FullName;
        }
        return null;
    }

    private static string WriteRandomModel(out string folder)
    {
        folder = Directory.CreateTempSubdirectory("bf16-session").FullName;
        var spec = ModelSpec.Default(Architecture.Cnn, ClassifierHead.Linear) with { InputHeight = 24, InputWidth = 32 };
        var path = Path.Combine(folder, "model.safetensors");
        RandomWeights.WriteModel(path, spec, seed: 7);
        return path;
    }
}
