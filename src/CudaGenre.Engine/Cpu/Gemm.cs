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
}

/// <summary>
/// Single-precision GEMM C[M, N] = epilogue(A · B), cache-blocked in the manner of BLIS: B is packed
/// once at load time (<see cref="PackedMatrix"/>), A is copied per MC × KC block into a contiguous
/// row-major block (contiguous copies, so packing costs little even when N is small), and a 6 × 16
/// register micro-kernel accumulates with fused multiply-adds, reading six A rows side by side. The unit of parallel work is a tile of
/// MC rows × a run of column panels, so small-M layers (batch 1, 7 × 7 maps) still use every core.
/// Sums run in K order in blocks of <see cref="KC"/>, each block accumulated with FMA: results are not
/// bit-identical to another BLAS, but agree to float rounding.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>Rows of the micro-kernel's register tile.</summary>
    public const int MR = 6;

    /// <summary>Columns of the micro-kernel's register tile (two 8-float vectors).</summary>
    public const int NR = 16;

    /// <summary>Depth block: a 16-column B panel of this depth (16 KiB) stays in L1.</summary>
    public const int KC = 256;

    /// <summary>Row block: an A block of MC × KC floats (72 KiB) stays in L2.</summary>
    public const int MC = 72;

    /// <summary>Floats of per-worker scratch that <see cref="ComputeTile{TSource}"/> needs.</summary>
    public const int ScratchLength = MC * KC;

    /// <summary>
    /// How a GEMM of M rows and N columns is cut into tiles for <paramref name="workers"/> workers:
    /// row blocks of MC, and column panels grouped so there are a few tiles per worker.
    /// </summary>
    public static GemmTiling Tile(int m, int n, int workers)
    {
        var rowBlocks = (m + MC - 1) / MC;
        var panels = (n + NR - 1) / NR;
        var wanted = Math.Max(1, (2 * workers + rowBlocks - 1) / rowBlocks);
        var panelsPerTile = Math.Max(Math.Min(4, panels), (panels + wanted - 1) / wanted);
        var columnTiles = (panels + panelsPerTile - 1) / panelsPerTile;
        return new GemmTiling(rowBlocks, columnTiles, panelsPerTile);
    }

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
        var m0 = tile / tiling.ColumnTiles * MC;
        var mc = Math.Min(MC, a.Rows - m0);
        var p0 = tile % tiling.ColumnTiles * tiling.PanelsPerTile;
        var p1 = Math.Min(b.Panels, p0 + tiling.PanelsPerTile);
        var k = a.Depth;
        var groups = (mc + MR - 1) / MR;

        fixed (float* bData = b.Data)
        {
            for (var k0 = 0; k0 < k; k0 += KC)
            {
                var kc = Math.Min(KC, k - k0);
                a.Pack(m0, mc, k0, kc, scratch);
                if (mc < groups * MR)
                {
                    new Span<float>(scratch + mc * kc, (groups * MR - mc) * kc).Clear();
                }

                var first = k0 == 0;
                var last = k0 + kc >= k;
                for (var p = p0; p < p1; p++)
                {
                    var n0 = p * NR;
                    var columns = Math.Min(NR, b.N - n0);
                    var panel = bData + (long)p * k * NR + (long)k0 * NR;
                    for (var g = 0; g < groups; g++)
                    {
                        var row = m0 + g * MR;
                        var rows = Math.Min(MR, mc - g * MR);
                        var cTile = c + (long)row * ldc + n0;
                        if (rows == MR && columns == NR)
                        {
                            Kernel6x16(kc, scratch + g * MR * kc, panel, cTile, ldc, !first);
                        }
                        else
                        {
                            EdgeTile(kc, scratch + g * MR * kc, panel, cTile, ldc, rows, columns, !first);
                        }
                        if (last)
                        {
                            Finish(cTile, ldc, row, n0, rows, columns, epilogue);
                        }
                    }
                }
            }
        }
    }

    /// <summary>A partial tile goes through a full-size stack tile so the micro-kernel never reads or writes out of bounds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EdgeTile(int kc, float* a, float* b, float* c, int ldc, int rows, int columns, bool accumulate)
    {
        var tile = stackalloc float[MR * NR];
        if (accumulate)
        {
            for (var r = 0; r < rows; r++)
            {
                new ReadOnlySpan<float>(c + (long)r * ldc, columns).CopyTo(new Span<float>(tile + r * NR, columns));
            }
        }
        Kernel6x16(kc, a, b, tile, NR, accumulate);
        for (var r = 0; r < rows; r++)
        {
            new ReadOnlySpan<float>(tile + r * NR, columns).CopyTo(new Span<float>(c + (long)r * ldc, columns));
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
                    v = Vector256.Max(v, Vector256<float>.Zero);
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
    /// The register tile: C[6, 16] (+)= A[6][kc] · B_panel[kc][16], twelve 8-float accumulators.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* a1 = a + kc, a2 = a1 + kc, a3 = a2 + kc, a4 = a3 + kc, a5 = a4 + kc;
        for (var k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var v = Vector256.Create(a[k]);
            c00 = Vector256.FusedMultiplyAdd(v, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(v, b1, c01);
            v = Vector256.Create(a1[k]);
            c10 = Vector256.FusedMultiplyAdd(v, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(v, b1, c11);
            v = Vector256.Create(a2[k]);
            c20 = Vector256.FusedMultiplyAdd(v, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(v, b1, c21);
            v = Vector256.Create(a3[k]);
            c30 = Vector256.FusedMultiplyAdd(v, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(v, b1, c31);
            v = Vector256.Create(a4[k]);
            c40 = Vector256.FusedMultiplyAdd(v, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(v, b1, c41);
            v = Vector256.Create(a5[k]);
            c50 = Vector256.FusedMultiplyAdd(v, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(v, b1, c51);
            b += NR;
        }
        StoreRow(c, accumulate, c00, c01);
        StoreRow(c + ldc, accumulate, c10, c11);
        StoreRow(c + 2 * ldc, accumulate, c20, c21);
        StoreRow(c + 3 * ldc, accumulate, c30, c31);
        StoreRow(c + 4 * ldc, accumulate, c40, c41);
        StoreRow(c + 5 * ldc, accumulate, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, bool accumulate, Vector256<float> left, Vector256<float> right)
    {
        if (accumulate)
        {
            left += Vector256.Load(c);
            right += Vector256.Load(c + 8);
        }
        left.Store(c);
        right.Store(c + 8);
    }
}

/// <summary>How a GEMM is cut into independent tiles (see <see cref="Gemm.Tile"/>).</summary>
internal readonly record struct GemmTiling(int RowBlocks, int ColumnTiles, int PanelsPerTile)
{
    /// <summary>Total tiles = parallel work items.</summary>
    public int Count => RowBlocks * ColumnTiles;
}

/// <summary>A dense row-major A [rows, depth] with row stride <c>Stride</c> floats (a 1×1 convolution over NHWC, or a linear layer).</summary>
internal readonly unsafe struct DenseSource(float* data, int rows, int depth, int stride) : IGemmSource
{
    public int Rows => rows;

    public int Depth => depth;

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
/// </summary>
internal sealed unsafe class GemmWork<TSource>(TSource a, PackedMatrix b, float* c, int ldc, GemmEpilogue epilogue, WorkerScratch scratch, int workers)
    : IParallelWork
    where TSource : struct, IGemmSource
{
    private TSource _a = a;

    /// <summary>The tiling used by <see cref="Execute"/>.</summary>
    public GemmTiling Tiling { get; } = Gemm.Tile(a.Rows, b.N, workers);

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
