using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// A direct convolution for inputs with very few channels (a model's first layer, on RGB): 8 output pixels × 32
/// output channels (or 6 × 64 where the outputs come in 64s) in registers, each input value broadcast straight from
/// the NHWC input. As a GEMM such a layer
/// has a depth of only 27 (3×3×3), so copying the patches into packed A cost as much as the arithmetic (the CNN's
/// first layer ran at a third of the FMA peak; here at 0.34–0.46 ms instead of 1.1–1.2 ms, one thread). Same sums as the GEMM, in the same order (the taps by
/// (ky, kx, c), from zero, then the bias, then ReLU), so the results are bit-identical to it.
/// One work item is one output row of one image.
/// </summary>
internal sealed unsafe class SmallInputConv : UnaryOp
{
    private const int Pixels = 8;
    private const int Columns = 32;
    private const int WidePixels = 6;
    private const int WideColumns = 64;
    private readonly bool _wide;
    private readonly ConvGeometry _g;
    private readonly int _outChannels;
    private readonly float[] _weights; // [(ky, kx, c), out]
    private readonly float* _bias;
    private readonly bool _relu;

    /// <summary>
    /// Whether <paramref name="conv"/> runs here: at most 4 input channels, output channels in whole 32s, square stride,
    /// 512-bit vectors, no residual, and either a GEMM depth (k·k·c) of at most 32 or output channels in whole 64s.
    /// Deeper windows need the 64-channel tile: the ResNet stem (7×7×3 = 147, 64 outputs) measured, one thread,
    /// 1.49–1.56 ms as a GEMM, 1.30–1.56 ms with 8 pixels × 32 channels and 1.16–1.31 ms with 6 pixels × 64 channels
    /// (and 1.63 ms as the BF16 GEMM; benchmarks/results/cpu-batch1-2026-12-06.md).
    /// </summary>
    public static bool Applies(Graph.FusedConv conv)
    {
        var c = conv.Conv;
        return Vector512.IsHardwareAccelerated && !c.IsDepthwise && c.Groups == 1 && c.InChannels <= 4
            && (c.InChannels * c.Kernel.Height * c.Kernel.Width <= 32 || c.OutChannels % WideColumns == 0)
            && c.OutChannels % Columns == 0 && conv.Residual is null
            && c.Stride.Height == c.Stride.Width && c.Padding.Height == c.Padding.Width;
    }

    /// <param name="geometry">Input shape and window.</param>
    /// <param name="weights">Weights as the GEMM takes them: row-major [(ky, kx, in), out].</param>
    /// <param name="outChannels">Output channels (a multiple of 32).</param>
    /// <param name="bias">Per-output-channel bias, pinned (outChannels floats).</param>
    /// <param name="relu">Apply ReLU last.</param>
    public SmallInputConv(ConvGeometry geometry, float[] weights, int outChannels, float* bias, bool relu)
    {
        var taps = (long)geometry.KernelHeight * geometry.KernelWidth * geometry.Channels;
        if (outChannels % Columns != 0 || weights.Length != taps * outChannels)
        {
            throw new ArgumentException($"direct convolution weights have {weights.Length} values for {outChannels} outputs; expected {taps}×{outChannels} with outputs in whole {Columns}s.", nameof(weights));
        }
        _g = geometry;
        _outChannels = outChannels;
        _weights = weights; // shared by the session's plans (CpuWeights)
        _bias = bias;
        _relu = relu;
        _wide = outChannels % WideColumns == 0;
    }

    /// <summary>Work items: one per output row per image.</summary>
    public override int Items => _g.Batch * _g.OutHeight;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(int item, int worker)
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
        fixed (float* w = _weights)
        {
            if (_wide)
            {
                // 64 channels at a time: 24 accumulators, each input value broadcast once for four FMAs.
                for (var co = 0; co < _outChannels; co += WideColumns)
                {
                    var ox = 0;
                    for (; ox < oxFirst; ox++)
                    {
                        OnePixel(image, row, w, y0, kyFirst, kyEnd, ox, co);
                        OnePixel(image, row, w, y0, kyFirst, kyEnd, ox, co + Columns);
                    }
                    for (; ox + WidePixels <= oxEnd; ox += WidePixels)
                    {
                        SixPixelsWide(image, row, w, y0, kyFirst, kyEnd, ox, co);
                    }
                    for (; ox < g.OutWidth; ox++)
                    {
                        OnePixel(image, row, w, y0, kyFirst, kyEnd, ox, co);
                        OnePixel(image, row, w, y0, kyFirst, kyEnd, ox, co + Columns);
                    }
                }
                return;
            }
            for (var co = 0; co < _outChannels; co += Columns)
            {
                var ox = 0;
                for (; ox < oxFirst; ox++)
                {
                    OnePixel(image, row, w, y0, kyFirst, kyEnd, ox, co);
                }
                for (; ox + Pixels <= oxEnd; ox += Pixels)
                {
                    EightPixels(image, row, w, y0, kyFirst, kyEnd, ox, co);
                }
                for (; ox < g.OutWidth; ox++)
                {
                    OnePixel(image, row, w, y0, kyFirst, kyEnd, ox, co);
                }
            }
        }
    }

    /// <summary>Eight neighbouring outputs whose windows lie inside the image horizontally.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EightPixels(float* image, float* row, float* w, int y0, int kyFirst, int kyEnd, int ox, int co)
    {
        var g = _g;
        var c = g.Channels;
        var step = (long)g.Stride * c;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        var x0 = ox * g.Stride - g.Padding;
        for (var ky = kyFirst; ky < kyEnd; ky++)
        {
            var input = image + ((long)(y0 + ky) * g.Width + x0) * c;
            var taps = w + (long)ky * g.KernelWidth * c * _outChannels + co;
            for (var k = 0; k < g.KernelWidth * c; k++)
            {
                var wa = Vector512.Load(taps);
                var wb = Vector512.Load(taps + 16);
                taps += _outChannels;
                var p = input + k;
                Vector512<float> v;
                v = Vector512.Create(p[0]); a0 = Vector512.FusedMultiplyAdd(v, wa, a0); b0 = Vector512.FusedMultiplyAdd(v, wb, b0);
                v = Vector512.Create(p[step]); a1 = Vector512.FusedMultiplyAdd(v, wa, a1); b1 = Vector512.FusedMultiplyAdd(v, wb, b1);
                v = Vector512.Create(p[2 * step]); a2 = Vector512.FusedMultiplyAdd(v, wa, a2); b2 = Vector512.FusedMultiplyAdd(v, wb, b2);
                v = Vector512.Create(p[3 * step]); a3 = Vector512.FusedMultiplyAdd(v, wa, a3); b3 = Vector512.FusedMultiplyAdd(v, wb, b3);
                v = Vector512.Create(p[4 * step]); a4 = Vector512.FusedMultiplyAdd(v, wa, a4); b4 = Vector512.FusedMultiplyAdd(v, wb, b4);
                v = Vector512.Create(p[5 * step]); a5 = Vector512.FusedMultiplyAdd(v, wa, a5); b5 = Vector512.FusedMultiplyAdd(v, wb, b5);
                v = Vector512.Create(p[6 * step]); a6 = Vector512.FusedMultiplyAdd(v, wa, a6); b6 = Vector512.FusedMultiplyAdd(v, wb, b6);
                v = Vector512.Create(p[7 * step]); a7 = Vector512.FusedMultiplyAdd(v, wa, a7); b7 = Vector512.FusedMultiplyAdd(v, wb, b7);
            }
        }
        var output = row + (long)ox * _outChannels + co;
        Store(output, a0, b0, co);
        Store(output + _outChannels, a1, b1, co);
        Store(output + 2 * _outChannels, a2, b2, co);
        Store(output + 3 * _outChannels, a3, b3, co);
        Store(output + 4 * _outChannels, a4, b4, co);
        Store(output + 5 * _outChannels, a5, b5, co);
        Store(output + 6 * _outChannels, a6, b6, co);
        Store(output + 7 * _outChannels, a7, b7, co);
    }

    /// <summary>Six neighbouring outputs × 64 channels whose windows lie inside the image horizontally (the same sums, in the same order, as <see cref="EightPixels"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SixPixelsWide(float* image, float* row, float* w, int y0, int kyFirst, int kyEnd, int ox, int co)
    {
        var g = _g;
        var c = g.Channels;
        var step = (long)g.Stride * c;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default;
        var x0 = ox * g.Stride - g.Padding;
        for (var ky = kyFirst; ky < kyEnd; ky++)
        {
            var input = image + ((long)(y0 + ky) * g.Width + x0) * c;
            var taps = w + (long)ky * g.KernelWidth * c * _outChannels + co;
            for (var k = 0; k < g.KernelWidth * c; k++)
            {
                var wa = Vector512.Load(taps);
                var wb = Vector512.Load(taps + 16);
                var wc = Vector512.Load(taps + 32);
                var wd = Vector512.Load(taps + 48);
                taps += _outChannels;
                var p = input + k;
                Vector512<float> v;
                v = Vector512.Create(p[0]); a0 = Vector512.FusedMultiplyAdd(v, wa, a0); b0 = Vector512.FusedMultiplyAdd(v, wb, b0); c0 = Vector512.FusedMultiplyAdd(v, wc, c0); d0 = Vector512.FusedMultiplyAdd(v, wd, d0);
                v = Vector512.Create(p[step]); a1 = Vector512.FusedMultiplyAdd(v, wa, a1); b1 = Vector512.FusedMultiplyAdd(v, wb, b1); c1 = Vector512.FusedMultiplyAdd(v, wc, c1); d1 = Vector512.FusedMultiplyAdd(v, wd, d1);
                v = Vector512.Create(p[2 * step]); a2 = Vector512.FusedMultiplyAdd(v, wa, a2); b2 = Vector512.FusedMultiplyAdd(v, wb, b2); c2 = Vector512.FusedMultiplyAdd(v, wc, c2); d2 = Vector512.FusedMultiplyAdd(v, wd, d2);
                v = Vector512.Create(p[3 * step]); a3 = Vector512.FusedMultiplyAdd(v, wa, a3); b3 = Vector512.FusedMultiplyAdd(v, wb, b3); c3 = Vector512.FusedMultiplyAdd(v, wc, c3); d3 = Vector512.FusedMultiplyAdd(v, wd, d3);
                v = Vector512.Create(p[4 * step]); a4 = Vector512.FusedMultiplyAdd(v, wa, a4); b4 = Vector512.FusedMultiplyAdd(v, wb, b4); c4 = Vector512.FusedMultiplyAdd(v, wc, c4); d4 = Vector512.FusedMultiplyAdd(v, wd, d4);
                v = Vector512.Create(p[5 * step]); a5 = Vector512.FusedMultiplyAdd(v, wa, a5); b5 = Vector512.FusedMultiplyAdd(v, wb, b5); c5 = Vector512.FusedMultiplyAdd(v, wc, c5); d5 = Vector512.FusedMultiplyAdd(v, wd, d5);
            }
        }
        var output = row + (long)ox * _outChannels + co;
        Store(output, a0, b0, co);
        Store(output + 32, c0, d0, co + 32);
        output += _outChannels;
        Store(output, a1, b1, co);
        Store(output + 32, c1, d1, co + 32);
        output += _outChannels;
        Store(output, a2, b2, co);
        Store(output + 32, c2, d2, co + 32);
        output += _outChannels;
        Store(output, a3, b3, co);
        Store(output + 32, c3, d3, co + 32);
        output += _outChannels;
        Store(output, a4, b4, co);
        Store(output + 32, c4, d4, co + 32);
        output += _outChannels;
        Store(output, a5, b5, co);
        Store(output + 32, c5, d5, co + 32);
    }

    /// <summary>One output whose window may reach into the padding (columns outside are skipped, as the GEMM's zeros add nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnePixel(float* image, float* row, float* w, int y0, int kyFirst, int kyEnd, int ox, int co)
    {
        var g = _g;
        var c = g.Channels;
        Vector512<float> a = default, b = default;
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
                var input = image + ((long)(y0 + ky) * g.Width + x) * c;
                var taps = w + ((long)(ky * g.KernelWidth + kx) * c) * _outChannels + co;
                for (var ci = 0; ci < c; ci++)
                {
                    var v = Vector512.Create(input[ci]);
                    a = Vector512.FusedMultiplyAdd(v, Vector512.Load(taps), a);
                    b = Vector512.FusedMultiplyAdd(v, Vector512.Load(taps + 16), b);
                    taps += _outChannels;
                }
            }
        }
        Store(row + (long)ox * _outChannels + co, a, b, co);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store(float* output, Vector512<float> a, Vector512<float> b, int co)
    {
        a += Vector512.Load(_bias + co);
        b += Vector512.Load(_bias + co + 16);
        if (_relu)
        {
            a = Vector512.Max(a, Vector512<float>.Zero);
            b = Vector512.Max(b, Vector512<float>.Zero);
        }
        a.Store(output);
        b.Store(output + 16);
    }
}
