using System.Globalization;
using System.Runtime.InteropServices;
using CudaGenre.Engine.Cpu;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>gemm [FILTER]</c>: the CPU GEMM alone on the convolution shapes of ResNet50, ResNet18, Xception and the CNN at
/// batch 1, on ONE thread, timed by the thread's own CPU clock (CLOCK_THREAD_CPUTIME_ID) and reported as the best of
/// several repeats. Time the thread spends switched out does not count, so the figure stays usable on a loaded
/// machine (cache pollution from other processes still costs a little): it measures the kernel, not the machine.
/// </summary>
internal static unsafe partial class GemmShapes
{
    /// <summary>
    /// FP32 FMA peak of one core for the engine's kernel width, measured on this machine when first needed (the FMA loop
    /// of <c>peak</c>); it was a constant from the Zen 5 (3.66 GHz × 32 or 64 FLOP/cycle) and overstated the Zen 3's.
    /// </summary>
    private static readonly Lazy<double> PeakPerCore = new(() => PeakFlops.Estimate(1));

    private static readonly (string Name, ConvGeometry G, int N)[] Shapes =
    [
        ("r50.conv1 7x7/2 3->64 224", new(1, 224, 224, 3, 7, 7, 2, 3), 64),
        ("r50.l1 1x1 64->64 56", new(1, 56, 56, 64, 1, 1, 1, 0), 64),
        ("r50.l1 3x3 64->64 56", new(1, 56, 56, 64, 3, 3, 1, 1), 64),
        ("r50.l1 1x1 64->256 56", new(1, 56, 56, 64, 1, 1, 1, 0), 256),
        ("r50.l1 1x1 256->64 56", new(1, 56, 56, 256, 1, 1, 1, 0), 64),
        ("r50.l2 3x3 128->128 28", new(1, 28, 28, 128, 3, 3, 1, 1), 128),
        ("r50.l2 1x1 512->128 28", new(1, 28, 28, 512, 1, 1, 1, 0), 128),
        ("r50.l2 1x1 128->512 28", new(1, 28, 28, 128, 1, 1, 1, 0), 512),
        ("r50.l3 3x3 256->256 14", new(1, 14, 14, 256, 3, 3, 1, 1), 256),
        ("r50.l3 1x1 1024->256 14", new(1, 14, 14, 1024, 1, 1, 1, 0), 256),
        ("r50.l3 1x1 256->1024 14", new(1, 14, 14, 256, 1, 1, 1, 0), 1024),
        ("r50.l4 3x3 512->512 7", new(1, 7, 7, 512, 3, 3, 1, 1), 512),
        ("r50.l4 1x1 2048->512 7", new(1, 7, 7, 2048, 1, 1, 1, 0), 512),
        ("r50.l4 1x1 512->2048 7", new(1, 7, 7, 512, 1, 1, 1, 0), 2048),
        ("xc.block1 1x1 128->128 147", new(1, 147, 147, 128, 1, 1, 1, 0), 128),
        ("xc.block2 1x1 256->256 74", new(1, 74, 74, 256, 1, 1, 1, 0), 256),
        ("xc.entry 1x1 128->256 37x37", new(1, 37, 37, 128, 1, 1, 1, 0), 256),
        ("xc.middle 1x1 728->728 19", new(1, 19, 19, 728, 1, 1, 1, 0), 728),
        ("xc.conv3 1x1 1024->1536 10", new(1, 10, 10, 1024, 1, 1, 1, 0), 1536),
        ("xc.conv4 1x1 1536->2048 10", new(1, 10, 10, 1536, 1, 1, 1, 0), 2048),
        ("in-l1 1x1 64->64 6x6", new(1, 6, 6, 64, 1, 1, 1, 0), 64),
        ("in-l2 1x1 256->256 8x8", new(1, 8, 8, 256, 1, 1, 1, 0), 256),
        ("cnn 3x3 3->16 144x216", new(1, 144, 216, 3, 3, 3, 1, 1), 16),
        ("b16 r50.l3 3x3 256->256 14", new(16, 14, 14, 256, 3, 3, 1, 1), 256),
    ];

    public static void Run(string? filter)
    {
        Console.WriteLine($"GEMM on one thread ({(Gemm.Wide ? "512" : "256")}-bit kernel), thread CPU time, best of 5 repeats; peak {PeakPerCore.Value:F1} GFLOP/s per core (measured); load {File.ReadAllText("/proc/loadavg").Trim()}");
        var random = new Random(7);
        foreach (var (name, g, n) in Shapes)
        {
            if (filter is not null && !name.Contains(filter, StringComparison.Ordinal))
            {
                continue;
            }
            var k = g.KernelHeight * g.KernelWidth * g.Channels;
            var input = Random(random, (long)g.Batch * g.Height * g.Width * g.Channels);
            var weights = Random(random, (long)k * n);
            var bias = Random(random, n);
            var packed = new PackedMatrix(weights, k, n);
            var output = new float[(long)g.OutPixels * n];
            var scratch = new WorkerScratch(1);
            fixed (float* x = input, c = output, b = bias)
            {
                var epilogue = new GemmEpilogue { Bias = b, Relu = true };
                var oneByOne = g is { KernelHeight: 1, KernelWidth: 1, Stride: 1, Padding: 0 };
                // 1×1 convolutions read A in place; "packed" is the same GEMM with A copied block by block, run
                // alternately with it so that both see the same machine (clock speed drops when both cores are busy).
                var variants = new List<(string Name, IParallelWork Work, int Tiles)>();
                if (oneByOne)
                {
                    var inPlace = new GemmWork<DenseSource>(new DenseSource(x, g.OutPixels, g.Channels, g.Channels), packed, c, n, epilogue, scratch, 1);
                    var copied = new GemmWork<CopiedSource>(new CopiedSource(new DenseSource(x, g.OutPixels, g.Channels, g.Channels)), packed, c, n, epilogue, scratch, 1);
                    variants.Add(("in place", inPlace, inPlace.Tiling.Count));
                    variants.Add(("packed", copied, copied.Tiling.Count));
                }
                else
                {
                    var patches = new GemmWork<PatchSource>(new PatchSource(x, g), packed, c, n, epilogue, scratch, 1);
                    variants.Add(("im2col", patches, patches.Tiling.Count));
                }
                var flops = 2.0 * g.OutPixels * n * k;
                var reps = Math.Max(1, (int)(0.15e9 / flops * 60));
                var best = new double[variants.Count];
                Array.Fill(best, double.MaxValue);
                for (var repeat = 0; repeat < 6; repeat++)
                {
                    for (var v = 0; v < variants.Count; v++)
                    {
                        var (_, work, tiles) = variants[v];
                        var start = ThreadSeconds();
                        for (var r = 0; r < reps; r++)
                        {
                            for (var t = 0; t < tiles; t++)
                            {
                                work.Execute(t, 0);
                            }
                        }
                        var seconds = (ThreadSeconds() - start) / reps;
                        if (repeat > 0)
                        {
                            best[v] = Math.Min(best[v], seconds);
                        }
                    }
                }
                for (var v = 0; v < variants.Count; v++)
                {
                    var gflops = flops / best[v] / 1e9;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name,-30} {variants[v].Name,-8} M={g.OutPixels,6} K={k,5} N={n,5}  {best[v] * 1e3,8:F3} ms  {gflops,6:F1} GFLOP/s  {100 * gflops / PeakPerCore.Value,5:F1} % of peak"));
                }
            }
        }
    }

    /// <summary>A source whose A is always copied (the GEMM's path for sources that cannot be read in place).</summary>
    private readonly struct CopiedSource(DenseSource inner) : IGemmSource
    {
        public int Rows => inner.Rows;

        public int Depth => inner.Depth;

        public float* InPlace => null;

        public int InPlaceStride => 0;

        public void Pack(int row0, int rows, int k0, int kc, float* destination) => inner.Pack(row0, rows, k0, kc, destination);
    }

    /// <summary>
    /// <c>pass MODEL [BATCH]</c>: whole forward passes of the CPU backend on one thread (random weights), timed by the
    /// thread's CPU clock, best of several repeats: the single-core efficiency of a model, usable on a loaded machine.
    /// </summary>
    public static void Pass(string model, int batch)
    {
        if (!CudaGenre.Core.Models.ArchitectureNames.TryParseArchitecture(model, out var architecture))
        {
            throw new ArgumentException($"unknown model {model}");
        }
        var spec = CudaGenre.Core.Models.ModelSpec.Default(architecture);
        var path = Path.Combine(Directory.CreateTempSubdirectory("cudagenre-pass-").FullName, "model.safetensors");
        using (var torch = CudaGenre.Trainer.Models.RandomModel.Create(spec, seed: 1))
        {
            CudaGenre.Trainer.Models.Export.WriteModel(path, torch, spec);
        }
        var file = CudaGenre.Core.Models.ModelFile.Read(path);
        var fused = CudaGenre.Engine.Graph.GraphOptimizer.Optimize(file.Graph, file.Weights.ToSingleArray);
        File.Delete(path);
        // The pass as a session runs it: the backend's plan, which may run a batch in chunks (ChunkedPlan).
        using var backend = new CudaGenre.Engine.CpuBackend(fused, 1);
        using var sessionPlan = backend.CreatePlan(batch);
        var input = Random(new Random(2), (long)batch * spec.InputChannels * spec.InputHeight * spec.InputWidth);
        var logits = new float[batch * spec.ClassCount];
        var times = new List<double>();
        for (var r = 0; r < 12; r++)
        {
            var start = ThreadSeconds();
            sessionPlan.Run(input, logits);
            times.Add(ThreadSeconds() - start);
        }
        if (Environment.GetEnvironmentVariable("CUDAGENRE_PASS_STEPS") is "1" or "all")
        {
            // Steps one at a time need the plain plan (its ops), made only here.
            using var plan = new CpuPlan(fused, new CpuWeights(fused), batch, 1);
            plan.Run(input, logits);
            var names = plan.StepNames;
            var flops = plan.Profile(input, 1).Select(s => s.Flops).ToArray();
            var stepBest = new double[names.Count];
            Array.Fill(stepBest, double.MaxValue);
            for (var r = 0; r < 8; r++)
            {
                for (var i = 0; i < names.Count; i++)
                {
                    var s0 = ThreadSeconds();
                    plan.RunStep(i);
                    stepBest[i] = Math.Min(stepBest[i], ThreadSeconds() - s0);
                }
            }
            var sum = stepBest.Sum();
            foreach (var i in Enumerable.Range(0, names.Count).OrderByDescending(i => stepBest[i]).Take(Environment.GetEnvironmentVariable("CUDAGENRE_PASS_STEPS") is "all" ? int.MaxValue : 25))
            {
                var rate = flops[i] / stepBest[i] / 1e9;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{stepBest[i] * 1e3,8:F3} ms {100 * stepBest[i] / sum,5:F1} % {rate,6:F0} GFLOP/s  {names[i]}"));
            }
        }
        var best = times.Skip(2).Min();
        var median = times.Skip(2).Order().ElementAt(5);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model} batch {batch}, one thread, thread CPU time: best {best * 1e3:F2} ms, median {median * 1e3:F2} ms per pass; logits[0] {logits[0]:R}; load {File.ReadAllText("/proc/loadavg").Trim()}"));
    }

    private static float[] Random(Random random, long count)
    {
        var values = new float[count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return values;
    }

    public static double ThreadSecondsPublic() => ThreadSeconds();

    /// <summary>CPU time of all the process's threads: beside <see cref="ThreadSeconds"/>, shows work done on other threads.</summary>
    public static double ProcessSeconds() => Clock(2 /* CLOCK_PROCESS_CPUTIME_ID */);

    private static double ThreadSeconds() => Clock(3 /* CLOCK_THREAD_CPUTIME_ID */);

    private static double Clock(int id)
    {
        Timespec t;
        if (ClockGetTime(id, &t) != 0)
        {
            throw new InvalidOperationException($"clock_gettime({id}) failed");
        }
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, Timespec* time);
}

internal static unsafe partial class GemmShapes
{
    /// <summary>
    /// <c>gemm-pair [FILTER]</c>: where a 1×1 GEMM's two-core scaling goes. Wall clock, alternating, median of rounds:
    /// <list type="bullet">
    /// <item>alone: one thread runs the whole GEMM (one worker's tiling);</item>
    /// <item>independent: two threads each run their own whole GEMM (own A, B and C) at the same time, so they share
    /// only the machine (caches, memory, clock): the slowdown against "alone" is contention, not splitting;</item>
    /// <item>spin split: the two-worker tiling, each thread running its half of the tiles (the workers' own shares), then
    /// meeting at a spinning barrier, so no thread ever sleeps: splitting without the pool's wake-ups;</item>
    /// <item>pool split: the same tiling run by <see cref="CpuWorkers"/>, as a plan runs it.</item>
    /// </list>
    /// <c>CUDAGENRE_GEMM_COLD=1</c> cycles through enough copies of B that each use finds it out of cache, as in a pass.
    /// "scaling" is alone / pool split: how the GEMM alone scales to two cores (what <c>gemm-threads</c> printed).
    /// </summary>
    public static void Pair(string? filter)
    {
        Console.WriteLine($"GEMM alone, two independent GEMMs at once, split on two spinning threads, split on the pool; wall clock, median of 7 rounds; load {File.ReadAllText("/proc/loadavg").Trim()}");
        var random = new Random(7);
        using var pool = new CpuWorkers(2);
        foreach (var (name, g, n) in Shapes)
        {
            if ((filter is not null && !name.Contains(filter, StringComparison.Ordinal)) || g is not { KernelHeight: 1, KernelWidth: 1, Stride: 1, Padding: 0 })
            {
                continue;
            }
            var k = g.Channels;
            var m = g.OutPixels;
            var copies = Environment.GetEnvironmentVariable("CUDAGENRE_GEMM_COLD") is "1" ? (int)Math.Max(1, 96L * 1024 * 1024 / (4L * k * n)) : 1;
            // Two of everything: the second thread of "independent" must share nothing with the first.
            var inputs = new[] { Random(random, (long)m * k), Random(random, (long)m * k) };
            var packs = Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, copies).Select(_ => new PackedMatrix(Random(random, (long)k * n), k, n)).ToArray()).ToArray();
            var outputs = new[] { new float[(long)m * n], new float[(long)m * n] };
            var bias = Random(random, n);
            var scratch = new WorkerScratch(2);
            var flops = 2.0 * m * n * k;
            var reps = Math.Max(3, (int)(0.04 * 150e9 / flops));
            fixed (float* x0 = inputs[0], x1 = inputs[1], c0 = outputs[0], c1 = outputs[1], b = bias)
            {
                var epilogue = new GemmEpilogue { Bias = b, Relu = true };
                float*[] xs = [x0, x1], cs = [c0, c1];
                // CUDAGENRE_GEMM_ONE_BLOCK=1: "alone" and "independent" run all rows as one row block (each B slice read once).
                GemmTiling? oneBlock = Environment.GetEnvironmentVariable("CUDAGENRE_GEMM_ONE_BLOCK") is "1"
                    ? new GemmTiling(1, 1, (n + Gemm.NR - 1) / Gemm.NR, Gemm.MR) : null;
                var single = Enumerable.Range(0, 2).Select(s => Enumerable.Range(0, copies)
                    .Select(i => new GemmWork<DenseSource>(new DenseSource(xs[s], m, k, k), packs[s][i], cs[s], n, epilogue, scratch, 1, oneBlock)).ToArray()).ToArray();
                // CUDAGENRE_GEMM_TILING=ROWBLOCKS,COLUMNTILES: the split's tiling instead of the planner's (rows dealt out in
                // groups of MR, panels evenly over the column tiles).
                GemmTiling? forced = null;
                if (Environment.GetEnvironmentVariable("CUDAGENRE_GEMM_TILING") is { } spec && spec.Split(',') is [var rb, var ct])
                {
                    var columnTiles = int.Parse(ct, CultureInfo.InvariantCulture);
                    forced = new GemmTiling(int.Parse(rb, CultureInfo.InvariantCulture), columnTiles, ((n + Gemm.NR - 1) / Gemm.NR + columnTiles - 1) / columnTiles, Gemm.MR);
                }
                var split = Enumerable.Range(0, copies).Select(i => new GemmWork<DenseSource>(new DenseSource(xs[0], m, k, k), packs[0][i], cs[0], n, epilogue, scratch, 2, forced)).ToArray();
                var tiles = split[0].Tiling.Count;

                void Alone(int side)
                {
                    for (var r = 0; r < reps; r++)
                    {
                        var work = single[side][r % copies];
                        for (var t = 0; t < work.Tiling.Count; t++)
                        {
                            work.Execute(t, side);
                        }
                    }
                }

                var arrived = 0;
                void SpinSplit(int worker)
                {
                    // Worker w runs tiles [w·T/2, (w+1)·T/2) of each GEMM, the pool's shares, then waits spinning for the other.
                    for (var r = 0; r < reps; r++)
                    {
                        var work = split[r % copies];
                        for (var t = worker * tiles / 2; t < (worker + 1) * tiles / 2; t++)
                        {
                            work.Execute(t, worker);
                        }
                        Interlocked.Increment(ref arrived);
                        var target = 2 * (r + 1);
                        while (Volatile.Read(ref arrived) < target)
                        {
                            Thread.SpinWait(8);
                        }
                    }
                }

                double Twice(Action<int> body)
                {
                    arrived = 0;
                    using var go = new Barrier(2);
                    var helper = new Thread(() => { go.SignalAndWait(); body(1); });
                    helper.Start();
                    go.SignalAndWait();
                    var start = System.Diagnostics.Stopwatch.GetTimestamp();
                    body(0);
                    helper.Join();
                    return System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }

                var sides = new (string Name, Func<double> Time, int Gemms, List<double> Times)[]
                {
                    ("alone", () => { var s = System.Diagnostics.Stopwatch.GetTimestamp(); Alone(0); return System.Diagnostics.Stopwatch.GetElapsedTime(s).TotalMilliseconds; }, 1, []),
                    ("independent", () => Twice(Alone), 2, []),
                    ("spin split", () => Twice(SpinSplit), 1, []),
                    ("pool split", () => { var s = System.Diagnostics.Stopwatch.GetTimestamp(); for (var r = 0; r < reps; r++) split[r % copies].Run(pool); return System.Diagnostics.Stopwatch.GetElapsedTime(s).TotalMilliseconds; }, 1, []),
                };
                for (var round = 0; round < 8; round++)
                {
                    foreach (var side in round % 2 == 0 ? sides : sides.Reverse())
                    {
                        var ms = side.Time();
                        if (round > 0)
                        {
                            side.Times.Add(ms / reps);
                        }
                    }
                }
                Console.Write(copies > 1 ? $"[{copies} copies of B, cold] " : "");
                Console.Write(string.Create(CultureInfo.InvariantCulture, $"{name,-28} M={m} K={k} N={n}, split {split[0].Tiling.RowBlocks}x{split[0].Tiling.ColumnTiles}:"));
                var medians = sides.Select(side => side.Times.Order().ElementAt(3)).ToArray();
                for (var i = 0; i < sides.Length; i++)
                {
                    Console.Write(string.Create(CultureInfo.InvariantCulture, $"  {sides[i].Name} {medians[i]:F3} ms ({sides[i].Gemms * flops / medians[i] / 1e6:F0} GFLOP/s)"));
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  scaling {medians[0] / medians[3]:F2}×"));
            }
        }
    }
}
