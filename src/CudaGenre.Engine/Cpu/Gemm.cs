using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// Where the left-hand operand A [M, K] of a GEMM comes from. Convolutions read their input through a
/// patch view (implicit im2col), so A is never materialized; the GEMM copies only an
/// <see cref="Gemm.MC"/> × <see cref="Gemm.KC"/> block of it at a time into cache-friendly order.
/// </summary>
internal unsafe interface IGemmSource
{
    /// <summary>Rows of A (output pixels or batch items).</summary>
    int Rows { get; }

    /// <summary>Columns of A (the reduction depth K).</summary>
    int Depth { get; }

    /// <summary>Writes A[row0 + r, k0 + k] to <paramref name="destination"/>[r · kc + k] for r &lt; rows and k &lt; kc.</summary>
    void Pack(int row0, int rows, int k0, int kc, float* destination);

    /// <summary>
    /// A in place, when its rows can be read where they are: A[row, k] = InPlace[row · <see cref="InPlaceStride"/> + k].
    /// Null when A must be packed (implicit im2col). Reading in place saves the copy, which costs as much as the
    /// arithmetic when N is small (a 1×1 convolution to 64 channels).
    /// </summary>
    float* InPlace { get; }

    /// <summary>Row stride of <see cref="InPlace"/> in floats.</summary>
    int InPlaceStride { get; }
}

/// <summary>What happens to each output value after the sum: + bias[column], + residual[row, column], then ReLU.</summary>
internal readonly unsafe struct GemmEpilogue
{
    /// <summary>Per-column bias (N floats), or null.</summary>
    public float* Bias { get; init; }

    /// <summary>A matrix added element-wise (same shape as C), or null — ResNet's identity path.</summary>
    public float* Residual { get; init; }

    /// <summary>Row stride of <see cref="Residual"/> in floats.</summary>
    public int ResidualStride { get; init; }

    /// <summary>Whether ReLU is applied last.</summary>
    public bool Relu { get; init; }

    /// <summary>
    /// Whether finished tiles are written with non-temporal stores (straight to memory, without first reading each
    /// line into the cache): for outputs larger than the caches, which no cache would keep for the next step anyway.
    /// C and its row stride must then be 64-byte aligned. A hint: the register kernel's full-width tiles (of any row count)
    /// honour it; tiles of fewer columns, the BF16 GEMM and Winograd store as usual. The planner sets it only for the
    /// 512-bit kernel, where it was measured.
    /// </summary>
    public bool Stream { get; init; }
}

/// <summary>
/// Single-precision GEMM C[M, N] = epilogue(A · B), cache-blocked in the manner of BLIS: B is packed
/// once at load time (<see cref="PackedMatrix"/>), A is copied per MC × KC block into a contiguous
/// row-major block (contiguous copies, so packing costs little even when N is small), and a register
/// micro-kernel accumulates with fused multiply-adds, reading <see cref="MR"/> A rows side by side.
/// One micro-kernel source in two widths (<see cref="ILanes{TVector}"/>): 6 rows × 64 columns (four panels) in 512-bit
/// vectors where .NET accelerates them (a CPU with a full 512-bit data path, such as Zen 5, does twice the FLOPs per
/// instruction of 256-bit code; 24 of its 32 registers hold sums, as in MLAS's AVX-512 kernel, which was 3–4 % faster per
/// FLOP than the 7 × 32 tile used before, session 21), else 6 × 16 in 256-bit vectors (16 registers under AVX2;
/// NativeAOT's x86-64-v3 target). Each kernel also comes in every smaller row count (<see cref="RowGroups"/>: a block is
/// cut into groups of MR and MR − 1 rows, 49 = 4·6 + 5·5, and A is read only where it is, never padded). The unit of parallel work is a tile of
/// MC rows × a run of column panels, so small-M layers (batch 1, 7 × 7 maps) still use every core.
/// Sums run in K order in blocks of <see cref="KC"/>, each block accumulated with FMA whatever the kernel, so both
/// kernels give bit-identical results; they are not bit-identical to another BLAS, but agree to float rounding.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>Whether the 512-bit micro-kernel is used (a JIT-time constant).</summary>
    public static bool Wide => Vector512.IsHardwareAccelerated;

    /// <summary>Rows of the micro-kernel's register tile.</summary>
    public static int MR => 6;

    /// <summary>Columns of a packed B panel (<see cref="PackedMatrix"/>); the 512-bit kernel reads four panels at once.</summary>
    public const int NR = 16;

    /// <summary>Column panels one micro-kernel call covers (the 512-bit kernel also runs over two, at a tile's edge).</summary>
    public static int PanelsPerKernel => Wide ? 4 : 1;

    /// <summary>
    /// Depth block: the B panels of one kernel call at this depth stay in L1 on the 256-bit kernel (16 KiB); the 512-bit
    /// kernel's four panels take 64 KiB, more than a Zen 5's 48 KiB L1, and still ran 3–4 % faster per FLOP than two
    /// (benchmarks/results/cpu-batch1-2026-12-06.md §15); a 128-deep block (MLAS's) ran 0–5 % slower on Xception (session 22).
    /// </summary>
    public const int KC = 256;

    /// <summary>Row block: an A block of MC × KC floats (72–84 KiB) stays in L2 (84 rows on the 512-bit kernel, as with its earlier 7-row tile).</summary>
    public static int MC => Wide ? 84 : MR * 12;

    /// <summary>
    /// The most rows kept as one row block: a GEMM with few rows and many weights (Xception's 10×10 layers at batch 1:
    /// M = 100, B of 6–12 MB, colder than any cache in a whole pass) reads each weight in one tile instead of two when
    /// its rows are not split (2.8 → 2.2 ms on two threads). Not a larger MC for all: 14×14 maps as 2 blocks × 2 column
    /// tiles ran slower than 4 × 1 (benchmarks/results/cpu-batch1-2026-12-06.md). With the 256-bit kernel this is 96
    /// rows, so the 10×10 maps stay 2 × 2 tiles on AVX2: as one block they ran 3–37 % slower on Zen 3, where the two
    /// workers sweeping all of B together share its fetches from memory (session 17).
    /// </summary>
    public static int SingleBlockRows => Wide ? 112 : MR * 16;

    /// <summary>Floats of per-worker scratch that <see cref="ComputeTile{TSource}"/> needs (for either kernel).</summary>
    public const int ScratchLength = 7 * 16 * KC;

    /// <summary>
    /// How a GEMM of M rows and N columns is cut into tiles for <paramref name="workers"/> workers:
    /// one row block up to <see cref="SingleBlockRows"/> rows, else row blocks of up to MC rows, as even as whole MR-row groups allow, and column panels grouped so there are a few
    /// tiles per worker.
    /// </summary>
    public static GemmTiling Tile(int m, int n, int workers) =>
        GemmTiling.Split(m, m <= SingleBlockRows ? SingleBlockRows : MC, (n + NR - 1) / NR, workers, minPanelsPerTile: 4, PanelsPerKernel, evenGroup: MR);

    /// <summary>
    /// Computes one tile of C = epilogue(A · B): rows of row block <paramref name="tile"/> / columnTiles,
    /// the column panels of tile <paramref name="tile"/> % columnTiles. Tiles are independent.
    /// </summary>
    /// <param name="a">The source of A.</param>
    /// <param name="b">B, packed.</param>
    /// <param name="c">C, row-major with row stride <paramref name="ldc"/> floats.</param>
    /// <param name="ldc">Row stride of C in floats.</param>
    /// <param name="epilogue">Bias, residual and ReLU applied after the last depth block.</param>
    /// <param name="tiling">The tiling from <see cref="Tile"/>.</param>
    /// <param name="tile">Which tile.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> floats owned by the calling worker.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ComputeTile<TSource>(ref TSource a, PackedMatrix b, float* c, int ldc, in GemmEpilogue epilogue,
        GemmTiling tiling, int tile, float* scratch)
        where TSource : struct, IGemmSource
    {
        var mr = MR;
        var step = PanelsPerKernel;
        var (m0, mc) = tiling.RowBlock(tile / tiling.ColumnTiles, a.Rows, MC);
        var p0 = tile % tiling.ColumnTiles * tiling.PanelsPerTile;
        var p1 = Math.Min(b.Panels, p0 + tiling.PanelsPerTile);
        var k = a.Depth;
        var groups = RowGroups.Of(mc, mr);

        // The kernels read only their rows, so A in place needs no copy at all; a packed block holds exactly mc rows.
        var inPlace = a.InPlace;
        var lda = inPlace == null ? 0 : a.InPlaceStride;
        var bData = b.Values;
        for (var k0 = 0; k0 < k; k0 += KC)
        {
            var kc = Math.Min(KC, k - k0);
            if (inPlace == null)
            {
                a.Pack(m0, mc, k0, kc, scratch);
            }
            var aBlock = inPlace == null ? scratch : inPlace + (long)m0 * lda + k0;
            var stride = inPlace == null ? kc : lda;

            var first = k0 == 0;
            var last = k0 + kc >= k;
            for (var p = p0; p < p1; p += step)
            {
                var n0 = p * NR;
                var panels = Math.Min(step, p1 - p);
                var columns = Math.Min(panels * NR, b.N - n0);
                var panel = bData + (long)p * k * NR + (long)k0 * NR;
                var right = (nint)k * NR; // from one panel to the next
                var direct = columns == panels * NR && (panels == step || (Wide && panels == 2));
                var r0 = 0;
                for (var g = 0; g < groups.Count; g++)
                {
                    var rows = groups.Rows(g);
                    var row = m0 + r0;
                    var cTile = c + (long)row * ldc + n0;
                    var aGroup = aBlock + (long)r0 * stride;
                    r0 += rows;
                    if (!direct)
                    {
                        EdgeTile(kc, aGroup, stride, panel, right, panels, cTile, ldc, rows, columns, !first);
                        if (last)
                        {
                            Finish(cTile, ldc, row, n0, rows, columns, epilogue);
                        }
                        continue;
                    }
                    // The epilogue in registers on the last depth block: no second pass over the tile.
                    var finish = last ? TileEpilogue.For(epilogue, row, n0) : default;
                    Kernel(rows, panels, kc, aGroup, stride, panel, right, cTile, ldc, !first, finish);
                }
            }
        }
        if (epilogue.Stream)
        {
            System.Runtime.Intrinsics.X86.Sse.StoreFence(); // the non-temporal stores reach memory before the step ends
        }
    }

    /// <summary>
    /// A tile of fewer columns than the kernel's goes through a full-size stack tile so the kernel never writes out of
    /// bounds (it reads only its <paramref name="rows"/> rows of A).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EdgeTile(int kc, float* a, int lda, float* panel, nint right, int panels, float* c, int ldc, int rows, int columns, bool accumulate)
    {
        const int width = 4 * NR;
        var tile = stackalloc float[7 * width]; // Kernel7x16 writes seven rows
        if (accumulate)
        {
            for (var r = 0; r < rows; r++)
            {
                new ReadOnlySpan<float>(c + (long)r * ldc, columns).CopyTo(new Span<float>(tile + r * width, columns));
            }
        }
        // The panels left, in the widest kernels that fit: four or two at once, a lone one on its own (512-bit).
        for (var q = 0; q < panels;)
        {
            var take = !Wide || panels - q == 4 ? PanelsPerKernel : panels - q >= 2 ? 2 : 1;
            if (take == 1 && Wide)
            {
                Kernel7x16(rows, kc, a, lda, panel + q * right, tile + q * NR, width, accumulate);
            }
            else
            {
                Kernel(rows, take, kc, a, lda, panel + q * right, right, tile + q * NR, width, accumulate, default);
            }
            q += take;
        }
        for (var r = 0; r < rows; r++)
        {
            new ReadOnlySpan<float>(tile + r * width, columns).CopyTo(new Span<float>(c + (long)r * ldc, columns));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Finish(float* c, int ldc, int row0, int n0, int rows, int columns, in GemmEpilogue e)
    {
        if (e.Bias == null && e.Residual == null && !e.Relu)
        {
            return;
        }
        for (var r = 0; r < rows; r++)
        {
            var cRow = c + (long)r * ldc;
            var residual = e.Residual == null ? null : e.Residual + (long)(row0 + r) * e.ResidualStride + n0;
            var bias = e.Bias == null ? null : e.Bias + n0;
            var j = 0;
            for (; j + Vector256<float>.Count <= columns; j += Vector256<float>.Count)
            {
                var v = Vector256.Load(cRow + j);
                if (bias != null)
                {
                    v += Vector256.Load(bias + j);
                }
                if (residual != null)
                {
                    v += Vector256.Load(residual + j);
                }
                if (e.Relu)
                {
                    v = Lanes8.Relu(v);
                }
                v.Store(cRow + j);
            }
            for (; j < columns; j++)
            {
                var v = cRow[j];
                if (bias != null)
                {
                    v += bias[j];
                }
                if (residual != null)
                {
                    v += residual[j];
                }
                cRow[j] = e.Relu ? MathF.Max(v, 0f) : v;
            }
        }
    }

    /// <summary>
    /// The register kernel for a group of <paramref name="rows"/> rows (1–<see cref="MR"/>) over <paramref name="panels"/>
    /// panels at <paramref name="panel"/>, <paramref name="right"/> floats apart: four (or two) in 512-bit vectors, one
    /// (two 256-bit halves) otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel(int rows, int panels, int kc, float* a, int lda, float* panel, nint right, float* c, int ldc, bool accumulate, in TileEpilogue finish)
    {
        if (Wide)
        {
            if (panels == 4)
            {
                Kernel<Lanes16, Vector512<float>, Vectors4>(rows, kc, a, lda, panel, right, c, ldc, accumulate, finish);
            }
            else
            {
                Kernel<Lanes16, Vector512<float>, Vectors2>(rows, kc, a, lda, panel, right, c, ldc, accumulate, finish);
            }
        }
        else
        {
            // A 256-bit row of the tile is the two halves of one 16-column panel.
            Kernel<Lanes8, Vector256<float>, Vectors2>(rows, kc, a, lda, panel, Vector256<float>.Count, c, ldc, accumulate, finish);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel<TLanes, TVector, V>(int rows, int kc, float* a, int lda, float* b, nint right, float* c, int ldc, bool accumulate, in TileEpilogue finish)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where V : struct, IVectorCount
    {
        switch (rows)
        {
            case 6: Kernel<TLanes, TVector, Rows6, V>(kc, a, lda, b, right, c, ldc, accumulate, finish); break;
            case 5: Kernel<TLanes, TVector, Rows5, V>(kc, a, lda, b, right, c, ldc, accumulate, finish); break;
            case 4: Kernel<TLanes, TVector, Rows4, V>(kc, a, lda, b, right, c, ldc, accumulate, finish); break;
            case 3: Kernel<TLanes, TVector, Rows3, V>(kc, a, lda, b, right, c, ldc, accumulate, finish); break;
            case 2: Kernel<TLanes, TVector, Rows2, V>(kc, a, lda, b, right, c, ldc, accumulate, finish); break;
            default: Kernel<TLanes, TVector, Rows1, V>(kc, a, lda, b, right, c, ldc, accumulate, finish); break;
        }
    }

    /// <summary>
    /// The register tile, written once for both widths: C[R, V·W] (+)= A[R][kc] · [b | b + right | …][kc][W] for R =
    /// <typeparamref name="R"/> rows, V = <typeparamref name="V"/> vectors a row and W floats a vector — 6 × 16 in 256-bit
    /// vectors (V = 2: twelve accumulators of AVX2's 16 registers), 6 × 64 in 512-bit ones (V = 4: 24 of 32, MLAS's
    /// AVX-512 shape; 3–4 % faster per FLOP than 7 × 32 on a Zen 5, `benchmarks/results/raw-2026-12-07-session21/`
    /// PREDICTION-tile64.md), 6 × 32 at a 512-bit tile's edge. Each A value is broadcast once and used for every vector;
    /// the JIT compiles each width, row and vector count on its own, dropping what is past R and V, and only R rows of A are
    /// read. On the last depth block <paramref name="finish"/> applies the epilogue in registers.
    /// <paramref name="right"/> is the distance in floats from one B vector of a row to the next: the panel's other half in
    /// 256-bit vectors, the next panel in 512-bit ones (one pointer, so the loop advances one register).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TLanes, TVector, R, V>(int kc, float* a, int lda, float* b, nint right, float* c, int ldc, bool accumulate, in TileEpilogue finish)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where R : struct, IRowCount
        where V : struct, IVectorCount
    {
        TVector c00 = TLanes.Zero, c01 = TLanes.Zero, c02 = TLanes.Zero, c03 = TLanes.Zero, c10 = TLanes.Zero, c11 = TLanes.Zero, c12 = TLanes.Zero, c13 = TLanes.Zero;
        TVector c20 = TLanes.Zero, c21 = TLanes.Zero, c22 = TLanes.Zero, c23 = TLanes.Zero, c30 = TLanes.Zero, c31 = TLanes.Zero, c32 = TLanes.Zero, c33 = TLanes.Zero;
        TVector c40 = TLanes.Zero, c41 = TLanes.Zero, c42 = TLanes.Zero, c43 = TLanes.Zero, c50 = TLanes.Zero, c51 = TLanes.Zero, c52 = TLanes.Zero, c53 = TLanes.Zero;
        float* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        nint depth = kc; // native-size bounds and index: no sign extension, one register fewer in the loop
        for (nint k = 0; k < depth; k++)
        {
            var b0 = TLanes.Load(b);
            var b1 = TLanes.Load(b + right);
            var b2 = V.Count > 2 ? TLanes.Load(b + 2 * right) : TLanes.Zero;
            var b3 = V.Count > 2 ? TLanes.Load(b + 3 * right) : TLanes.Zero;
            var v = TLanes.Broadcast(a[k]);
            c00 = TLanes.Fma(v, b0, c00);
            c01 = TLanes.Fma(v, b1, c01);
            if (V.Count > 2)
            {
                c02 = TLanes.Fma(v, b2, c02);
                c03 = TLanes.Fma(v, b3, c03);
            }
            if (R.Count > 1)
            {
                v = TLanes.Broadcast(a1[k]);
                c10 = TLanes.Fma(v, b0, c10);
                c11 = TLanes.Fma(v, b1, c11);
                if (V.Count > 2)
                {
                    c12 = TLanes.Fma(v, b2, c12);
                    c13 = TLanes.Fma(v, b3, c13);
                }
            }
            if (R.Count > 2)
            {
                v = TLanes.Broadcast(a2[k]);
                c20 = TLanes.Fma(v, b0, c20);
                c21 = TLanes.Fma(v, b1, c21);
                if (V.Count > 2)
                {
                    c22 = TLanes.Fma(v, b2, c22);
                    c23 = TLanes.Fma(v, b3, c23);
                }
            }
            if (R.Count > 3)
            {
                v = TLanes.Broadcast(a3[k]);
                c30 = TLanes.Fma(v, b0, c30);
                c31 = TLanes.Fma(v, b1, c31);
                if (V.Count > 2)
                {
                    c32 = TLanes.Fma(v, b2, c32);
                    c33 = TLanes.Fma(v, b3, c33);
                }
            }
            if (R.Count > 4)
            {
                v = TLanes.Broadcast(a4[k]);
                c40 = TLanes.Fma(v, b0, c40);
                c41 = TLanes.Fma(v, b1, c41);
                if (V.Count > 2)
                {
                    c42 = TLanes.Fma(v, b2, c42);
                    c43 = TLanes.Fma(v, b3, c43);
                }
            }
            if (R.Count > 5)
            {
                v = TLanes.Broadcast(a5[k]);
                c50 = TLanes.Fma(v, b0, c50);
                c51 = TLanes.Fma(v, b1, c51);
                if (V.Count > 2)
                {
                    c52 = TLanes.Fma(v, b2, c52);
                    c53 = TLanes.Fma(v, b3, c53);
                }
            }
            b += NR;
        }
        // The second pair of vectors is the tile's columns 2W…4W: the same epilogue, shifted.
        var far = V.Count > 2 ? finish.Shifted(2 * TLanes.Count) : default;
        StoreRow<TLanes, TVector>(c, accumulate, c00, c01, finish, 0);
        if (V.Count > 2) StoreRow<TLanes, TVector>(c + 2 * TLanes.Count, accumulate, c02, c03, far, 0);
        if (R.Count > 1) StoreRow<TLanes, TVector>(c + ldc, accumulate, c10, c11, finish, 1);
        if (R.Count > 1 && V.Count > 2) StoreRow<TLanes, TVector>(c + ldc + 2 * TLanes.Count, accumulate, c12, c13, far, 1);
        if (R.Count > 2) StoreRow<TLanes, TVector>(c + 2 * ldc, accumulate, c20, c21, finish, 2);
        if (R.Count > 2 && V.Count > 2) StoreRow<TLanes, TVector>(c + 2 * ldc + 2 * TLanes.Count, accumulate, c22, c23, far, 2);
        if (R.Count > 3) StoreRow<TLanes, TVector>(c + 3 * ldc, accumulate, c30, c31, finish, 3);
        if (R.Count > 3 && V.Count > 2) StoreRow<TLanes, TVector>(c + 3 * ldc + 2 * TLanes.Count, accumulate, c32, c33, far, 3);
        if (R.Count > 4) StoreRow<TLanes, TVector>(c + 4 * ldc, accumulate, c40, c41, finish, 4);
        if (R.Count > 4 && V.Count > 2) StoreRow<TLanes, TVector>(c + 4 * ldc + 2 * TLanes.Count, accumulate, c42, c43, far, 4);
        if (R.Count > 5) StoreRow<TLanes, TVector>(c + 5 * ldc, accumulate, c50, c51, finish, 5);
        if (R.Count > 5 && V.Count > 2) StoreRow<TLanes, TVector>(c + 5 * ldc + 2 * TLanes.Count, accumulate, c52, c53, far, 5);
    }

    /// <summary>
    /// Stores one row (two vectors) of a register tile: the sum (+ what C held), then, on the last depth block, as
    /// <see cref="Finish"/> would leave it: + bias, + residual, ReLU, in that order. Without an epilogue the branches are
    /// the same every tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreRow<TLanes, TVector>(float* c, bool accumulate, TVector left, TVector right, in TileEpilogue e, int row)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var half = TLanes.Count;
        if (accumulate)
        {
            left = TLanes.Add(left, TLanes.Load(c));
            right = TLanes.Add(right, TLanes.Load(c + half));
        }
        if (e.Bias != null)
        {
            left = TLanes.Add(left, TLanes.Load(e.Bias));
            right = TLanes.Add(right, TLanes.Load(e.Bias + half));
        }
        if (e.Residual != null)
        {
            var residual = e.Residual + (long)row * e.ResidualStride;
            left = TLanes.Add(left, TLanes.Load(residual));
            right = TLanes.Add(right, TLanes.Load(residual + half));
        }
        if (e.Relu)
        {
            left = TLanes.Relu(left);
            right = TLanes.Relu(right);
        }
        if (e.Stream)
        {
            TLanes.StoreNonTemporal(left, c);
            TLanes.StoreNonTemporal(right, c + half);
            return;
        }
        TLanes.Store(left, c);
        TLanes.Store(right, c + half);
    }

    /// <summary>
    /// The 512-bit tile over a lone last panel: C[rows, 16] (+)= A[rows][kc] · panel[kc][16]. Rare (an odd panel count at
    /// a tile's end), so a group of fewer than 7 rows is copied into a full one, zero-padded, rather than compiled per count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel7x16(int rows, int kc, float* a, int lda, float* panel, float* c, int ldc, bool accumulate)
    {
        if (rows < 7)
        {
            var padded = stackalloc float[7 * KC];
            new Span<float>(padded, 7 * kc).Clear();
            for (var r = 0; r < rows; r++)
            {
                new ReadOnlySpan<float>(a + (long)r * lda, kc).CopyTo(new Span<float>(padded + r * kc, kc));
            }
            a = padded;
            lda = kc;
        }
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default;
        float* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda;
        for (var k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(panel);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[k]), b0, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[k]), b0, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[k]), b0, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[k]), b0, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[k]), b0, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a5[k]), b0, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a6[k]), b0, c6);
            panel += NR;
        }
        StoreRow(c, accumulate, c0);
        StoreRow(c + ldc, accumulate, c1);
        StoreRow(c + 2 * ldc, accumulate, c2);
        StoreRow(c + 3 * ldc, accumulate, c3);
        StoreRow(c + 4 * ldc, accumulate, c4);
        StoreRow(c + 5 * ldc, accumulate, c5);
        StoreRow(c + 6 * ldc, accumulate, c6);
    }

    /// <summary>The epilogue of one register tile (its bias and residual already offset to the tile), or none.</summary>
    internal readonly struct TileEpilogue
    {
        public float* Bias { get; private init; }

        public float* Residual { get; private init; }

        public int ResidualStride { get; private init; }

        public bool Stream { get; private init; }

        public bool Relu { get; private init; }

        /// <summary>The same epilogue for the columns <paramref name="columns"/> further right.</summary>
        public TileEpilogue Shifted(int columns) => this with
        {
            Bias = Bias == null ? null : Bias + columns,
            Residual = Residual == null ? null : Residual + columns,
        };

        public static TileEpilogue For(in GemmEpilogue e, int row, int n0) => new()
        {
            Stream = e.Stream,
            Bias = e.Bias == null ? null : e.Bias + n0,
            Residual = e.Residual == null ? null : e.Residual + (long)row * e.ResidualStride + n0,
            ResidualStride = e.ResidualStride,
            Relu = e.Relu,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, bool accumulate, Vector512<float> values)
    {
        if (accumulate)
        {
            values += Vector512.Load(c);
        }
        values.Store(c);
    }
}

/// <summary>A register kernel's vectors per row as a type (as <see cref="IRowCount"/> is for rows).</summary>
internal interface IVectorCount
{
    static abstract int Count { get; }
}

internal readonly struct Vectors2 : IVectorCount { public static int Count => 2; }
internal readonly struct Vectors4 : IVectorCount { public static int Count => 4; }

/// <summary>A kernel's row count as a type, so the JIT compiles one kernel per count from one source.</summary>
internal interface IRowCount
{
    static abstract int Count { get; }
}

internal readonly struct Rows1 : IRowCount { public static int Count => 1; }
internal readonly struct Rows2 : IRowCount { public static int Count => 2; }
internal readonly struct Rows3 : IRowCount { public static int Count => 3; }
internal readonly struct Rows4 : IRowCount { public static int Count => 4; }
internal readonly struct Rows5 : IRowCount { public static int Count => 5; }
internal readonly struct Rows6 : IRowCount { public static int Count => 6; }
internal readonly struct Rows8 : IRowCount { public static int Count => 8; }

/// <summary>
/// How a row block is cut into the kernel's row groups: groups of MR rows and of MR − 1 rows, so that no group is
/// partial where that can be done (every count from (MR − 1)(MR − 2) on: 49 = 4·6 + 5·5 on the 256-bit kernel), else
/// groups of MR and one partial last group. A partial group costs its kernel nearly a full group's time (ResNet's
/// 7×7 maps, 49 rows, as 8 groups of 6 and 1 of 1: 9 groups' time for 8.2 groups' work).
/// </summary>
internal readonly record struct RowGroups(int Full, int Short, int Rest, int Height)
{
    public static RowGroups Of(int rows, int height)
    {
        var shortGroups = (height - rows % height) % height;
        return rows >= shortGroups * (height - 1)
            ? new RowGroups((rows - shortGroups * (height - 1)) / height, shortGroups, 0, height)
            : new RowGroups(rows / height, 0, rows % height, height);
    }

    /// <summary>Groups in all.</summary>
    public int Count => Full + Short + (Rest > 0 ? 1 : 0);

    /// <summary>Rows of group <paramref name="group"/> (full groups first, then the shorter ones).</summary>
    public int Rows(int group) => group < Full ? Height : group < Full + Short ? Height - 1 : Rest;
}

/// <summary>How a GEMM is cut into independent tiles (see <see cref="Gemm.Tile"/>).</summary>
internal readonly record struct GemmTiling(int RowBlocks, int ColumnTiles, int PanelsPerTile, int EvenGroup = 0)
{
    /// <summary>
    /// The one tiling rule of the FP32 and BF16 GEMMs: row blocks of <paramref name="rowBlock"/>, and column panels grouped
    /// so there are about two tiles per worker, at least <paramref name="minPanelsPerTile"/> panels (or all) per tile, in
    /// whole kernel widths of <paramref name="panelsPerKernel"/> so only the last tile can hold a lone panel.
    /// With <paramref name="evenGroup"/> &gt; 0 the rows are dealt out evenly in groups of that many (no block over
    /// <paramref name="rowBlock"/> rows), and a few blocks are made a multiple of the workers: each worker owns a
    /// contiguous share of the tiles (<see cref="CpuWorkers"/>), and a 14×14 map's 196 rows as blocks of 84, 84 and 28
    /// gave one worker twice the rows of the other.
    /// </summary>
    public static GemmTiling Split(int rows, int rowBlock, int panels, int workers, int minPanelsPerTile, int panelsPerKernel, int evenGroup = 0)
    {
        var rowBlocks = (rows + rowBlock - 1) / rowBlock;
        if (evenGroup > 0 && rowBlocks > 1 && rowBlocks < 4 * workers)
        {
            var groups = (rows + evenGroup - 1) / evenGroup;
            rowBlocks = Math.Min(groups, (rowBlocks + workers - 1) / workers * workers);
        }
        var wanted = Math.Max(1, (2 * workers + rowBlocks - 1) / rowBlocks);
        var panelsPerTile = Math.Max(Math.Min(minPanelsPerTile, panels), (panels + wanted - 1) / wanted);
        panelsPerTile = (panelsPerTile + panelsPerKernel - 1) / panelsPerKernel * panelsPerKernel;
        var columnTiles = (panels + panelsPerTile - 1) / panelsPerTile;
        return new GemmTiling(rowBlocks, columnTiles, panelsPerTile, evenGroup);
    }

    /// <summary>First row and row count of row block <paramref name="block"/> of <paramref name="rows"/> rows.</summary>
    public (int Start, int Count) RowBlock(int block, int rows, int rowBlock)
    {
        if (EvenGroup == 0)
        {
            var start = block * rowBlock;
            return (start, Math.Min(rowBlock, rows - start));
        }
        var groups = (rows + EvenGroup - 1) / EvenGroup;
        var first = (int)((long)block * groups / RowBlocks) * EvenGroup;
        var end = Math.Min(rows, (int)((long)(block + 1) * groups / RowBlocks) * EvenGroup);
        return (first, end - first);
    }

    /// <summary>Total tiles = parallel work items.</summary>
    public int Count => RowBlocks * ColumnTiles;
}

/// <summary>A dense row-major A [rows, depth] with row stride <c>Stride</c> floats (a 1×1 convolution over NHWC, or a linear layer).</summary>
internal readonly unsafe struct DenseSource(float* data, int rows, int depth, int stride) : IGemmSource
{
    public int Rows => rows;

    public int Depth => depth;

    public float* InPlace => data;

    public int InPlaceStride => stride;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int row0, int rowCount, int k0, int kc, float* destination)
    {
        for (var r = 0; r < rowCount; r++)
        {
            new ReadOnlySpan<float>(data + (long)(row0 + r) * stride + k0, kc).CopyTo(new Span<float>(destination + (long)r * kc, kc));
        }
    }
}

/// <summary>
/// One planned GEMM as parallel work: the operands are fixed when the plan is built, so running it
/// allocates nothing. The scratch holds one <see cref="Gemm.ScratchLength"/> block per worker.
/// <paramref name="tiling"/> replaces the planner's (<see cref="Gemm.Tile"/>) for experiments (the benchmarks' forced
/// tilings); only with A read in place, since a packed row block must fit the scratch.
/// </summary>
internal sealed unsafe class GemmWork<TSource>(TSource a, PackedMatrix b, float* c, int ldc, GemmEpilogue epilogue, WorkerScratch scratch, int workers,
    GemmTiling? tiling = null)
    : IParallelWork
    where TSource : struct, IGemmSource
{
    private TSource _a = tiling is null || a.InPlace != null ? a
        : throw new ArgumentException("A forced tiling needs A read in place: a packed row block must fit the scratch.", nameof(tiling));

    /// <summary>The tiling used by <see cref="Execute"/>.</summary>
    public GemmTiling Tiling { get; } = tiling ?? Gemm.Tile(a.Rows, b.N, workers);

    /// <summary>Runs the whole GEMM on <paramref name="cpu"/>.</summary>
    public void Run(CpuWorkers cpu) => cpu.Run(this, Tiling.Count);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int item, int worker) =>
        Gemm.ComputeTile(ref _a, b, c, ldc, epilogue, Tiling, item, scratch.For(worker));
}

/// <summary>Pinned per-worker scratch for GEMM packing, allocated once per session.</summary>
internal sealed unsafe class WorkerScratch
{
    private readonly float[] _data;
    private readonly int _stride;

    /// <param name="workers">Number of workers.</param>
    /// <param name="floatsPerWorker">Floats each worker needs.</param>
    public WorkerScratch(int workers, int floatsPerWorker = Gemm.ScratchLength)
    {
        _stride = (floatsPerWorker + 15) & ~15;
        _data = GC.AllocateUninitializedArray<float>(workers * _stride, pinned: true);
    }

    /// <summary>The scratch of worker <paramref name="worker"/> (the array is pinned, so the pointer stays valid).</summary>
    public float* For(int worker) => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _data[worker * _stride]);
}
