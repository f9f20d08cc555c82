using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using CudaGenre.Engine.Cpu;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>state [SECONDS]</c>: what the machine's slow spells slow down. One thread alternates three probes every few
/// milliseconds, each timed by its own CPU clock: the FMA loop (registers only: the core's clock and FMA pipes), one
/// 1×1 GEMM of Xception's middle flow (728 → 728 channels, 19×19, B warm), and a read loop over 256 KiB (L2). If the
/// GEMM's slow samples come with a slow FMA loop, the core itself is slower (clock, a busy sibling thread); if the FMA
/// loop holds while the GEMM and the L2 loop fall, the caches or memory are shared with something else. Beside them,
/// the same four convolutions (1×1, bias, ReLU, chained) run through ONNX Runtime on one intra-op thread (MLAS's NCHWc
/// pointwise kernel, with one reorder in and one out) and through the engine's GEMM, alternately, so the ratio of the
/// two is taken under the same machine state, sample by sample. The last probes are session 19's experiments: MLAS's
/// pointwise blocking (3 × 32 tile, depth blocks of 128, all row groups under one pair of panels) on the engine's
/// packed B, as a time per FLOP against the engine's GEMM, and the same with A copied k-major per 3-row group.
/// </summary>
internal static unsafe class MachineState
{
    public static void Run(double seconds)
    {
        const int pixels = 19 * 19, channels = 728;
        var random = new Random(3);
        var input = Filled(random, pixels * channels);
        var weights = Filled(random, channels * channels);
        var bias = Filled(random, channels);
        var output = new float[pixels * channels];
        var packed = new PackedMatrix(weights, channels, channels);
        var scratch = new WorkerScratch(1);
        var l2 = Filled(random, 256 * 1024 / sizeof(float));
        var gemmFlops = 2.0 * pixels * channels * channels;
        const long fmaIterations = 1 << 17; // 25 MFLOP: ~0.27 ms at 92 GFLOP/s
        var fmaFlops = fmaIterations * 12 * 2.0 * Vector256<float>.Count;
        const int l2Sweeps = 16;

        Console.WriteLine($"# state: FMA loop, GEMM xc.middle (M=361 K=728 N=728, B warm), 256 KiB read loop; one thread, thread CPU time; {OrtCompare.CpuName()}; load {File.ReadAllText("/proc/loadavg").Trim()}");
        // Four chained 1×1 convolutions: ORT's graph and the engine's GEMMs from the same weights.
        const int chain = 4;
        var convWeights = Enumerable.Range(0, chain).Select(_ => Filled(random, channels * channels)).ToArray(); // [out][in]
        var convBias = Enumerable.Range(0, chain).Select(_ => Filled(random, channels)).ToArray();
        var chainPacked = convWeights.Select(w => new PackedMatrix(Transposed(w, channels, channels), channels, channels)).ToArray();
        var chainValues = Enumerable.Range(0, chain + 1).Select(_ => new float[pixels * channels]).ToArray(); // NHWC
        var nchwInput = Transposed(input, pixels, channels);
        var nchwOutput = new float[pixels * channels];
        var onnx = Path.Combine(Directory.CreateTempSubdirectory("cudagenre-state-").FullName, "pointwise.onnx");
        File.WriteAllBytes(onnx, PointwiseChain(convWeights, convBias, channels, 19));
        using var ort = OrtCompare.OpenOrt(onnx, 1);
        using var ortCall = new OrtCompare.OrtCall(ort, nchwInput, [1, channels, 19, 19], nchwOutput, [1, channels, 19, 19]);
        Array.Copy(input, chainValues[0], input.Length);

        Console.WriteLine("#   t_s  fma_GFLOPs  gemm_GFLOPs  l2_GBs  wall/cpu  ort4_ms  engine4_ms  engine/ort  proto_GFLOPs");
        var fma = new List<double>();
        var gemm = new List<double>();
        var read = new List<double>();
        var ratio = new List<double>();
        var proto = new List<double>();
        var protoFlops = 2.0 * 360 * 704 * channels;
        var kMajorOverRowMajor = new List<double>();
        var kMajor = new float[360 * 128]; // one depth block of A, 3-row groups k-major
        double ortOwnThread = 0, ortOtherThreads = 0; // ORT on one intra-op thread must run on the caller's thread only
        var sink = 0f;
        fixed (float* x = input, c = output, b = bias, r = l2)
        {
            var work = new GemmWork<DenseSource>(new DenseSource(x, pixels, channels, channels), packed, c, channels,
                new GemmEpilogue { Bias = b, Relu = true }, scratch, 1);
            var handles = chainValues.Select(v => GCHandle.Alloc(v, GCHandleType.Pinned)).Concat(convBias.Select(v => GCHandle.Alloc(v, GCHandleType.Pinned))).ToList();
            var engineChain = Enumerable.Range(0, chain).Select(i => new GemmWork<DenseSource>(
                new DenseSource((float*)handles[i].AddrOfPinnedObject(), pixels, channels, channels), chainPacked[i],
                (float*)handles[i + 1].AddrOfPinnedObject(), channels,
                new GemmEpilogue { Bias = (float*)handles[chain + 1 + i].AddrOfPinnedObject(), Relu = true }, scratch, 1)).ToArray();
            void EngineChain()
            {
                foreach (var step in engineChain)
                {
                    for (var t = 0; t < step.Tiling.Count; t++)
                    {
                        step.Execute(t, 0);
                    }
                }
            }
            var clock = Stopwatch.StartNew();
            for (var sample = 0; clock.Elapsed.TotalSeconds < seconds; sample++)
            {
                var wall0 = clock.Elapsed.TotalSeconds;
                var t0 = GemmShapes.ThreadSecondsPublic();
                sink += PeakFlops.Loop256(fmaIterations);
                var t1 = GemmShapes.ThreadSecondsPublic();
                for (var t = 0; t < work.Tiling.Count; t++)
                {
                    work.Execute(t, 0);
                }
                var t2 = GemmShapes.ThreadSecondsPublic();
                sink += SumSweeps(r, l2.Length, l2Sweeps);
                var t3 = GemmShapes.ThreadSecondsPublic();
                var wall = clock.Elapsed.TotalSeconds - wall0;
                var p0 = GemmShapes.ThreadSecondsPublic();
                Prototype(x, channels, packed.Values, channels, c, channels);
                var protoSeconds = GemmShapes.ThreadSecondsPublic() - p0;
                var q0 = GemmShapes.ThreadSecondsPublic();
                PrototypeKMajor(x, channels, packed.Values, channels, c, channels, kMajor);
                var kMajorSeconds = GemmShapes.ThreadSecondsPublic() - q0;
                // Alternate which side goes first, so neither always follows the L2 loop.
                double ortSeconds, engineSeconds;
                if (sample % 2 == 0)
                {
                    var process0 = GemmShapes.ProcessSeconds();
                    var o0 = GemmShapes.ThreadSecondsPublic();
                    ortCall.Call();
                    var o1 = GemmShapes.ThreadSecondsPublic();
                    ortOtherThreads += GemmShapes.ProcessSeconds() - process0 - (o1 - o0);
                    ortOwnThread += o1 - o0;
                    EngineChain();
                    engineSeconds = GemmShapes.ThreadSecondsPublic() - o1;
                    ortSeconds = o1 - o0;
                }
                else
                {
                    var e0 = GemmShapes.ThreadSecondsPublic();
                    EngineChain();
                    var e1 = GemmShapes.ThreadSecondsPublic();
                    ortCall.Call();
                    ortSeconds = GemmShapes.ThreadSecondsPublic() - e1;
                    engineSeconds = e1 - e0;
                }
                if (sample == 0)
                {
                    CheckSame(chainValues[chain], nchwOutput, pixels, channels);
                    continue; // first touch and JIT
                }
                ratio.Add(engineSeconds / ortSeconds);
                proto.Add(protoFlops / protoSeconds / 1e9);
                kMajorOverRowMajor.Add(kMajorSeconds / protoSeconds);
                fma.Add(fmaFlops / (t1 - t0) / 1e9);
                gemm.Add(gemmFlops / (t2 - t1) / 1e9);
                read.Add((double)l2Sweeps * l2.Length * sizeof(float) / (t3 - t2) / 1e9);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{wall0,7:F3}  {fma[^1],10:F1}  {gemm[^1],11:F1}  {read[^1],6:F1}  {wall / (t3 - t0),8:F2}  {ortSeconds * 1e3,7:F2}  {engineSeconds * 1e3,10:F2}  {ratio[^1],10:F3}  {proto[^1],12:F1}"));
            }
            handles.ForEach(h => h.Free());
        }
        Directory.Delete(Path.GetDirectoryName(onnx)!, recursive: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {fma.Count} samples; p10/p50/p90: FMA {Quantiles(fma)}; GEMM {Quantiles(gemm)}; L2 {Quantiles(read)}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# correlation GEMM~FMA {Correlation(gemm, fma):F2}, GEMM~L2 {Correlation(gemm, read):F2}, FMA~L2 {Correlation(fma, read):F2}{(sink == 1.2345f ? " " : "")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# ORT's calls: {ortOwnThread:F2} s CPU on the calling thread, {ortOtherThreads:F3} s on the process's other threads meanwhile (the runtime's own included)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# engine/ORT on the four convolutions: p10/p50/p90 {Quantiles(ratio)}; correlation with the GEMM probe {Correlation(ratio, gemm):F2}, with L2 {Correlation(ratio, read):F2}"));
        var protoOverGemm = gemm.Select((g, i) => g / proto[i]).ToList(); // time ratio per FLOP: prototype / engine
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# prototype 3x32 KC=128 time per FLOP / engine GEMM's: p10/p50/p90 {Quantiles(protoOverGemm)}"));
        // The ratio in the fastest and slowest thirds of the samples by the L2 probe: does one side lose more in slow spells?
        var byL2 = Enumerable.Range(0, ratio.Count).OrderBy(i => read[i]).ToArray();
        var third = byL2.Length / 3;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# engine/ORT median in the slowest third by L2: {Median(byL2[..third].Select(i => ratio[i]))}, fastest third: {Median(byL2[^third..].Select(i => ratio[i]))}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# prototype with A packed k-major per 3-row group (packing included) / row-major prototype: p10/p50/p90 {Quantiles(kMajorOverRowMajor)}; slowest third by L2 {Median(byL2[..third].Select(i => kMajorOverRowMajor[i]))}, fastest {Median(byL2[^third..].Select(i => kMajorOverRowMajor[i]))}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# prototype/engine median in the slowest third by L2: {Median(byL2[..third].Select(i => protoOverGemm[i]))}, fastest third: {Median(byL2[^third..].Select(i => protoOverGemm[i]))}"));
    }

    // Four independent sums so the loop is bound by loads, not by one addition chain.
    private static float SumSweeps(float* data, int length, int sweeps)
    {
        var s0 = Vector256<float>.Zero;
        var s1 = Vector256<float>.Zero;
        var s2 = Vector256<float>.Zero;
        var s3 = Vector256<float>.Zero;
        for (var sweep = 0; sweep < sweeps; sweep++)
        {
            for (var i = 0; i < length; i += 32)
            {
                s0 += Vector256.Load(data + i);
                s1 += Vector256.Load(data + i + 8);
                s2 += Vector256.Load(data + i + 16);
                s3 += Vector256.Load(data + i + 24);
            }
        }
        return Vector256.Sum(s0 + s1 + s2 + s3);
    }

    /// <summary>
    /// Experiment (session 19): MLAS's pointwise blocking on the engine's packed B. A 3-row × 32-column register tile
    /// (two adjacent 16-column panels), depth blocks of 128, and every 3-row group of A swept under one pair of panel
    /// slices (16 KiB, kept in L1) before the next pair. Covers 360 rows and 704 columns of the 361 × 728 GEMM (no
    /// edges): time per FLOP is what is compared.
    /// </summary>
    private static readonly bool PairOuter = Environment.GetEnvironmentVariable("CUDAGENRE_STATE_ORDER") == "pair";

    private static void Prototype(float* a, int lda, float* b, int k, float* c, int ldc)
    {
        const int kcMax = 128;
        if (PairOuter)
        {
            // MLAS's order: one 32-column slice of C (46 KiB) stays cached while every depth block streams A through it.
            for (var pair = 0; pair < 22; pair++)
            {
                for (var k0 = 0; k0 < k; k0 += kcMax)
                {
                    var kc = Math.Min(kcMax, k - k0);
                    var panel = b + (long)(2 * pair) * k * 16 + (long)k0 * 16;
                    for (var g = 0; g < 120; g++)
                    {
                        Kernel3x32(kc, a + (long)g * 3 * lda + k0, lda, panel, (nint)k * 16, c + (long)g * 3 * ldc + pair * 32, ldc, k0 > 0);
                    }
                }
            }
            return;
        }
        for (var k0 = 0; k0 < k; k0 += kcMax)
        {
            var kc = Math.Min(kcMax, k - k0);
            for (var pair = 0; pair < 22; pair++)
            {
                var panel = b + (long)(2 * pair) * k * 16 + (long)k0 * 16;
                for (var g = 0; g < 120; g++)
                {
                    Kernel3x32(kc, a + (long)g * 3 * lda + k0, lda, panel, (nint)k * 16, c + (long)g * 3 * ldc + pair * 32, ldc, k0 > 0);
                }
            }
        }
    }

    /// <summary>The prototype with each depth block of A copied k-major per 3-row group first (a[k · 3 + r]), as MLAS's NCHWc input keeps a tile's pixels together.</summary>
    private static void PrototypeKMajor(float* a, int lda, float* b, int k, float* c, int ldc, float[] block)
    {
        const int kcMax = 128;
        fixed (float* packedA = block)
        {
            for (var k0 = 0; k0 < k; k0 += kcMax)
            {
                var kc = Math.Min(kcMax, k - k0);
                for (var g = 0; g < 120; g++)
                {
                    var source = a + (long)g * 3 * lda + k0;
                    var target = packedA + g * 3 * kcMax;
                    for (var kk = 0; kk < kc; kk++)
                    {
                        target[kk * 3] = source[kk];
                        target[kk * 3 + 1] = source[lda + kk];
                        target[kk * 3 + 2] = source[2 * lda + kk];
                    }
                }
                for (var pair = 0; pair < 22; pair++)
                {
                    var panel = b + (long)(2 * pair) * k * 16 + (long)k0 * 16;
                    for (var g = 0; g < 120; g++)
                    {
                        Kernel3x32KMajor(kc, packedA + g * 3 * kcMax, panel, (nint)k * 16, c + (long)g * 3 * ldc + pair * 32, ldc, k0 > 0);
                    }
                }
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization | System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void Kernel3x32KMajor(int kc, float* a, float* b, nint right, float* c, int ldc, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        float* end = a + 3 * kc;
        for (; a < end; a += 3)
        {
            var x0 = Vector256.Create(a[0]);
            var x1 = Vector256.Create(a[1]);
            var x2 = Vector256.Create(a[2]);
            var w = Vector256.Load(b);
            c00 = Vector256.FusedMultiplyAdd(x0, w, c00); c10 = Vector256.FusedMultiplyAdd(x1, w, c10); c20 = Vector256.FusedMultiplyAdd(x2, w, c20);
            w = Vector256.Load(b + 8);
            c01 = Vector256.FusedMultiplyAdd(x0, w, c01); c11 = Vector256.FusedMultiplyAdd(x1, w, c11); c21 = Vector256.FusedMultiplyAdd(x2, w, c21);
            w = Vector256.Load(b + right);
            c02 = Vector256.FusedMultiplyAdd(x0, w, c02); c12 = Vector256.FusedMultiplyAdd(x1, w, c12); c22 = Vector256.FusedMultiplyAdd(x2, w, c22);
            w = Vector256.Load(b + right + 8);
            c03 = Vector256.FusedMultiplyAdd(x0, w, c03); c13 = Vector256.FusedMultiplyAdd(x1, w, c13); c23 = Vector256.FusedMultiplyAdd(x2, w, c23);
            b += 16;
        }
        Store(c, accumulate, c00, c01, c02, c03);
        Store(c + ldc, accumulate, c10, c11, c12, c13);
        Store(c + 2 * ldc, accumulate, c20, c21, c22, c23);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization | System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void Kernel3x32(int kc, float* a0, int lda, float* b, nint right, float* c, int ldc, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        float* a1 = a0 + lda, a2 = a1 + lda;
        nint depth = kc;
        for (nint kk = 0; kk < depth; kk++)
        {
            var x0 = Vector256.Create(a0[kk]);
            var x1 = Vector256.Create(a1[kk]);
            var x2 = Vector256.Create(a2[kk]);
            var w = Vector256.Load(b);
            c00 = Vector256.FusedMultiplyAdd(x0, w, c00); c10 = Vector256.FusedMultiplyAdd(x1, w, c10); c20 = Vector256.FusedMultiplyAdd(x2, w, c20);
            w = Vector256.Load(b + 8);
            c01 = Vector256.FusedMultiplyAdd(x0, w, c01); c11 = Vector256.FusedMultiplyAdd(x1, w, c11); c21 = Vector256.FusedMultiplyAdd(x2, w, c21);
            w = Vector256.Load(b + right);
            c02 = Vector256.FusedMultiplyAdd(x0, w, c02); c12 = Vector256.FusedMultiplyAdd(x1, w, c12); c22 = Vector256.FusedMultiplyAdd(x2, w, c22);
            w = Vector256.Load(b + right + 8);
            c03 = Vector256.FusedMultiplyAdd(x0, w, c03); c13 = Vector256.FusedMultiplyAdd(x1, w, c13); c23 = Vector256.FusedMultiplyAdd(x2, w, c23);
            b += 16;
        }
        Store(c, accumulate, c00, c01, c02, c03);
        Store(c + ldc, accumulate, c10, c11, c12, c13);
        Store(c + 2 * ldc, accumulate, c20, c21, c22, c23);
    }

    private static void Store(float* c, bool accumulate, Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3)
    {
        if (accumulate)
        {
            v0 += Vector256.Load(c); v1 += Vector256.Load(c + 8); v2 += Vector256.Load(c + 16); v3 += Vector256.Load(c + 24);
        }
        v0.Store(c); v1.Store(c + 8); v2.Store(c + 16); v3.Store(c + 24);
    }

    private static string Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? "-" : sorted[sorted.Length / 2].ToString("F3", CultureInfo.InvariantCulture);
    }

    /// <summary>The engine's NHWC result against ORT's NCHW one: the two sides computed the same thing.</summary>
    private static void CheckSame(float[] nhwc, float[] nchw, int pixels, int channels)
    {
        // Relative to the output's largest value: four 728-term layers cancel, so single elements near zero carry the
        // rounding of much larger partial sums.
        var scale = Math.Max(1e-30, nchw.Max(v => Math.Abs(v)));
        var worst = 0.0;
        for (var p = 0; p < pixels; p++)
        {
            for (var ch = 0; ch < channels; ch++)
            {
                var a = nhwc[p * channels + ch];
                var e = nchw[ch * pixels + p];
                worst = Math.Max(worst, Math.Abs(a - e) / scale);
            }
        }
        if (worst > 1e-4)
        {
            throw new InvalidOperationException($"The engine's and ORT's convolutions differ (worst relative {worst:G3}): not the same computation.");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# engine and ORT agree on the chain's output (worst relative difference {worst:G3})"));
    }

    private static float[] Transposed(float[] matrix, int rows, int columns)
    {
        var result = new float[matrix.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                result[c * rows + r] = matrix[r * columns + c];
            }
        }
        return result;
    }

    /// <summary>
    /// An ONNX model (IR 8, opset 17) of <paramref name="weights"/>.Length chained Conv(1×1, bias) + Relu on
    /// [1, C, S, S]; field numbers from onnx.proto.
    /// </summary>
    private static byte[] PointwiseChain(float[][] weights, float[][] biases, int channels, int side)
    {
        ProtobufWriter ValueInfo(string name)
        {
            var shape = new ProtobufWriter();
            foreach (var dim in new[] { 1, channels, side, side })
            {
                var d = new ProtobufWriter();
                d.Int64(1, dim); // dim_value
                shape.Message(1, d); // dim
            }
            var tensorType = new ProtobufWriter();
            tensorType.Int64(1, 1); // elem_type FLOAT
            tensorType.Message(2, shape);
            var type = new ProtobufWriter();
            type.Message(1, tensorType); // tensor_type
            var info = new ProtobufWriter();
            info.String(1, name);
            info.Message(2, type);
            return info;
        }
        ProtobufWriter Tensor(string name, float[] values, params long[] dims)
        {
            var tensor = new ProtobufWriter(values.Length * sizeof(float) + 64);
            foreach (var dim in dims)
            {
                tensor.Int64(1, dim); // dims
            }
            tensor.Int64(2, 1); // data_type FLOAT
            tensor.String(8, name);
            tensor.FloatsAsBytes(9, values); // raw_data
            return tensor;
        }
        ProtobufWriter Node(string op, string output, params string[] inputs)
        {
            var node = new ProtobufWriter();
            foreach (var input in inputs)
            {
                node.String(1, input);
            }
            node.String(2, output);
            node.String(3, output);
            node.String(4, op);
            return node;
        }

        var graph = new ProtobufWriter(1 << 20);
        graph.String(2, "pointwise-chain");
        var value = "input";
        for (var i = 0; i < weights.Length; i++)
        {
            graph.Message(1, Node("Conv", $"conv{i}", value, $"w{i}", $"b{i}"));
            value = i == weights.Length - 1 ? "output" : $"relu{i}";
            graph.Message(1, Node("Relu", value, $"conv{i}"));
        }
        for (var i = 0; i < weights.Length; i++)
        {
            graph.Message(5, Tensor($"w{i}", weights[i], channels, channels, 1, 1));
            graph.Message(5, Tensor($"b{i}", biases[i], channels));
        }
        graph.Message(11, ValueInfo("input"));
        graph.Message(12, ValueInfo("output"));
        var opset = new ProtobufWriter();
        opset.String(1, "");
        opset.Int64(2, 17);
        var model = new ProtobufWriter(graph.Length + 256);
        model.Int64(1, 8); // ir_version
        model.Message(8, opset); // opset_import
        model.Message(7, graph);
        return model.Written.ToArray();
    }

    private static string Quantiles(List<double> values)
    {
        var sorted = values.Order().ToArray();
        double At(double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
        var format = sorted[^1] < 10 ? "F3" : "F1"; // ratios get three decimals, rates one
        return string.Join("/", new[] { 0.1, 0.5, 0.9 }.Select(q => At(q).ToString(format, CultureInfo.InvariantCulture)));
    }

    private static double Correlation(List<double> a, List<double> b)
    {
        double ma = a.Average(), mb = b.Average();
        double sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < a.Count; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }

    private static float[] Filled(Random random, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return values;
    }
}
