using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// A direct convolution for inputs with very few channels (a model's first layer, on RGB): a tile of output pixels ×
/// two vectors of output channels in registers (6 × 16 in 256-bit vectors, 8 × 32 in 512-bit ones, or 6 × 64 where the
/// outputs come in 64s), each input value broadcast straight from the image. As a GEMM such a layer has a depth of only
/// 27–147 (3×3×3 to 7×7×3), so copying the patches into packed A cost as much as the arithmetic (512-bit: the CNN's first
/// layer 1.1–1.2 ms as a GEMM, 0.34–0.46 ms here, one thread). It reads the image in NHWC or, as the model's first
/// step, in the NCHW the caller gave (no reorder step). Same sums as the GEMM, in the same order (the taps by
/// (ky, kx, c), from zero, then the bias, then ReLU), so the results are bit-identical to it.
/// One work item is one output row of one image.
/// </summary>
internal sealed unsafe class SmallInputConv : UnaryOp
{
    private const int WidePixels = 6;
    private const int WideColumns = 64;
    private readonly bool _wide;
    private readonly ConvGeometry _g;
    private readonly int _outChannels;
    private readonly float[] _weights; // [(ky, kx, c), out]
    private readonly float* _bias;
    private readonly bool _relu;
    // Input (y, x, c) of an image is at y · _rowStride + x · _pixelStride + c · _channelStride: NHWC or NCHW.
    private readonly long _rowStride;
    private readonly int _pixelStride;
    private readonly int _channelStride;
    // The (kx, c) taps of a kernel row, in the GEMM's order, as offsets from the window's first pixel in that row.
    private readonly long[] _taps;

    /// <summary>Output channels of one tile: two vectors.</summary>
    private static int Columns => 2 * (Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256<float>.Count);

    /// <summary>
    /// Whether <paramref name="conv"/> runs here: at most 4 input channels, output channels in whole tiles, square stride,
    /// no residual; with 512-bit vectors also either a GEMM depth (k·k·c) of at most 32 or output channels in whole
    /// 64s. Deeper windows need the 64-channel tile there: the ResNet stem (7×7×3 = 147, 64 outputs) measured, one
    /// thread, 1.49–1.56 ms as a GEMM, 1.30–1.56 ms with 8 pixels × 32 channels and 1.16–1.31 ms with 6 pixels × 64
    /// channels (benchmarks/results/cpu-batch1-2026-12-06.md). The 256-bit tile is the GEMM kernel's own 6 × 16. The
    /// window's taps must fit one of the GEMM's depth blocks (<see cref="Gemm.KC"/>): the sum here is one FMA chain, as
    /// the GEMM's is only within a block, and the two must stay bit-identical.
    /// </summary>
    public static bool Applies(Graph.FusedConv conv)
    {
        var c = conv.Conv;
        return !c.IsDepthwise && c.Groups == 1 && c.InChannels <= 4 && c.OutChannels % Columns == 0 && conv.Residual is null
            && c.InChannels * c.Kernel.Height * c.Kernel.Width <= Gemm.KC
            && c.Stride.Height == c.Stride.Width && c.Padding.Height == c.Padding.Width
            && (!Vector512.IsHardwareAccelerated || c.InChannels * c.Kernel.Height * c.Kernel.Width <= 32 || c.OutChannels % WideColumns == 0);
    }

    /// <param name="geometry">Input shape and window.</param>
    /// <param name="weights">Weights as the GEMM takes them: row-major [(ky, kx, in), out].</param>
    /// <param name="outChannels">Output channels (whole tiles of <see cref="Columns"/>).</param>
    /// <param name="bias">Per-output-channel bias, pinned (outChannels floats).</param>
    /// <param name="relu">Apply ReLU last.</param>
    /// <param name="nchw">Whether the input is NCHW (the model's input as given) rather than NHWC.</param>
    public SmallInputConv(ConvGeometry geometry, float[] weights, int outChannels, float* bias, bool relu, bool nchw = false)
    {
        var taps = (long)geometry.KernelHeight * geometry.KernelWidth * geometry.Channels;
        if (outChannels % Columns != 0 || weights.Length != taps * outChannels)
        {
            throw new ArgumentException($"direct convolution weights have {weights.Length} values for {outChannels} outputs; expected {taps}×{outChannels} with outputs in whole {Columns}s.", nameof(weights));
        }
        if (taps > Gemm.KC)
        {
            throw new ArgumentException($"a direct convolution of {taps} taps would not sum as the GEMM does: its depth blocks hold {Gemm.KC}.", nameof(geometry));
        }
        _g = geometry;
        _outChannels = outChannels;
        _weights = weights; // shared by the session's plans (CpuWeights)
        _bias = bias;
        _relu = relu;
        _wide = Vector512.IsHardwareAccelerated && outChannels % WideColumns == 0;
        _pixelStride = nchw ? 1 : geometry.Channels;
        _rowStride = (long)geometry.Width * _pixelStride;
        _channelStride = nchw ? checked(geometry.Height * geometry.Width) : 1;
        _taps = new long[geometry.KernelWidth * geometry.Channels];
        for (var kx = 0; kx < geometry.KernelWidth; kx++)
        {
            for (var c = 0; c < geometry.Channels; c++)
            {
                _taps[kx * geometry.Channels + c] = (long)kx * _pixelStride + (long)c * _channelStride;
            }
        }
    }

    /// <summary>Work items: one per output row per image.</summary>
    public override int Items => _g.Batch * _g.OutHeight;

    /// <inheritdoc/>
    public override void Execute(int item, int worker)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Row<Lanes16, Vector512<float>, Rows8>(item);
        }
        else
        {
            Row<Lanes8, Vector256<float>, Rows6>(item);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Row<TLanes, TVector, P>(int item)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where P : struct, IRowCount
    {
        var g = _g;
        var n = item / g.OutHeight;
        var oy = item - n * g.OutHeight;
        var image = Input + (long)n * g.Height * g.Width * g.Channels;
        var row = Output + ((long)n * g.OutHeight + oy) * g.OutWidth * _outChannels;
        var y0 = oy * g.Stride - g.Padding;
        // Kernel rows inside the image for this output row: the same for every pixel of it.
        var kyFirst = Math.Max(0, -y0);
        var kyEnd = Math.Min(g.KernelHeight, g.Height - y0);
        // Output columns whose whole window is inside the image horizontally.
        var oxFirst = Math.Min(g.OutWidth, (g.Padding + g.Stride - 1) / g.Stride);
        var span = g.Width + g.Padding - g.KernelWidth;
        var oxEnd = span < 0 ? oxFirst : Math.Max(oxFirst, Math.Min(g.OutWidth, span / g.Stride + 1));
        var columns = 2 * TLanes.Count;
        var block = _wide ? WideColumns : columns;
        fixed (float* w = _weights)
        fixed (long* taps = _taps)
        {
            for (var co = 0; co < _outChannels; co += block)
            {
                var ox = 0;
                for (; ox < oxFirst; ox++)
                {
                    for (var c = co; c < co + block; c += columns)
                    {
                        OnePixel<TLanes, TVector>(image, row, w, y0, kyFirst, kyEnd, ox, c);
                    }
                }
                if (Vector512.IsHardwareAccelerated && _wide)
                {
                    // 64 channels at a time: 24 accumulators, each input value broadcast once for four FMAs.
                    for (; ox + WidePixels <= oxEnd; ox += WidePixels)
                    {
                        SixPixelsWide(image, row, w, taps, y0, kyFirst, kyEnd, ox, co);
                    }
                }
                else
                {
                    for (; ox + P.Count <= oxEnd; ox += P.Count)
                    {
                        Pixels<TLanes, TVector, P>(image, row, w, taps, y0, kyFirst, kyEnd, ox, co);
                    }
                }
                for (; ox < g.OutWidth; ox++)
                {
                    for (var c = co; c < co + block; c += columns)
                    {
                        OnePixel<TLanes, TVector>(image, row, w, y0, kyFirst, kyEnd, ox, c);
                    }
                }
            }
        }
    }

    /// <summary>
    /// <typeparamref name="P"/> neighbouring outputs (up to 8) × two vectors of channels, whose windows lie inside the
    /// image horizontally: each input value broadcast once for two FMAs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pixels<TLanes, TVector, P>(float* image, float* row, float* w, long* taps, int y0, int kyFirst, int kyEnd, int ox, int co)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where P : struct, IRowCount
    {
        var g = _g;
        var outChannels = _outChannels;
        var rowTaps = g.KernelWidth * g.Channels;
        var step = (long)g.Stride * _pixelStride;
        TVector a0 = TLanes.Zero, a1 = TLanes.Zero, a2 = TLanes.Zero, a3 = TLanes.Zero, a4 = TLanes.Zero, a5 = TLanes.Zero, a6 = TLanes.Zero, a7 = TLanes.Zero;
        TVector b0 = TLanes.Zero, b1 = TLanes.Zero, b2 = TLanes.Zero, b3 = TLanes.Zero, b4 = TLanes.Zero, b5 = TLanes.Zero, b6 = TLanes.Zero, b7 = TLanes.Zero;
        var x0 = ox * g.Stride - g.Padding;
        for (var ky = kyFirst; ky < kyEnd; ky++)
        {
            var input = image + (y0 + ky) * _rowStride + (long)x0 * _pixelStride;
            var weights = w + (long)ky * rowTaps * outChannels + co;
            for (var k = 0; k < rowTaps; k++)
            {
                var wa = TLanes.Load(weights);
                var wb = TLanes.Load(weights + TLanes.Count);
                weights += outChannels;
                var p = input + taps[k];
                var v = TLanes.Broadcast(p[0]);
                a0 = TLanes.Fma(v, wa, a0);
                b0 = TLanes.Fma(v, wb, b0);
                if (P.Count > 1) { v = TLanes.Broadcast(p[step]); a1 = TLanes.Fma(v, wa, a1); b1 = TLanes.Fma(v, wb, b1); }
                if (P.Count > 2) { v = TLanes.Broadcast(p[2 * step]); a2 = TLanes.Fma(v, wa, a2); b2 = TLanes.Fma(v, wb, b2); }
                if (P.Count > 3) { v = TLanes.Broadcast(p[3 * step]); a3 = TLanes.Fma(v, wa, a3); b3 = TLanes.Fma(v, wb, b3); }
                if (P.Count > 4) { v = TLanes.Broadcast(p[4 * step]); a4 = TLanes.Fma(v, wa, a4); b4 = TLanes.Fma(v, wb, b4); }
                if (P.Count > 5) { v = TLanes.Broadcast(p[5 * step]); a5 = TLanes.Fma(v, wa, a5); b5 = TLanes.Fma(v, wb, b5); }
                if (P.Count > 6) { v = TLanes.Broadcast(p[6 * step]); a6 = TLanes.Fma(v, wa, a6); b6 = TLanes.Fma(v, wb, b6); }
                if (P.Count > 7) { v = TLanes.Broadcast(p[7 * step]); a7 = TLanes.Fma(v, wa, a7); b7 = TLanes.Fma(v, wb, b7); }
            }
        }
        var output = row + (long)ox * outChannels + co;
        Store<TLanes, TVector>(output, a0, b0, co);
        if (P.Count > 1) Store<TLanes, TVector>(output + outChannels, a1, b1, co);
        if (P.Count > 2) Store<TLanes, TVector>(output + 2 * outChannels, a2, b2, co);
        if (P.Count > 3) Store<TLanes, TVector>(output + 3 * outChannels, a3, b3, co);
        if (P.Count > 4) Store<TLanes, TVector>(output + 4 * outChannels, a4, b4, co);
        if (P.Count > 5) Store<TLanes, TVector>(output + 5 * outChannels, a5, b5, co);
        if (P.Count > 6) Store<TLanes, TVector>(output + 6 * outChannels, a6, b6, co);
        if (P.Count > 7) Store<TLanes, TVector>(output + 7 * outChannels, a7, b7, co);
    }

    /// <summary>Six neighbouring outputs × 64 channels (512-bit only) whose windows lie inside the image horizontally (the same sums, in the same order, as <see cref="Pixels"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SixPixelsWide(float* image, float* row, float* w, long* taps, int y0, int kyFirst, int kyEnd, int ox, int co)
    {
        var g = _g;
        var outChannels = _outChannels;
        var rowTaps = g.KernelWidth * g.Channels;
        var step = (long)g.Stride * _pixelStride;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default;
        var x0 = ox * g.Stride - g.Padding;
        for (var ky = kyFirst; ky < kyEnd; ky++)
        {
            var input = image + (y0 + ky) * _rowStride + (long)x0 * _pixelStride;
            var weights = w + (long)ky * rowTaps * outChannels + co;
            for (var k = 0; k < rowTaps; k++)
            {
                var wa = Vector512.Load(weights);
                var wb = Vector512.Load(weights + 16);
                var wc = Vector512.Load(weights + 32);
                var wd = Vector512.Load(weights + 48);
                weights += outChannels;
                var p = input + taps[k];
                Vector512<float> v;
                v = Vector512.Create(p[0]); a0 = Vector512.FusedMultiplyAdd(v, wa, a0); b0 = Vector512.FusedMultiplyAdd(v, wb, b0); c0 = Vector512.FusedMultiplyAdd(v, wc, c0); d0 = Vector512.FusedMultiplyAdd(v, wd, d0);
                v = Vector512.Create(p[step]); a1 = Vector512.FusedMultiplyAdd(v, wa, a1); b1 = Vector512.FusedMultiplyAdd(v, wb, b1); c1 = Vector512.FusedMultiplyAdd(v, wc, c1); d1 = Vector512.FusedMultiplyAdd(v, wd, d1);
                v = Vector512.Create(p[2 * step]); a2 = Vector512.FusedMultiplyAdd(v, wa, a2); b2 = Vector512.FusedMultiplyAdd(v, wb, b2); c2 = Vector512.FusedMultiplyAdd(v, wc, c2); d2 = Vector512.FusedMultiplyAdd(v, wd, d2);
                v = Vector512.Create(p[3 * step]); a3 = Vector512.FusedMultiplyAdd(v, wa, a3); b3 = Vector512.FusedMultiplyAdd(v, wb, b3); c3 = Vector512.FusedMultiplyAdd(v, wc, c3); d3 = Vector512.FusedMultiplyAdd(v, wd, d3);
                v = Vector512.Create(p[4 * step]); a4 = Vector512.FusedMultiplyAdd(v, wa, a4); b4 = Vector512.FusedMultiplyAdd(v, wb, b4); c4 = Vector512.FusedMultiplyAdd(v, wc, c4); d4 = Vector512.FusedMultiplyAdd(v, wd, d4);
                v = Vector512.Create(p[5 * step]); a5 = Vector512.FusedMultiplyAdd(v, wa, a5); b5 = Vector512.FusedMultiplyAdd(v, wb, b5); c5 = Vector512.FusedMultiplyAdd(v, wc, c5); d5 = Vector512.FusedMultiplyAdd(v, wd, d5);
            }
        }
        var output = row + (long)ox * outChannels + co;
        StoreWide(output, a0, b0, c0, d0, co);
        StoreWide(output + outChannels, a1, b1, c1, d1, co);
        StoreWide(output + 2 * outChannels, a2, b2, c2, d2, co);
        StoreWide(output + 3 * outChannels, a3, b3, c3, d3, co);
        StoreWide(output + 4 * outChannels, a4, b4, c4, d4, co);
        StoreWide(output + 5 * outChannels, a5, b5, c5, d5, co);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StoreWide(float* output, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, int co)
    {
        Store<Lanes16, Vector512<float>>(output, a, b, co);
        Store<Lanes16, Vector512<float>>(output + 32, c, d, co + 32);
    }

    /// <summary>One output × two vectors of channels whose window may reach into the padding (columns outside are skipped, as the GEMM's zeros add nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnePixel<TLanes, TVector>(float* image, float* row, float* w, int y0, int kyFirst, int kyEnd, int ox, int co)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var g = _g;
        TVector a = TLanes.Zero, b = TLanes.Zero;
        var x0 = ox * g.Stride - g.Padding;
        for (var ky = kyFirst; ky < kyEnd; ky++)
        {
            for (var kx = 0; kx < g.KernelWidth; kx++)
            {
                var x = x0 + kx;
                if ((uint)x >= (uint)g.Width)
                {
                    continue;
                }
                var input = image + (y0 + ky) * _rowStride + (long)x * _pixelStride;
                var taps = w + ((long)(ky * g.KernelWidth + kx) * g.Channels) * _outChannels + co;
                for (var ci = 0; ci < g.Channels; ci++)
                {
                    var v = TLanes.Broadcast(input[(long)ci * _channelStride]);
                    a = TLanes.Fma(v, TLanes.Load(taps), a);
                    b = TLanes.Fma(v, TLanes.Load(taps + TLanes.Count), b);
                    taps += _outChannels;
                }
            }
        }
        Store<TLanes, TVector>(row + (long)ox * _outChannels + co, a, b, co);
    }

    /// <summary>Bias, then ReLU (NaN passes, as in PyTorch and the GEMM's epilogue), then the store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store<TLanes, TVector>(float* output, TVector a, TVector b, int co)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        a = TLanes.Add(a, TLanes.Load(_bias + co));
        b = TLanes.Add(b, TLanes.Load(_bias + co + TLanes.Count));
        if (_relu)
        {
            a = TLanes.Relu(a);
            b = TLanes.Relu(b);
        }
        TLanes.Store(a, output);
        TLanes.Store(b, output + TLanes.Count);
    }
}
