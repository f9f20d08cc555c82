using System.Runtime.CompilerServices;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// BF16 GEMM C[M, N] = epilogue(A · B) with FP32 sums: B packed once as BF16 pairs (<see cref="Bf16PackedMatrix"/>),
/// A read through the same <see cref="IGemmSource"/> as the FP32 <see cref="Gemm"/> (<see cref="MR"/> rows × one depth
/// block at a time into FP32 scratch) and rounded to BF16 pairs, then the machine-code micro-kernel of
/// Native/bf16_kernel.c: an <see cref="MR"/> × 32 register tile of VDPBF16PS (two multiply-adds per FP32 lane, so up
/// to twice the FP32 FMA rate). The epilogue (bias, residual, ReLU) is <see cref="Gemm"/>'s, on the FP32 sums.
/// Only the GEMMs change precision: depthwise convolutions and pooling stay FP32 (memory-bound: BF16 would not
/// speed them up), and so does a first layer on RGB that runs as a <see cref="SmallInputConv"/>.
/// </summary>
internal static unsafe class Bf16Gemm
{
    /// <summary>Rows of the register tile; must equal MR in bf16_kernel.c.</summary>
    public const int MR = 12;

    /// <summary>Columns of the register tile: two <see cref="Bf16PackedMatrix.PanelColumns"/>-column panels.</summary>
    public const int NR = 32;

    /// <summary>Depth block: A rows of KC / 2 pairs; must equal 2 · A_ROW_PAIRS in bf16_kernel.c. Two B panels of this depth (32 KiB) sit in L1/L2.</summary>
    public const int KC = 256;

    /// <summary>Row block: MC × KC BF16 values of A (48 KiB) stay in L2 while every panel of the tile passes.</summary>
    public const int MC = 8 * MR;

    /// <summary>Floats of per-worker scratch: FP32 rows of one register tile, then the BF16 pairs of a row block.</summary>
    public const int ScratchLength = MR * KC + MC * KC / 2;

    private static readonly Lazy<nint> Code = new(() => ExecutableCode.Map(Bf16KernelCode.Code, "the BF16 GEMM kernel"));

    /// <summary>
    /// The kernel (see bf16_kernel.c): pairs, a, b, panel stride, c, ldc, rows, columns, accumulate. The machine code, or
    /// its managed emulation where <see cref="Bf16Support.Emulated"/>; read it on the thread that plans the GEMM (the
    /// emulation can be asked for per flow).
    /// </summary>
    internal static delegate* unmanaged<long, uint*, uint*, long, float*, long, long, long, long, void> Kernel
    {
        get
        {
            if (Bf16Support.MissingReason is { } missing)
            {
                throw new NotSupportedException($"The BF16 GEMM kernel needs AVX512_BF16: {missing}.");
            }
            return Bf16Support.Emulated ? Bf16Emulation.Pointer
                : (delegate* unmanaged<long, uint*, uint*, long, float*, long, long, long, long, void>)Code.Value;
        }
    }

    /// <summary>How a BF16 GEMM is cut into tiles: <see cref="Gemm.Tile"/>'s rule with this kernel's MC and NR (panels of 32 columns).</summary>
    public static GemmTiling Tile(int m, int n, int workers) =>
        GemmTiling.Split(m, MC, (n + NR - 1) / NR, workers, minPanelsPerTile: 2, panelsPerKernel: 1);

    /// <summary>
    /// Computes one tile of C = epilogue(A · B), as <see cref="Gemm.ComputeTile{TSource}"/> does for FP32: rows of
    /// row block tile / columnTiles, the 32-column panels of tile % columnTiles.
    /// </summary>
    /// <param name="a">The source of A.</param>
    /// <param name="b">B, packed as BF16 pairs.</param>
    /// <param name="c">C, row-major with row stride <paramref name="ldc"/> floats.</param>
    /// <param name="ldc">Row stride of C in floats.</param>
    /// <param name="epilogue">Bias, residual and ReLU applied after the last depth block.</param>
    /// <param name="tiling">The tiling from <see cref="Tile"/>.</param>
    /// <param name="tile">Which tile.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> floats owned by the calling worker.</param>
    /// <param name="kernel">The micro-kernel, <see cref="Kernel"/> as read when the GEMM was planned.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ComputeTile<TSource>(ref TSource a, Bf16PackedMatrix b, float* c, int ldc, in GemmEpilogue epilogue,
        GemmTiling tiling, int tile, float* scratch, delegate* unmanaged<long, uint*, uint*, long, float*, long, long, long, long, void> kernel)
        where TSource : struct, IGemmSource
    {
        var m0 = tile / tiling.ColumnTiles * MC;
        var mc = Math.Min(MC, a.Rows - m0);
        var p0 = tile % tiling.ColumnTiles * tiling.PanelsPerTile;
        var p1 = Math.Min((b.N + NR - 1) / NR, p0 + tiling.PanelsPerTile);
        var k = a.Depth;
        var groups = (mc + MR - 1) / MR;
        var rowsOfFloats = scratch;
        var pairs = (uint*)(scratch + MR * KC);
        var panelStride = (long)b.Pairs * Bf16PackedMatrix.PanelColumns;

        fixed (uint* bData = b.Data)
        {
            for (var k0 = 0; k0 < k; k0 += KC)
            {
                var kc = Math.Min(KC, k - k0);
                var kp = (kc + 1) / 2;
                for (var g = 0; g < groups; g++)
                {
                    var rows = Math.Min(MR, mc - g * MR);
                    a.Pack(m0 + g * MR, rows, k0, kc, rowsOfFloats);
                    var group = pairs + g * MR * (KC / 2);
                    for (var r = 0; r < rows; r++)
                    {
                        Bf16.RoundPairs(rowsOfFloats + r * kc, kc, group + r * (KC / 2));
                    }
                    for (var r = rows; r < MR; r++)
                    {
                        // The kernel computes all MR rows (it stores only the real ones): keep the rest finite.
                        new Span<uint>(group + r * (KC / 2), kp).Clear();
                    }
                }

                var accumulate = k0 == 0 ? 0 : 1;
                var last = k0 + kc >= k;
                for (var p = p0; p < p1; p++)
                {
                    var n0 = p * NR;
                    var columns = Math.Min(NR, b.N - n0);
                    var panel = bData + n0 / Bf16PackedMatrix.PanelColumns * panelStride + k0 / 2 * Bf16PackedMatrix.PanelColumns;
                    for (var g = 0; g < groups; g++)
                    {
                        var row = m0 + g * MR;
                        var rows = Math.Min(MR, mc - g * MR);
                        var cTile = c + (long)row * ldc + n0;
                        kernel(kp, pairs + g * MR * (KC / 2), panel, panelStride, cTile, ldc, rows, columns, accumulate);
                        if (last)
                        {
                            Gemm.Finish(cTile, ldc, row, n0, rows, columns, epilogue);
                        }
                    }
                }
            }
        }
    }
}

/// <summary>One planned BF16 GEMM as parallel work, like <see cref="GemmWork{TSource}"/>; scratch of <see cref="Bf16Gemm.ScratchLength"/> floats per worker.</summary>
internal sealed unsafe class Bf16GemmWork<TSource>(TSource a, Bf16PackedMatrix b, float* c, int ldc, GemmEpilogue epilogue, WorkerScratch scratch, int workers)
    : IParallelWork
    where TSource : struct, IGemmSource
{
    private TSource _a = a;
    private readonly delegate* unmanaged<long, uint*, uint*, long, float*, long, long, long, long, void> _kernel = Bf16Gemm.Kernel;

    /// <summary>The tiling used by <see cref="Execute"/>.</summary>
    public GemmTiling Tiling { get; } = Bf16Gemm.Tile(a.Rows, b.N, workers);

    /// <summary>Runs the whole GEMM on <paramref name="cpu"/>.</summary>
    public void Run(CpuWorkers cpu) => cpu.Run(this, Tiling.Count);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int item, int worker) =>
        Bf16Gemm.ComputeTile(ref _a, b, c, ldc, epilogue, Tiling, item, scratch.For(worker), _kernel);
}
