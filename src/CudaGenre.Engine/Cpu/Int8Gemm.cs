using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// The right-hand operand B [K, N] of an INT8 GEMM (a convolution's weights), quantized once at load time: per output
/// column a scale (largest |w| / 127) and values in [−127, 127]. Packed in panels of <see cref="PanelColumns"/>
/// columns, each ⌈K/4⌉ rows of 16 × 4 bytes: byte 4j + i of row r is B[4r + i, j]; K is padded to a multiple of 4 and N
/// to 16 with zeros. A quarter of the FP32 <see cref="PackedMatrix"/>'s bytes.
/// </summary>
internal sealed unsafe class Int8PackedMatrix
{
    /// <summary>Columns per panel: two ymm of int32 sums.</summary>
    public const int PanelColumns = 16;

    /// <summary>The largest quantized weight (and −127 the smallest): 8 bits.</summary>
    public const int MaxWeight = 127;

    /// <summary>
    /// The deepest GEMM this form takes: an int32 sum of K products of at most 127 · 127 (and the zero-point term of the
    /// same size) stays under 2³¹ for K ≤ 65 536.
    /// </summary>
    public const int MaxDepth = 65536;

    /// <summary>Quantizes and packs B given row-major as <paramref name="b"/>[k · <paramref name="n"/> + j].</summary>
    public Int8PackedMatrix(ReadOnlySpan<float> b, int k, int n)
    {
        if (k > MaxDepth)
        {
            throw new NotSupportedException($"an INT8 GEMM takes a depth of at most {MaxDepth} (its int32 sums could overflow); this one is {k} deep.");
        }
        K = k;
        N = n;
        DepthPadded = (k + 3) / 4 * 4;
        Panels = (n + PanelColumns - 1) / PanelColumns;
        var total = PackedMatrix.RequireShape(b, k, n, (long)Panels * DepthPadded * PanelColumns + LineAligned.Slack<sbyte>(), "INT8 weights");
        (_storage, _offset) = LineAligned.Allocate<sbyte>(total, zeroed: true);
        _scales = GC.AllocateArray<float>(Panels * PanelColumns, pinned: true);
        _sums = GC.AllocateArray<int>(Panels * PanelColumns, pinned: true);
        var values = _storage.AsSpan(_offset);
        for (var j = 0; j < n; j++)
        {
            var largest = 0f;
            for (var i = 0; i < k; i++)
            {
                largest = MathF.Max(largest, MathF.Abs(b[i * n + j]));
            }
            if (!float.IsFinite(largest))
            {
                _scales[j] = float.NaN; // a non-finite weight makes its column's outputs NaN, as in FP32
                continue;
            }
            var scale = largest / MaxWeight;
            _scales[j] = scale;
            if (scale == 0)
            {
                continue;
            }
            var sum = 0;
            for (var i = 0; i < k; i++)
            {
                var q = (sbyte)Math.Clamp((int)MathF.Round(b[i * n + j] / scale), -MaxWeight, MaxWeight);
                values[Index(i, j)] = q;
                sum += q;
            }
            _sums[j] = sum;
        }
    }

    /// <summary>Depth (rows of B).</summary>
    public int K { get; }

    /// <summary>Columns of B (output features).</summary>
    public int N { get; }

    /// <summary>K rounded up to a multiple of 4.</summary>
    public int DepthPadded { get; }

    /// <summary>Panels of <see cref="PanelColumns"/> columns.</summary>
    public int Panels { get; }

    private readonly sbyte[] _storage; // pinned, so its address (and the aligned start) never changes
    private readonly int _offset;
    private readonly float[] _scales; // pinned; per column, 0 past N
    private readonly int[] _sums; // pinned; per column, Σ_k of the quantized weights

    /// <summary>The packed values: panel p at [p · DepthPadded · 16].</summary>
    public sbyte* Values => (sbyte*)Unsafe.AsPointer(ref _storage[_offset]);

    /// <summary>Per column: the FP32 value of one quantized step.</summary>
    public float* Scales => (float*)Unsafe.AsPointer(ref _scales[0]);

    /// <summary>Per column: the sum of its quantized weights (for the activations' zero point).</summary>
    public int* ColumnSums => (int*)Unsafe.AsPointer(ref _sums[0]);

    /// <summary>The quantized B[i, j] (tests).</summary>
    internal sbyte this[int i, int j] => _storage[_offset + Index(i, j)];

    /// <summary>Per column scale (tests).</summary>
    internal float Scale(int j) => _scales[j];

    private int Index(int i, int j) => (j / PanelColumns * DepthPadded + i / 4 * 4) * PanelColumns + j % PanelColumns * 4 + i % 4;
}

/// <summary>
/// INT8 GEMM C[M, N] = epilogue(A · B) on AVX2, for <see cref="CpuGemmKind.Int8"/>. B is <see cref="Int8PackedMatrix"/>
/// (8-bit per column). A is quantized as it is read, one row at a time (dynamic quantization: no calibration): each row's
/// range, widened to include 0, is mapped onto [0, 127] with a zero point (q = round(a · 127 / (max − min)) + zero,
/// rounded to nearest even and clamped), so a padding zero stays exactly zero. 7 bits for A, 8 for B, because
/// VPMADDUBSW adds two u8 × s8 products in saturating int16: with q ≤ 127 and |w| ≤ 127 the pair is at most 32 258 and
/// never saturates on CPUs without VNNI; on the trained models this split gave 2.2–2.4× less logit
/// error than 8-bit A with 7-bit B on two of three, 1.1× on the third (session 20, benchmarks/results/int8-cpu-accuracy-2026-12-07.md).
/// A 4 × 16 register tile sums VPMADDUBSW (four
/// u8 × s8 products to two int16) → VPMADDWD with ones (to int32) → VPADDD over the whole depth at once (an int32 sum
/// is exact; B's rows are a quarter of FP32's, so a panel's slice of up to 4 096 deep is 64 KiB); then
/// C = (Σ − zero · Σ_k B[k, j]) · rowScale · columnScale, and <see cref="Gemm"/>'s epilogue (bias, residual, ReLU).
/// Two to three times the FP32 kernel's rate on a Zen 3 (benchmarks/results/raw-2026-12-07-session20/int8-prototype.txt).
/// </summary>
internal static unsafe class Int8Gemm
{
    /// <summary>Rows of the register tile: 8 int32 accumulators, with the B vectors, the broadcast, ones and a temporary, 13 of AVX2's 16 registers.</summary>
    public const int MR = 4;

    /// <summary>Columns of the register tile (one panel).</summary>
    public const int NR = Int8PackedMatrix.PanelColumns;

    /// <summary>Bytes of quantized A a row block may hold (it stays in L2 while the tile's panels pass).</summary>
    private const int BlockBytes = 96 * 1024;

    /// <summary>The most rows of a row block.</summary>
    private const int MaxRowBlock = 72;

    /// <summary>The largest quantized value of A: its range is [0, 127] (see the class).</summary>
    public const int Top = 127;

    private const float Levels = Top;

    /// <summary>Rows of a row block for a depth of <paramref name="depthPadded"/>: a multiple of <see cref="MR"/>, ≤ 72, the block within <see cref="BlockBytes"/>.</summary>
    public static int RowBlock(int depthPadded) => Math.Clamp(BlockBytes / depthPadded / MR * MR, MR, MaxRowBlock);

    /// <summary>Floats of per-worker scratch for a GEMM <paramref name="k"/> deep: FP32 rows of one register tile, the quantized row block, and each row's scale and zero point.</summary>
    public static int ScratchLength(int k)
    {
        var padded = (k + 3) / 4 * 4;
        return checked(MR * k + RowBlock(padded) * padded / 4 + 2 * MaxRowBlock);
    }

    /// <summary>How an INT8 GEMM is cut into tiles: <see cref="Gemm.Tile"/>'s rule with this kernel's row block and 16-column panels.</summary>
    public static GemmTiling Tile(int m, int k, int n, int workers) =>
        GemmTiling.Split(m, RowBlock((k + 3) / 4 * 4), (n + NR - 1) / NR, workers, minPanelsPerTile: 4, panelsPerKernel: 1);

    /// <summary>Computes one tile of C = epilogue(A · B): the rows of row block tile / columnTiles, the panels of tile % columnTiles.</summary>
    /// <param name="a">The source of A.</param>
    /// <param name="b">B, quantized and packed.</param>
    /// <param name="c">C, row-major with row stride <paramref name="ldc"/> floats.</param>
    /// <param name="ldc">Row stride of C in floats.</param>
    /// <param name="epilogue">Bias, residual and ReLU.</param>
    /// <param name="tiling">The tiling from <see cref="Tile"/>.</param>
    /// <param name="tile">Which tile.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/>(K) floats owned by the calling worker.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ComputeTile<TSource>(ref TSource a, Int8PackedMatrix b, float* c, int ldc, in GemmEpilogue epilogue,
        GemmTiling tiling, int tile, float* scratch)
        where TSource : struct, IGemmSource
    {
        var k = a.Depth;
        var kp = b.DepthPadded;
        var rowBlock = RowBlock(kp);
        var (m0, mc) = tiling.RowBlock(tile / tiling.ColumnTiles, a.Rows, rowBlock);
        var p0 = tile % tiling.ColumnTiles * tiling.PanelsPerTile;
        var p1 = Math.Min(b.Panels, p0 + tiling.PanelsPerTile);
        var rows = scratch;
        var block = (byte*)(scratch + MR * k);
        var rowScale = scratch + MR * k + rowBlock * kp / 4;
        var rowZero = (int*)(rowScale + MaxRowBlock);

        // Quantize the row block once; every panel of the tile then reads it.
        var inPlace = a.InPlace;
        for (var r0 = 0; r0 < mc; r0 += MR)
        {
            var count = Math.Min(MR, mc - r0);
            float* source;
            long stride;
            if (inPlace != null)
            {
                source = inPlace + (long)(m0 + r0) * a.InPlaceStride;
                stride = a.InPlaceStride;
            }
            else
            {
                a.Pack(m0 + r0, count, 0, k, rows);
                source = rows;
                stride = k;
            }
            for (var r = 0; r < count; r++)
            {
                QuantizeRow(source + r * stride, k, kp, block + (long)(r0 + r) * kp, out rowScale[r0 + r], out rowZero[r0 + r]);
            }
        }

        var edge = stackalloc float[MR * NR];
        for (var p = p0; p < p1; p++)
        {
            var n0 = p * NR;
            var columns = Math.Min(NR, b.N - n0);
            var panel = b.Values + (long)p * kp * NR;
            var scales = b.Scales + n0;
            var sums = b.ColumnSums + n0;
            for (var r0 = 0; r0 < mc; r0 += MR)
            {
                var count = Math.Min(MR, mc - r0);
                var cTile = c + (long)(m0 + r0) * ldc + n0;
                var full = columns == NR;
                var target = full ? cTile : edge;
                var targetStride = full ? ldc : NR;
                var aGroup = block + (long)r0 * kp;
                switch (count)
                {
                    case 4: Kernel<Rows4>(kp / 4, aGroup, kp, panel, target, targetStride, scales, sums, rowScale + r0, rowZero + r0); break;
                    case 3: Kernel<Rows3>(kp / 4, aGroup, kp, panel, target, targetStride, scales, sums, rowScale + r0, rowZero + r0); break;
                    case 2: Kernel<Rows2>(kp / 4, aGroup, kp, panel, target, targetStride, scales, sums, rowScale + r0, rowZero + r0); break;
                    default: Kernel<Rows1>(kp / 4, aGroup, kp, panel, target, targetStride, scales, sums, rowScale + r0, rowZero + r0); break;
                }
                if (!full)
                {
                    for (var r = 0; r < count; r++)
                    {
                        new ReadOnlySpan<float>(edge + r * NR, columns).CopyTo(new Span<float>(cTile + (long)r * ldc, columns));
                    }
                }
                Gemm.Finish(cTile, ldc, m0 + r0, n0, count, columns, epilogue);
            }
        }
    }

    /// <summary>
    /// One row of A to u8 with its own scale and zero point: [min(x, 0), max(x, 0)] onto [0, 127]. A row with a NaN or an
    /// infinity gets a NaN scale (its outputs are NaN, as in FP32); an all-zero row a scale of 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void QuantizeRow(float* x, int k, int kp, byte* q, out float scale, out int zero)
    {
        var low = Vector256<float>.Zero;
        var high = Vector256<float>.Zero;
        var finite = Vector256<float>.Zero; // x − x is 0 for finite x, NaN otherwise
        var i = 0;
        for (; i + 8 <= k; i += 8)
        {
            var v = Vector256.Load(x + i);
            low = Avx.Min(low, v);
            high = Avx.Max(high, v);
            finite += v - v;
        }
        var lo = Math.Min(0f, Math.Min(Math.Min(Math.Min(low[0], low[1]), Math.Min(low[2], low[3])), Math.Min(Math.Min(low[4], low[5]), Math.Min(low[6], low[7]))));
        var hi = Math.Max(0f, Math.Max(Math.Max(Math.Max(high[0], high[1]), Math.Max(high[2], high[3])), Math.Max(Math.Max(high[4], high[5]), Math.Max(high[6], high[7]))));
        var check = Vector256.Sum(finite);
        for (var j = i; j < k; j++)
        {
            lo = Math.Min(lo, x[j]);
            hi = Math.Max(hi, x[j]);
            check += x[j] - x[j];
        }
        // A range too small for its reciprocal (denormal) reads as zero too: its values are below 1e-37.
        if (!float.IsFinite(check) || !float.IsFinite(Levels / (hi - lo)))
        {
            scale = float.IsFinite(check) ? 0 : float.NaN;
            zero = 0;
            new Span<byte>(q, kp).Clear();
            return;
        }
        scale = (hi - lo) / Levels;
        var inverse = Levels / (hi - lo);
        zero = Math.Clamp((int)MathF.Round(-lo * inverse), 0, Top);
        var inverseVector = Vector256.Create(inverse);
        var zeroVector = Vector256.Create((float)zero);
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        var top = Vector256.Create(Top);
        i = 0;
        for (; i + 32 <= k; i += 32)
        {
            // Round to nearest even (MXCSR's default), cap at 127 (the top can round to 128), and let the two packing
            // steps saturate below at 0; the packs work within 128-bit lanes, and the dword permutation puts the 32
            // bytes back in order.
            var q0 = Avx2.Min(Avx.ConvertToVector256Int32(Fma.MultiplyAdd(Vector256.Load(x + i), inverseVector, zeroVector)), top);
            var q1 = Avx2.Min(Avx.ConvertToVector256Int32(Fma.MultiplyAdd(Vector256.Load(x + i + 8), inverseVector, zeroVector)), top);
            var q2 = Avx2.Min(Avx.ConvertToVector256Int32(Fma.MultiplyAdd(Vector256.Load(x + i + 16), inverseVector, zeroVector)), top);
            var q3 = Avx2.Min(Avx.ConvertToVector256Int32(Fma.MultiplyAdd(Vector256.Load(x + i + 24), inverseVector, zeroVector)), top);
            var bytes = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(q0, q1), Avx2.PackSignedSaturate(q2, q3));
            Avx2.PermuteVar8x32(bytes.AsInt32(), order).Store((int*)(q + i));
        }
        for (; i < k; i++)
        {
            q[i] = (byte)Math.Clamp((int)MathF.Round(MathF.FusedMultiplyAdd(x[i], inverse, zero)), 0, Top);
        }
        for (; i < kp; i++)
        {
            q[i] = 0; // B is 0 there
        }
    }

    /// <summary>
    /// The register tile: C[R, 16] = (Σ_k A[r, k] · B[k, j] − zero[r] · Σ_k B[k, j]) · rowScale[r] · columnScale[j] for
    /// R = <typeparamref name="R"/> rows, the whole depth in one pass (<paramref name="k4"/> steps of 4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<R>(nint k4, byte* a, int lda, sbyte* b, float* c, int ldc, float* columnScale, int* columnSum, float* rowScale, int* rowZero)
        where R : struct, IRowCount
    {
        var ones = Vector256.Create((short)1);
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        byte* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (nint k = 0; k < k4; k++)
        {
            var b0 = Vector256.Load(b).AsSByte();
            var b1 = Vector256.Load(b + 32).AsSByte();
            var v = Vector256.Create(*(int*)(a + 4 * k)).AsByte();
            c00 = Avx2.Add(c00, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(v, b0), ones));
            c01 = Avx2.Add(c01, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(v, b1), ones));
            if (R.Count > 1)
            {
                v = Vector256.Create(*(int*)(a1 + 4 * k)).AsByte();
                c10 = Avx2.Add(c10, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(v, b0), ones));
                c11 = Avx2.Add(c11, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(v, b1), ones));
            }
            if (R.Count > 2)
            {
                v = Vector256.Create(*(int*)(a2 + 4 * k)).AsByte();
                c20 = Avx2.Add(c20, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(v, b0), ones));
                c21 = Avx2.Add(c21, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(v, b1), ones));
            }
            if (R.Count > 3)
            {
                v = Vector256.Create(*(int*)(a3 + 4 * k)).AsByte();
                c30 = Avx2.Add(c30, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(v, b0), ones));
                c31 = Avx2.Add(c31, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(v, b1), ones));
            }
            b += 64;
        }
        var s0 = Vector256.Load(columnScale);
        var s1 = Vector256.Load(columnScale + 8);
        var sum0 = Vector256.Load(columnSum);
        var sum1 = Vector256.Load(columnSum + 8);
        Store(c, c00, c01, s0, s1, sum0, sum1, rowScale[0], rowZero[0]);
        if (R.Count > 1) Store(c + ldc, c10, c11, s0, s1, sum0, sum1, rowScale[1], rowZero[1]);
        if (R.Count > 2) Store(c + 2 * ldc, c20, c21, s0, s1, sum0, sum1, rowScale[2], rowZero[2]);
        if (R.Count > 3) Store(c + 3 * ldc, c30, c31, s0, s1, sum0, sum1, rowScale[3], rowZero[3]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<int> left, Vector256<int> right, Vector256<float> s0, Vector256<float> s1,
        Vector256<int> sum0, Vector256<int> sum1, float rowScale, int rowZero)
    {
        var zero = Vector256.Create(rowZero);
        var scale = Vector256.Create(rowScale);
        (Avx.ConvertToVector256Single(Avx2.Subtract(left, Avx2.MultiplyLow(zero, sum0))) * (s0 * scale)).Store(c);
        (Avx.ConvertToVector256Single(Avx2.Subtract(right, Avx2.MultiplyLow(zero, sum1))) * (s1 * scale)).Store(c + 8);
    }
}

/// <summary>One planned INT8 GEMM as parallel work, like <see cref="GemmWork{TSource}"/>.</summary>
internal sealed unsafe class Int8GemmWork<TSource>(TSource a, Int8PackedMatrix b, float* c, int ldc, GemmEpilogue epilogue, WorkerScratch scratch, int workers)
    : IParallelWork
    where TSource : struct, IGemmSource
{
    private TSource _a = a.Depth == b.K ? a : throw new ArgumentException($"A is {a.Depth} deep, B {b.K}.", nameof(a));

    /// <summary>The tiling used by <see cref="Execute"/>.</summary>
    public GemmTiling Tiling { get; } = Int8Gemm.Tile(a.Rows, b.K, b.N, workers);

    /// <summary>Runs the whole GEMM on <paramref name="cpu"/>.</summary>
    public void Run(CpuWorkers cpu) => cpu.Run(this, Tiling.Count);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int item, int worker) =>
        Int8Gemm.ComputeTile(ref _a, b, c, ldc, epilogue, Tiling, item, scratch.For(worker));
}
