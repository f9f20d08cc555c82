using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// Depthwise convolution over NHWC (one filter per channel, PyTorch <c>groups = channels</c>), vectorized
/// across channels: each output pixel is a sum over the window of input × weight with channels in lanes.
/// Xception's separable convolutions start with it; the ReLU that precedes them in a block is applied
/// here to each input value as it is read (<c>ReluInput</c>), so the un-ReLU'd input stays intact for the skip path.
/// One work item is one output row of one image.
/// </summary>
internal sealed unsafe class DepthwiseConv2d : UnaryOp
{
    private readonly float[] _weights; // [ky, kx, c], pinned
    private readonly float[] _bias;    // [c], pinned
    private readonly ConvGeometry _g;
    private readonly bool _reluInput;
    private readonly bool _reluOutput;
    /// <param name="geometry">Input shape and window (channels = groups).</param>
    /// <param name="weights">PyTorch layout [C, 1, kh, kw].</param>
    /// <param name="bias">Per-channel bias, or null for none.</param>
    /// <param name="reluInput">Apply ReLU to the input as it is read.</param>
    /// <param name="reluOutput">Apply ReLU to the result.</param>
    public DepthwiseConv2d(ConvGeometry geometry, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, bool reluInput, bool reluOutput)
    {
        var taps = geometry.KernelHeight * geometry.KernelWidth;
        if (weights.Length != geometry.Channels * taps)
        {
            throw new ArgumentException($"depthwise weights have {weights.Length} values; expected {geometry.Channels}×1×{geometry.KernelHeight}×{geometry.KernelWidth}.", nameof(weights));
        }
        _g = geometry;
        _reluInput = reluInput;
        _reluOutput = reluOutput;
        _weights = GC.AllocateArray<float>(taps * geometry.Channels, pinned: true);
        for (var c = 0; c < geometry.Channels; c++)
        {
            for (var t = 0; t < taps; t++)
            {
                _weights[t * geometry.Channels + c] = weights[c * taps + t];
            }
        }
        _bias = GC.AllocateArray<float>(geometry.Channels, pinned: true);
        if (!bias.IsEmpty)
        {
            bias.CopyTo(_bias);
        }
    }

    /// <summary>Whether the four-output strip applies: a 3×3 window at stride 1.</summary>
    private bool Strip4 => _g.KernelHeight == 3 && _g.KernelWidth == 3 && _g.Stride == 1;

    /// <summary>
    /// Four neighbouring outputs (x0 + 1 … x0 + 4 in input terms), all channels, 8 at a time. Every output gets
    /// exactly the sum of the general loop: bias, then the taps row by row and left to right, rows outside the
    /// image skipped, each one fused multiply-add, so results are bit-identical.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Strip(float* image, float* output, float* w, float* bias, int y0, int x0, int c)
    {
        var g = _g;
        var zero = Vector256<float>.Zero;
        for (var ch = 0; ch < c; ch += 8)
        {
            var b = Vector256.Load(bias + ch);
            Vector256<float> s0 = b, s1 = b, s2 = b, s3 = b;
            for (var ky = 0; ky < 3; ky++)
            {
                var y = y0 + ky;
                if ((uint)y >= (uint)g.Height)
                {
                    continue;
                }
                var p = image + ((long)y * g.Width + x0) * c + ch;
                var v0 = Vector256.Load(p);
                var v1 = Vector256.Load(p + c);
                var v2 = Vector256.Load(p + 2 * c);
                var v3 = Vector256.Load(p + 3 * c);
                var v4 = Vector256.Load(p + 4 * c);
                var v5 = Vector256.Load(p + 5 * c);
                if (_reluInput)
                {
                    (v0, v1, v2, v3, v4, v5) = (Vector256.Max(v0, zero), Vector256.Max(v1, zero), Vector256.Max(v2, zero),
                        Vector256.Max(v3, zero), Vector256.Max(v4, zero), Vector256.Max(v5, zero));
                }
                var wr = w + ky * 3 * c + ch;
                var w0 = Vector256.Load(wr);
                var w1 = Vector256.Load(wr + c);
                var w2 = Vector256.Load(wr + 2 * c);
                s0 = Vector256.FusedMultiplyAdd(v2, w2, Vector256.FusedMultiplyAdd(v1, w1, Vector256.FusedMultiplyAdd(v0, w0, s0)));
                s1 = Vector256.FusedMultiplyAdd(v3, w2, Vector256.FusedMultiplyAdd(v2, w1, Vector256.FusedMultiplyAdd(v1, w0, s1)));
                s2 = Vector256.FusedMultiplyAdd(v4, w2, Vector256.FusedMultiplyAdd(v3, w1, Vector256.FusedMultiplyAdd(v2, w0, s2)));
                s3 = Vector256.FusedMultiplyAdd(v5, w2, Vector256.FusedMultiplyAdd(v4, w1, Vector256.FusedMultiplyAdd(v3, w0, s3)));
            }
            if (_reluOutput)
            {
                (s0, s1, s2, s3) = (Vector256.Max(s0, zero), Vector256.Max(s1, zero), Vector256.Max(s2, zero), Vector256.Max(s3, zero));
            }
            s0.Store(output + ch);
            s1.Store(output + c + ch);
            s2.Store(output + 2 * c + ch);
            s3.Store(output + 3 * c + ch);
        }
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
        var c = g.Channels;
        var image = Input + (long)n * g.Height * g.Width * c;
        var row = Output + ((long)n * g.OutHeight + oy) * g.OutWidth * c;
        var y0 = oy * g.Stride - g.Padding;
        var zero = Vector256<float>.Zero;
        fixed (float* w = _weights, bias = _bias)
        {
            var ox = 0;
            while (ox < g.OutWidth)
            {
                var x0 = ox * g.Stride - g.Padding;
                var output = row + (long)ox * c;
                // Xception's case (3×3, stride 1) away from the left and right edges: four outputs at once, so
                // each input vector loaded serves up to three of them (6 loads per row of the window, not 12).
                if (Strip4 && x0 >= 0 && x0 + 6 <= g.Width && ox + 4 <= g.OutWidth && c % 8 == 0)
                {
                    Strip(image, output, w, bias, y0, x0, c);
                    ox += 4;
                    continue;
                }
                ox++;
                var ch = 0;
                for (; ch + 8 <= c; ch += 8)
                {
                    var sum = Vector256.Load(bias + ch);
                    for (var ky = 0; ky < g.KernelHeight; ky++)
                    {
                        var y = y0 + ky;
                        if ((uint)y >= (uint)g.Height)
                        {
                            continue;
                        }
                        for (var kx = 0; kx < g.KernelWidth; kx++)
                        {
                            var x = x0 + kx;
                            if ((uint)x >= (uint)g.Width)
                            {
                                continue;
                            }
                            var v = Vector256.Load(image + ((long)y * g.Width + x) * c + ch);
                            if (_reluInput)
                            {
                                v = Vector256.Max(v, zero);
                            }
                            sum = Vector256.FusedMultiplyAdd(v, Vector256.Load(w + (ky * g.KernelWidth + kx) * c + ch), sum);
                        }
                    }
                    (_reluOutput ? Vector256.Max(sum, zero) : sum).Store(output + ch);
                }
                for (; ch < c; ch++)
                {
                    var sum = bias[ch];
                    for (var ky = 0; ky < g.KernelHeight; ky++)
                    {
                        var y = y0 + ky;
                        if ((uint)y >= (uint)g.Height)
                        {
                            continue;
                        }
                        for (var kx = 0; kx < g.KernelWidth; kx++)
                        {
                            var x = x0 + kx;
                            if ((uint)x >= (uint)g.Width)
                            {
                                continue;
                            }
                            var v = image[((long)y * g.Width + x) * c + ch];
                            sum = MathF.FusedMultiplyAdd(_reluInput ? MathF.Max(v, 0f) : v, w[(ky * g.KernelWidth + kx) * c + ch], sum);
                        }
                    }
                    output[ch] = _reluOutput ? MathF.Max(sum, 0f) : sum;
                }
            }
        }
    }
}
