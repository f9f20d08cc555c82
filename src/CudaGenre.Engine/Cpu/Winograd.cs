using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// 3×3 stride-1 convolutions by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast Algorithms for
/// Convolutional Neural Networks", 2016): each 2×2 block of outputs ("tile") takes 16 multiplications per input and
/// output channel instead of 36, so the GEMM work falls by 2.25×. The input's 4×4 patch d becomes V = Bᵀ d B and the
/// filter g becomes U = G g Gᵀ (once, at load); the 16 positions ξ of V and U are 16 independent GEMMs
/// M_ξ[tile, out] = Σ_in V_ξ[tile, in] · U_ξ[in, out], and the outputs are Aᵀ M A. The transforms of d and M use only
/// additions and subtractions, and G only halves, so the results differ from the direct convolution by float rounding
/// (a few ulps of the sums), well inside the engine's 1e-4 bound.
/// The work is done a block of tiles at a time, so V and M of a block stay in the worker's cache: transform the
/// block's patches, run its 16 GEMMs (the FP32 micro-kernel, V read in place), transform back with bias, residual and
/// ReLU, and store.
/// </summary>
internal static class Winograd
{
    /// <summary>Tile positions (4 × 4).</summary>
    public const int Positions = 16;

    /// <summary>
    /// Whether <paramref name="conv"/> runs by Winograd: a dense 3×3 stride-1 convolution with at least 16 input channels
    /// (a 3-channel first layer would make GEMMs of depth 3) and at most 256 channels in and out (the block's V and M
    /// must fit a worker's scratch; ResNet's 512-channel layers run on 7×7 maps, where each tile block would stream all
    /// 16 transformed filters, 1.8× the direct ones, for a handful of tiles).
    /// </summary>
    public static bool Applies(FusedConv conv)
    {
        var c = conv.Conv;
        return !c.IsDepthwise && c.Groups == 1 && c.Kernel.Height == 3 && c.Kernel.Width == 3
            && c.Stride.Height == 1 && c.Stride.Width == 1 && c.Padding.Height == c.Padding.Width
            && c.InChannels is >= 16 and <= 256 && c.OutChannels <= 256;
    }

    /// <summary>Tiles per block for these channel counts: V and M of a block take about 2 MiB, at most <see cref="Gemm.MC"/> tiles.</summary>
    public static int TilesPerBlock(int inChannels, int outChannels)
    {
        var fit = 512 * 1024 / (Positions * (inChannels + outChannels));
        return Math.Clamp(fit / Gemm.MR * Gemm.MR, Gemm.MR, Gemm.MC);
    }

    /// <summary>Per-worker scratch floats for a block: V, M and the GEMM's own.</summary>
    public static int ScratchLength(int inChannels, int outChannels) =>
        Positions * TilesPerBlock(inChannels, outChannels) * (inChannels + outChannels) + Gemm.ScratchLength;

    /// <summary>
    /// U = G g Gᵀ for every (in, out) pair of PyTorch's weight [out, in, 3, 3], as 16 packed [in, out] matrices,
    /// G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
    /// </summary>
    public static PackedMatrix[] TransformFilters(float[] weight, int inChannels, int outChannels)
    {
        var u = new float[Positions][];
        for (var p = 0; p < Positions; p++)
        {
            u[p] = new float[inChannels * outChannels];
        }
        Span<float> gg = stackalloc float[12];
        for (var o = 0; o < outChannels; o++)
        {
            for (var i = 0; i < inChannels; i++)
            {
                var g = weight.AsSpan(((o * inChannels) + i) * 9, 9);
                // G g: 4 rows × 3 columns.
                for (var col = 0; col < 3; col++)
                {
                    float g0 = g[col], g1 = g[3 + col], g2 = g[6 + col];
                    gg[col] = g0;
                    gg[3 + col] = 0.5f * (g0 + g1 + g2);
                    gg[6 + col] = 0.5f * (g0 - g1 + g2);
                    gg[9 + col] = g2;
                }
                // (G g) Gᵀ: 4 × 4.
                for (var row = 0; row < 4; row++)
                {
                    float r0 = gg[row * 3], r1 = gg[row * 3 + 1], r2 = gg[row * 3 + 2];
                    var at = (i * outChannels) + o;
                    u[row * 4][at] = r0;
                    u[row * 4 + 1][at] = 0.5f * (r0 + r1 + r2);
                    u[row * 4 + 2][at] = 0.5f * (r0 - r1 + r2);
                    u[row * 4 + 3][at] = r2;
                }
            }
        }
        return [.. u.Select(m => new PackedMatrix(m, inChannels, outChannels))];
    }
}

/// <summary>One planned Winograd convolution as parallel work: items are (tile block, run of output-channel panels).</summary>
internal sealed unsafe class WinogradWork : IParallelWork
{
    private readonly float* _input;
    private readonly float* _output;
    private readonly ConvGeometry _g;
    private readonly PackedMatrix[] _u;
    private readonly GemmEpilogue _epilogue;
    private readonly WorkerScratch _scratch;
    private readonly int _tilesHigh;
    private readonly int _tilesWide;
    private readonly int _tiles;
    private readonly int _block;
    private readonly int _outChannels;

    public WinogradWork(float* input, ConvGeometry g, PackedMatrix[] u, float* output, GemmEpilogue epilogue, WorkerScratch scratch, int workers)
    {
        _input = input;
        _output = output;
        _g = g;
        _u = u;
        _epilogue = epilogue;
        _scratch = scratch;
        _outChannels = u[0].N;
        _tilesHigh = (g.OutHeight + 1) / 2;
        _tilesWide = (g.OutWidth + 1) / 2;
        _tiles = checked(g.Batch * _tilesHigh * _tilesWide);
        _block = Winograd.TilesPerBlock(g.Channels, _outChannels);
        Tiling = GemmTiling.Split(_tiles, _block, u[0].Panels, workers, minPanelsPerTile: 4, Gemm.PanelsPerKernel);
    }

    /// <summary>Blocks of tiles × column tiles.</summary>
    public GemmTiling Tiling { get; }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int item, int worker)
    {
        var block = item / Tiling.ColumnTiles;
        var columnTile = item % Tiling.ColumnTiles;
        var t0 = block * _block;
        var count = Math.Min(_block, _tiles - t0);
        int cin = _g.Channels, cout = _outChannels;
        var v = _scratch.For(worker);
        var m = v + (long)Winograd.Positions * _block * cin;
        var gemmScratch = m + (long)Winograd.Positions * _block * cout;

        TransformInput(t0, count, v);
        // Each position's GEMM over this block: one row block (count ≤ MC rows), this item's column panels.
        var tiling = Tiling with { RowBlocks = 1 };
        for (var p = 0; p < Winograd.Positions; p++)
        {
            var a = new DenseSource(v + (long)p * _block * cin, count, cin, cin);
            Gemm.ComputeTile(ref a, _u[p], m + (long)p * _block * cout, cout, default, tiling, columnTile, gemmScratch);
        }
        var n0 = columnTile * Tiling.PanelsPerTile * Gemm.NR;
        var n1 = Math.Min(cout, n0 + Tiling.PanelsPerTile * Gemm.NR);
        TransformOutput(t0, count, n0, n1, m);
    }

    /// <summary>V_ξ[t, c] for the block's tiles: Bᵀ d B over each 4×4 patch, rows of Bᵀ = [1 0 −1 0], [0 1 1 0], [0 −1 1 0], [0 1 0 −1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TransformInput(int t0, int count, float* v)
    {
        var g = _g;
        var c = g.Channels;
        var positionStride = (long)_block * c;
        var zero = stackalloc float[c];
        new Span<float>(zero, c).Clear();
        var rows = stackalloc float*[16];
        for (var t = 0; t < count; t++)
        {
            var (n, y0, x0) = Origin(t0 + t);
            var image = _input + (long)n * g.Height * g.Width * c;
            for (var i = 0; i < 4; i++)
            {
                for (var j = 0; j < 4; j++)
                {
                    int y = y0 + i, x = x0 + j;
                    rows[i * 4 + j] = (uint)y < (uint)g.Height && (uint)x < (uint)g.Width ? image + ((long)y * g.Width + x) * c : zero;
                }
            }
            var destination = v + (long)t * c;
            var k = 0;
            for (; k + Vector256<float>.Count <= c; k += Vector256<float>.Count)
            {
                Input(rows, k, destination + k, positionStride);
            }
            for (; k < c; k++)
            {
                InputScalar(rows, k, destination + k, positionStride);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Input(float** d, int k, float* v, long stride)
    {
        // Bᵀ d, one column j of the patch at a time (t_ij = row i of the result), then each row times B.
        Column(d, 0, k, out var t00, out var t10, out var t20, out var t30);
        Column(d, 1, k, out var t01, out var t11, out var t21, out var t31);
        Column(d, 2, k, out var t02, out var t12, out var t22, out var t32);
        Column(d, 3, k, out var t03, out var t13, out var t23, out var t33);
        RowTimesB(t00, t01, t02, t03, v, stride);
        RowTimesB(t10, t11, t12, t13, v + 4 * stride, stride);
        RowTimesB(t20, t21, t22, t23, v + 8 * stride, stride);
        RowTimesB(t30, t31, t32, t33, v + 12 * stride, stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column(float** d, int j, int k, out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2, out Vector256<float> r3)
    {
        var d0 = Vector256.Load(d[j] + k);
        var d1 = Vector256.Load(d[4 + j] + k);
        var d2 = Vector256.Load(d[8 + j] + k);
        var d3 = Vector256.Load(d[12 + j] + k);
        r0 = d0 - d2;
        r1 = d1 + d2;
        r2 = d2 - d1;
        r3 = d1 - d3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTimesB(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3, float* v, long stride)
    {
        (a0 - a2).Store(v);
        (a1 + a2).Store(v + stride);
        (a2 - a1).Store(v + 2 * stride);
        (a1 - a3).Store(v + 3 * stride);
    }

    private static void InputScalar(float** d, int k, float* v, long stride)
    {
        var r = new InlineFloats16();
        for (var j = 0; j < 4; j++)
        {
            float d0 = d[j][k], d1 = d[4 + j][k], d2 = d[8 + j][k], d3 = d[12 + j][k];
            r[j] = d0 - d2;
            r[4 + j] = d1 + d2;
            r[8 + j] = d2 - d1;
            r[12 + j] = d1 - d3;
        }
        for (var i = 0; i < 4; i++)
        {
            float a0 = r[i * 4], a1 = r[i * 4 + 1], a2 = r[i * 4 + 2], a3 = r[i * 4 + 3];
            v[(i * 4) * stride] = a0 - a2;
            v[(i * 4 + 1) * stride] = a1 + a2;
            v[(i * 4 + 2) * stride] = a2 - a1;
            v[(i * 4 + 3) * stride] = a1 - a3;
        }
    }

    /// <summary>Y = Aᵀ M A for columns [n0, n1) of the block's tiles, Aᵀ = [1 1 1 0], [0 1 −1 −1]; then bias, residual, ReLU, and only outputs inside the map are stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TransformOutput(int t0, int count, int n0, int n1, float* m)
    {
        var g = _g;
        var cout = _outChannels;
        var positionStride = (long)_block * cout;
        var e = _epilogue;
        var outPlane = (long)g.OutHeight * g.OutWidth;
        var y = stackalloc float[4 * Vector256<float>.Count];
        var values = stackalloc float[4];
        var pixels = stackalloc long[4];
        var inside = stackalloc bool[4];
        for (var t = 0; t < count; t++)
        {
            var (n, oy, ox) = Origin(t0 + t);
            oy += g.Padding;
            ox += g.Padding;
            var source = m + (long)t * cout;
            for (var q = 0; q < 4; q++)
            {
                int py = oy + q / 2, px = ox + q % 2;
                inside[q] = py < g.OutHeight && px < g.OutWidth;
                pixels[q] = n * outPlane + (long)py * g.OutWidth + px;
            }
            var k = n0;
            for (; k + Vector256<float>.Count <= n1; k += Vector256<float>.Count)
            {
                Output(source + k, positionStride, y);
                for (var q = 0; q < 4; q++)
                {
                    if (inside[q])
                    {
                        var value = Vector256.Load(y + q * Vector256<float>.Count);
                        if (e.Bias != null)
                        {
                            value += Vector256.Load(e.Bias + k);
                        }
                        if (e.Residual != null)
                        {
                            value += Vector256.Load(e.Residual + pixels[q] * e.ResidualStride + k);
                        }
                        if (e.Relu)
                        {
                            value = Lanes8.Relu(value);
                        }
                        value.Store(_output + pixels[q] * cout + k);
                    }
                }
            }
            for (; k < n1; k++)
            {
                var s = source + k;
                float m00 = s[0], m01 = s[positionStride], m02 = s[2 * positionStride], m03 = s[3 * positionStride];
                float m10 = s[4 * positionStride], m11 = s[5 * positionStride], m12 = s[6 * positionStride], m13 = s[7 * positionStride];
                float m20 = s[8 * positionStride], m21 = s[9 * positionStride], m22 = s[10 * positionStride], m23 = s[11 * positionStride];
                float m30 = s[12 * positionStride], m31 = s[13 * positionStride], m32 = s[14 * positionStride], m33 = s[15 * positionStride];
                float r00 = m00 + m10 + m20, r01 = m01 + m11 + m21, r02 = m02 + m12 + m22, r03 = m03 + m13 + m23;
                float r10 = m10 - m20 - m30, r11 = m11 - m21 - m31, r12 = m12 - m22 - m32, r13 = m13 - m23 - m33;
                values[0] = r00 + r01 + r02;
                values[1] = r01 - r02 - r03;
                values[2] = r10 + r11 + r12;
                values[3] = r11 - r12 - r13;
                for (var q = 0; q < 4; q++)
                {
                    if (inside[q])
                    {
                        var value = values[q];
                        if (e.Bias != null)
                        {
                            value += e.Bias[k];
                        }
                        if (e.Residual != null)
                        {
                            value += e.Residual[pixels[q] * e.ResidualStride + k];
                        }
                        _output[pixels[q] * cout + k] = e.Relu ? MathF.Max(value, 0f) : value;
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Output(float* s, long stride, float* y)
    {
        // Aᵀ M: two rows from four, one column j at a time; then each row times A: two values from four.
        AtColumn(s, 0, stride, out var r00, out var r10);
        AtColumn(s, 1, stride, out var r01, out var r11);
        AtColumn(s, 2, stride, out var r02, out var r12);
        AtColumn(s, 3, stride, out var r03, out var r13);
        const int w = 8;
        (r00 + r01 + r02).Store(y);
        (r01 - r02 - r03).Store(y + w);
        (r10 + r11 + r12).Store(y + 2 * w);
        (r11 - r12 - r13).Store(y + 3 * w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AtColumn(float* s, int j, long stride, out Vector256<float> r0, out Vector256<float> r1)
    {
        var m0 = Vector256.Load(s + j * stride);
        var m1 = Vector256.Load(s + (4 + j) * stride);
        var m2 = Vector256.Load(s + (8 + j) * stride);
        var m3 = Vector256.Load(s + (12 + j) * stride);
        r0 = m0 + m1 + m2;
        r1 = m1 - m2 - m3;
    }

    [InlineArray(16)]
    private struct InlineFloats16
    {
        private float _first;
    }

    /// <summary>Tile → (image, top row, left column) of its 4×4 input patch (output origin − padding).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (int Image, int Y, int X) Origin(int tile)
    {
        var perImage = _tilesHigh * _tilesWide;
        var n = tile / perImage;
        var rest = tile - n * perImage;
        var ty = rest / _tilesWide;
        var tx = rest - ty * _tilesWide;
        return (n, 2 * ty - _g.Padding, 2 * tx - _g.Padding);
    }
}
