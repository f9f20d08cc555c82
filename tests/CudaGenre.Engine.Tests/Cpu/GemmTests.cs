using CudaGenre.Engine.Cpu;

namespace CudaGenre.Engine.Tests.Cpu;

public sealed unsafe class GemmTests : IDisposable
{
    private readonly CpuWorkers _cpu = new(3);

    public void Dispose() => _cpu.Dispose();

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 },
        { 6, 16, 8 },
        { 7, 17, 9 },          // one past every tile edge
        { 49, 1000, 2048 },    // ResNet50 fc at batch 1 … and K > KC
        { 150, 64, 147 },      // odd M, K = 7·7·3
        { 73, 33, 513 },       // MC + 1 rows, K = 2·KC + 1
        { 196, 100, 64 },      // a 14×14 map: row blocks dealt out evenly (9, 9, 10 groups of MR)
        { 361, 40, 30 },       // a 19×19 map: 5 blocks of MC made 6 even ones for 3 workers
    };

    [Fact]
    public void RowBlocks_CoverEveryRowOnce_EvenlyAndWithinTheScratch()
    {
        foreach (var workers in new[] { 1, 2, 3, 8 })
        {
            foreach (var rows in new[] { 1, 6, 7, 49, 84, 85, 100, 112, 113, 150, 196, 361, 784, 1369, 3136 })
            {
                var tiling = Gemm.Tile(rows, 256, workers);
                var blocks = Enumerable.Range(0, tiling.RowBlocks).Select(b => tiling.RowBlock(b, rows, Gemm.MC)).ToArray();
                Assert.Equal(0, blocks[0].Start);
                for (var b = 1; b < blocks.Length; b++)
                {
                    Assert.Equal(blocks[b - 1].Start + blocks[b - 1].Count, blocks[b].Start);
                }
                Assert.Equal(rows, blocks[^1].Start + blocks[^1].Count);
                // A packed block fills at most the worker's scratch (one row block up to SingleBlockRows, else MC rows each).
                Assert.All(blocks, block => Assert.InRange(block.Count, 1, Math.Min(Gemm.ScratchLength / Gemm.KC, rows <= Gemm.SingleBlockRows ? Gemm.SingleBlockRows : Gemm.MC)));
                // Even: no block more than one MR-row group (plus the partial last group) larger than another.
                Assert.True(blocks.Max(block => block.Count) - blocks.Min(block => block.Count) <= 2 * Gemm.MR, $"{rows} rows, {workers} workers: {string.Join(", ", blocks)}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesDoublePrecisionReference_WithBiasResidualAndRelu(int m, int n, int k)
    {
        var a = Reference.Random(m * k, 1);
        var b = Reference.Random(k * n, 2);
        var bias = Reference.Random(n, 3);
        var residual = Reference.Random(m * n, 4);
        var expected = Reference.Gemm(a, b, m, k, n, bias, residual, relu: true);

        var c = new float[m * n];
        fixed (float* pa = a, pc = c, pBias = bias, pResidual = residual)
        {
            var epilogue = new GemmEpilogue { Bias = pBias, Residual = pResidual, ResidualStride = n, Relu = true };
            new GemmWork<DenseSource>(new DenseSource(pa, m, k, k), new PackedMatrix(b, k, n), pc, n, epilogue,
                new WorkerScratch(_cpu.Count), _cpu.Count).Run(_cpu);
        }

        // FP32 accumulation of k products of magnitude ≤ 1: error grows like sqrt(k)·eps.
        Assert.True(Reference.ScaledMaxError(c, expected) < 1e-5, $"error {Reference.ScaledMaxError(c, expected)}");
        Assert.Contains(c, v => v == 0f); // ReLU actually clipped something
    }

    [Theory]
    [InlineData(150, 96, 147)]   // 6×64 then 6×32 tiles (96 = 4 + 2 panels), all streamed
    [InlineData(49, 2048, 512)]  // ResNet50 layer4 shape: K > KC, so only the last depth block streams
    [InlineData(98, 80, 64)]     // N = 64 + 16: a lone last panel (the edge tile, not streamed)
    public void StreamedOutput_IsBitIdentical_ToCachedStores(int m, int n, int k)
    {
        if (!Gemm.Wide)
        {
            return; // only the 512-bit kernel streams (CpuPlan asks for it only then)
        }
        var a = Reference.Random(m * k, 12);
        var b = Reference.Random(k * n, 13);
        var bias = Reference.Random(n, 14);
        var residual = Reference.Random(m * n, 15);
        var packed = new PackedMatrix(b, k, n);
        var cached = new float[m * n];
        // Non-temporal stores need 64-byte lines: C starts on one and its rows are whole lines (n is a multiple of 16).
        var streamed = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(m * n * sizeof(float)), 64);
        try
        {
            fixed (float* pa = a, pc = cached, pBias = bias, pResidual = residual)
            {
                var plain = new GemmEpilogue { Bias = pBias, Residual = pResidual, ResidualStride = n, Relu = true };
                new GemmWork<DenseSource>(new DenseSource(pa, m, k, k), packed, pc, n, plain, new WorkerScratch(_cpu.Count), _cpu.Count).Run(_cpu);
                var stream = plain with { Stream = true };
                new GemmWork<DenseSource>(new DenseSource(pa, m, k, k), packed, streamed, n, stream, new WorkerScratch(_cpu.Count), _cpu.Count).Run(_cpu);
            }
            Assert.Equal(cached, new ReadOnlySpan<float>(streamed, m * n).ToArray());
            Assert.True(Reference.ScaledMaxError(cached, Reference.Gemm(a, b, m, k, n, bias, residual, relu: true)) < 1e-5);
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(streamed);
        }
    }

    [Fact]
    public void PlainProduct_WritesIntoStridedOutput_LeavingOtherColumnsAlone()
    {
        const int m = 20, n = 24, k = 30, ldc = 40;
        var a = Reference.Random(m * k, 5);
        var b = Reference.Random(k * n, 6);
        var c = Enumerable.Repeat(7f, m * ldc).ToArray();
        fixed (float* pa = a, pc = c)
        {
            new GemmWork<DenseSource>(new DenseSource(pa, m, k, k), new PackedMatrix(b, k, n), pc, ldc, default,
                new WorkerScratch(_cpu.Count), _cpu.Count).Run(_cpu);
        }
        var expected = Reference.Gemm(a, b, m, k, n);
        for (var i = 0; i < m; i++)
        {
            Assert.True(Reference.ScaledMaxError(c.AsSpan(i * ldc, n), expected.AsSpan(i * n, n)) < 1e-5);
            Assert.All(c.AsSpan(i * ldc + n, ldc - n).ToArray(), v => Assert.Equal(7f, v));
        }
    }

    [Theory]
    [InlineData(3, 3, 1, 1, 5, 3)]     // the CNN's first layer: a kernel row of 3 channels is one 9-float run
    [InlineData(5, 3, 2, 1, 7, 7)]     // 7×7 stride 2, windows cut by every edge
    [InlineData(33, 3, 1, 1, 100, 64)] // K = 297 > KC, blocks starting mid-window and mid-channel
    [InlineData(4, 1, 1, 0, 3, 1)]     // 1×1
    public void PatchSource_PacksEveryBlock_AsExplicitIm2col(int channels, int kernel, int stride, int padding, int k0, int kc)
    {
        var g = new ConvGeometry(2, 6, 5, channels, kernel, kernel, stride, padding);
        var input = Reference.Random(g.Batch * g.Height * g.Width * g.Channels, seed: 21);
        var depth = kernel * kernel * channels;
        kc = Math.Min(kc, depth - k0);
        // From the first row and from rows inside an output row and inside the second image: the pack steps through
        // (image, y, x) from its first row on.
        foreach (var row0 in new[] { 0, 7, g.OutPixels / 2 + 3 })
        {
            var rows = g.OutPixels - row0;
            var packed = new float[rows * kc];
            fixed (float* px = input)
            fixed (float* pd = packed)
            {
                new PatchSource(px, g).Pack(row0, rows, k0, kc, pd);
            }

            for (var m = row0; m < g.OutPixels; m++)
            {
                var (n, rest) = Math.DivRem(m, g.OutHeight * g.OutWidth);
                var (oy, ox) = Math.DivRem(rest, g.OutWidth);
                for (var k = 0; k < kc; k++)
                {
                    var (tap, c) = Math.DivRem(k0 + k, channels);
                    var (ky, kx) = Math.DivRem(tap, kernel);
                    int y = oy * stride - padding + ky, x = ox * stride - padding + kx;
                    var expected = y >= 0 && y < g.Height && x >= 0 && x < g.Width ? input[((n * g.Height + y) * g.Width + x) * channels + c] : 0f;
                    Assert.Equal(expected, packed[(m - row0) * kc + k]);
                }
            }
        }
    }

    [Fact]
    public void PackedB_OfTheWrongLength_IsRefusedNamingTheShape_InBothForms()
    {
        var e = Assert.Throws<ArgumentException>(() => new PackedMatrix(new float[11], 3, 4));
        Assert.Contains("B has 11 values; expected 3×4", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new Bf16PackedMatrix(new float[13], 3, 4));
        Assert.Contains("B has 13 values; expected 3×4", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PackedMatrix([], 0, 4));
    }

    [Theory]
    [InlineData(2, 3, 17, 13, 16, 7, 2, 3)]   // ResNet stem shape, odd sizes
    [InlineData(1, 16, 9, 9, 24, 3, 1, 1)]    // 3×3 same
    [InlineData(3, 8, 10, 7, 5, 3, 2, 1)]     // 3×3 stride 2, N not a multiple of 16
    [InlineData(2, 12, 8, 8, 20, 1, 2, 0)]    // 1×1 stride 2 (ResNet downsample)
    [InlineData(1, 8, 10, 10, 40, 3, 1, 1)]   // 100 rows: one packed row block over MC (Xception's 10×10 maps)
    [InlineData(1, 5, 16, 7, 33, 3, 1, 1)]    // 112 rows: the largest single row block
    public void Convolution_ThroughPatchSource_MatchesDirectConvolution(int batch, int cin, int h, int w, int cout, int kernel, int stride, int padding)
    {
        var x = Reference.Random(batch * cin * h * w, 10);
        var weight = Reference.Random(cout * cin * kernel * kernel, 11);
        var expected = TensorReference.Conv2dNchw(x, batch, cin, h, w, weight, cout, kernel, kernel, stride, padding, 1, null, out var oh, out var ow);

        // Weights [out, in, ky, kx] → B [(ky, kx, in), out], the patch order of PatchSource.
        var depth = kernel * kernel * cin;
        var bRows = new float[depth * cout];
        for (var co = 0; co < cout; co++)
        {
            for (var ci = 0; ci < cin; ci++)
            {
                for (var t = 0; t < kernel * kernel; t++)
                {
                    bRows[(t * cin + ci) * cout + co] = weight[(co * cin + ci) * kernel * kernel + t];
                }
            }
        }
        var nhwc = TensorReference.NchwToNhwc(x, batch, cin, h, w);
        var geometry = new ConvGeometry(batch, h, w, cin, kernel, kernel, stride, padding);
        Assert.Equal((oh, ow), (geometry.OutHeight, geometry.OutWidth));
        var y = new float[geometry.OutPixels * cout];
        fixed (float* px = nhwc, py = y)
        {
            new GemmWork<PatchSource>(new PatchSource(px, geometry), new PackedMatrix(bRows, depth, cout), py, cout, default,
                new WorkerScratch(_cpu.Count), _cpu.Count).Run(_cpu);
        }
        Assert.True(Reference.ScaledMaxError(y, TensorReference.NchwToNhwc(expected, batch, cout, oh, ow)) < 1e-5);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(9, 40)]
    [InlineData(300, 16)]
    [InlineData(147, 64)]
    public void PackedB_StartsOnA64ByteLine_AndHoldsThePanels(int k, int n)
    {
        // Each panel row (16 floats) must be one cache line: a split line costs every 512-bit load of B and one of the
        // two 256-bit loads of each row.
        var b = Reference.Random(k * n, 30);
        var packed = new PackedMatrix(b, k, n);
        Assert.Equal(0, (nint)packed.Values & 63);
        Assert.Equal(packed.Panels * k * Gemm.NR, packed.Data.Length);
        for (var p = 0; p < packed.Panels; p++)
        {
            for (var row = 0; row < k; row++)
            {
                for (var j = 0; j < Gemm.NR; j++)
                {
                    var column = p * Gemm.NR + j;
                    Assert.Equal(column < n ? b[row * n + column] : 0f, packed.Data[(p * k + row) * Gemm.NR + j]);
                    Assert.Equal(packed.Data[(p * k + row) * Gemm.NR + j], packed.Values[(p * k + row) * Gemm.NR + j]);
                }
            }
        }

        // The BF16 form too: pair rows of 16 dwords, B[2r, j] in the low half and B[2r + 1, j] (or 0 past K) in the high one.
        var bf16 = new Bf16PackedMatrix(b, k, n);
        Assert.Equal(0, (nint)bf16.Values & 63);
        for (var p = 0; p < bf16.Panels; p++)
        {
            for (var pair = 0; pair < bf16.Pairs; pair++)
            {
                for (var j = 0; j < Bf16PackedMatrix.PanelColumns; j++)
                {
                    var column = p * Bf16PackedMatrix.PanelColumns + j;
                    uint low = column < n ? CudaGenre.Core.Tensors.ReducedPrecision.SingleToBFloat16(b[2 * pair * n + column]) : 0u;
                    uint high = column < n && 2 * pair + 1 < k ? CudaGenre.Core.Tensors.ReducedPrecision.SingleToBFloat16(b[(2 * pair + 1) * n + column]) : 0u;
                    Assert.Equal(low | high << 16, bf16.Values[(p * bf16.Pairs + pair) * Bf16PackedMatrix.PanelColumns + j]);
                }
            }
        }
    }

    [Fact]
    public void RowGroups_CutEveryBlock_IntoWholeGroups_WithoutAPartialOneWhereTheyCan()
    {
        foreach (var height in new[] { 6, 7 })
        {
            for (var rows = 1; rows <= 500; rows++)
            {
                var groups = RowGroups.Of(rows, height);
                var heights = Enumerable.Range(0, groups.Count).Select(groups.Rows).ToArray();
                Assert.Equal(rows, heights.Sum());
                Assert.All(heights, h => Assert.InRange(h, 1, height));
                // Groups of height and height − 1 can make every count from (height − 1)(height − 2) on.
                if (rows >= (height - 1) * (height - 2))
                {
                    Assert.True(heights.All(h => h >= height - 1), $"{rows} rows in groups of {height}: {string.Join(", ", heights)}");
                }
                // No more groups than whole groups of the full height plus one.
                Assert.True(groups.Count <= rows / height + 1, $"{rows} rows in groups of {height}: {groups.Count} groups");
            }
        }
    }

    public static TheoryData<int> RowCounts => [.. Enumerable.Range(1, 15), 20, 25, 30, 36, 49, 100];

    /// <summary>
    /// Every row count of the register kernels (each a separate JIT-compiled kernel), A in place and packed, full and
    /// partial column panels, two depth blocks: bit for bit the sums the kernels promise, one FMA per product in k order
    /// within a depth block, the blocks added in order, then + bias, + residual, ReLU. Widths of 40, 48 and 56 columns end
    /// a tile in a partial panel, a whole one and a whole one plus a partial one; for the 512-bit kernel's four panels at
    /// once, 40–56 are its edge tile (two panels and a lone one, or four with a partial last), 96–128 its full width
    /// followed by two panels (96), two and a lone one (112), two and a half (104) or another four (128).
    /// </summary>
    [Theory]
    [MemberData(nameof(RowCounts))]
    public void EveryRowGroupHeight_GivesTheFmaSums_BitForBit(int m)
    {
        foreach (var n in new[] { 40, 48, 56, 96, 104, 112, 128 })
        {
            CheckFmaSums(m, n);
        }
    }

    private void CheckFmaSums(int m, int n)
    {
        var k = Gemm.KC + 44;
        var a = Reference.Random(m * k, 21);
        var b = Reference.Random(k * n, 22);
        var bias = Reference.Random(n, 23);
        var residual = Reference.Random(m * n, 24);
        var expected = new float[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var total = 0f;
                for (var k0 = 0; k0 < k; k0 += Gemm.KC)
                {
                    var sum = 0f;
                    for (var kk = k0; kk < Math.Min(k, k0 + Gemm.KC); kk++)
                    {
                        sum = MathF.FusedMultiplyAdd(a[i * k + kk], b[kk * n + j], sum);
                    }
                    total = k0 == 0 ? sum : total + sum;
                }
                expected[i * n + j] = MathF.Max(total + bias[j] + residual[i * n + j], 0f);
            }
        }

        var packed = new PackedMatrix(b, k, n);
        using var one = new CpuWorkers(1);
        foreach (var cpu in new[] { one, _cpu })
        {
            var workers = cpu.Count;
            var inPlace = new float[m * n];
            var copied = new float[m * n];
            fixed (float* pa = a, pBias = bias, pResidual = residual, pIn = inPlace, pCopied = copied)
            {
                var epilogue = new GemmEpilogue { Bias = pBias, Residual = pResidual, ResidualStride = n, Relu = true };
                var work = new GemmWork<DenseSource>(new DenseSource(pa, m, k, k), packed, pIn, n, epilogue, new WorkerScratch(workers), workers);
                work.Run(cpu);
                var copiedWork = new GemmWork<CopiedSource>(new CopiedSource(pa, m, k), packed, pCopied, n, epilogue, new WorkerScratch(workers), workers);
                copiedWork.Run(cpu);
            }
            Assert.Equal(expected, inPlace);
            Assert.Equal(expected, copied);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(6, 1)]
    [InlineData(3, 4)]
    public void ForcedTiling_GivesThePlannersSums_BitForBit_AndNeedsAInPlace(int rowBlocks, int columnTiles)
    {
        // Each output's sum runs over the depth blocks in the same order whoever computes it, so a tiling (the benchmarks
        // force some) cannot change a bit; 361 × 728 × 300 is a 19×19 middle-flow-like map with K > KC.
        const int m = 361, n = 728, k = 300;
        var a = Reference.Random(m * k, 21);
        var packed = new PackedMatrix(Reference.Random(k * n, 22), k, n);
        var bias = Reference.Random(n, 23);
        var planned = new float[m * n];
        var forced = new float[m * n];
        fixed (float* pa = a, pPlanned = planned, pForced = forced, pBias = bias)
        {
            var epilogue = new GemmEpilogue { Bias = pBias, Relu = true };
            var scratch = new WorkerScratch(_cpu.Count);
            new GemmWork<DenseSource>(new DenseSource(pa, m, k, k), packed, pPlanned, n, epilogue, scratch, _cpu.Count).Run(_cpu);
            var panels = (n + Gemm.NR - 1) / Gemm.NR;
            var tiling = new GemmTiling(rowBlocks, columnTiles, (panels + columnTiles - 1) / columnTiles, Gemm.MR);
            var work = new GemmWork<DenseSource>(new DenseSource(pa, m, k, k), packed, pForced, n, epilogue, scratch, _cpu.Count, tiling);
            Assert.Equal(tiling, work.Tiling);
            work.Run(_cpu);

            // A packed A's row block must fit the scratch, which a forced tiling does not know: refused.
            ArgumentException? refused = null;
            try
            {
                _ = new GemmWork<CopiedSource>(new CopiedSource(pa, m, k), packed, pForced, n, epilogue, scratch, _cpu.Count, tiling);
            }
            catch (ArgumentException e)
            {
                refused = e;
            }
            Assert.NotNull(refused);
            Assert.Contains("in place", refused.Message, StringComparison.Ordinal);
        }
        Assert.Equal(planned, forced);
    }

    /// <summary>A dense A that must be packed (as the patch view of a convolution must).</summary>
    private readonly struct CopiedSource(float* data, int rows, int depth) : IGemmSource
    {
        public int Rows => rows;

        public int Depth => depth;

        public float* InPlace => null;

        public int InPlaceStride => 0;

        public void Pack(int row0, int rowCount, int k0, int kc, float* destination)
        {
            for (var r = 0; r < rowCount; r++)
            {
                new ReadOnlySpan<float>(data + (long)(row0 + r) * depth + k0, kc).CopyTo(new Span<float>(destination + (long)r * kc, kc));
            }
        }
    }
}
