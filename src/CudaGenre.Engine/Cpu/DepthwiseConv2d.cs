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
    private void Strip(float* image, float* output, int outputStride, float* w, float* bias, int y0, int x0, int ch0, int ch1)
    {
        var g = _g;
        var c = g.Channels;
        for (var ch = ch0; ch < ch1; ch += 8)
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
                    (v0, v1, v2, v3, v4, v5) = (Lanes8.Relu(v0), Lanes8.Relu(v1), Lanes8.Relu(v2),
                        Lanes8.Relu(v3), Lanes8.Relu(v4), Lanes8.Relu(v5));
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
                (s0, s1, s2, s3) = (Lanes8.Relu(s0), Lanes8.Relu(s1), Lanes8.Relu(s2), Lanes8.Relu(s3));
            }
            var o = output + (ch - ch0);
            s0.Store(o);
            s1.Store(o + outputStride);
            s2.Store(o + 2 * outputStride);
            s3.Store(o + 3 * outputStride);
        }
    }

    /// <summary>
    /// Channels per sweep: 16 in 512-bit vectors where .NET accelerates them, else 8 in 256-bit ones; 0 where
    /// <see cref="Sweep{TLanes, TVector}"/> does not apply (it needs a 3×3 window at stride 1 with padding 1).
    /// </summary>
    private int SweepLanes => !(Strip4 && _g.Padding == 1) ? 0
        : Vector512.IsHardwareAccelerated ? Lanes16.Count
        : Vector256.IsHardwareAccelerated ? Lanes8.Count
        : 0;

    /// <summary>
    /// Outputs ox0 … ox0 + count − 1 of one row, one vector of channels from <paramref name="ch"/>, sliding along the row:
    /// the 9 weights stay in registers and each output loads only the window's new column (3 vectors), where the strips
    /// load 4.5 inputs and 2.25 weights per output. The sum's order is the general loop's (bias, then the taps row by
    /// row, left to right, rows outside the image skipped); a column outside it adds 0 × w, which changes no nonzero sum.
    /// Written once for both vector widths (<typeparamref name="TLanes"/>); the JIT compiles each on its own.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Sweep<TLanes, TVector>(int n, int oy, int ox0, int count, int ch, float* destination, int pixelStride)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var g = _g;
        var c = g.Channels;
        var width = g.Width;
        var image = Input + (long)n * g.Height * width * c + ch;
        var y0 = oy - 1;
        var has0 = (uint)y0 < (uint)g.Height;
        var has2 = (uint)(y0 + 2) < (uint)g.Height;
        // Rows outside the image point at the middle row; their taps are skipped below.
        var row1 = image + (long)oy * width * c;
        var row0 = has0 ? row1 - (long)width * c : row1;
        var row2 = has2 ? row1 + (long)width * c : row1;
        var relu = _reluInput;
        var zero = TLanes.Zero;
        fixed (float* wp = _weights, bp = _bias)
        {
            var w = wp + ch;
            TVector w00 = TLanes.Load(w), w01 = TLanes.Load(w + c), w02 = TLanes.Load(w + 2 * c);
            TVector w10 = TLanes.Load(w + 3 * c), w11 = TLanes.Load(w + 4 * c), w12 = TLanes.Load(w + 5 * c);
            TVector w20 = TLanes.Load(w + 6 * c), w21 = TLanes.Load(w + 7 * c), w22 = TLanes.Load(w + 8 * c);
            var bias = TLanes.Load(bp + ch);

            // The window's left (a) and middle (b) columns for the first output.
            TVector a0 = zero, a1 = zero, a2 = zero;
            if (ox0 > 0)
            {
                var left = (long)(ox0 - 1) * c;
                (a0, a1, a2) = (Load<TLanes, TVector>(row0 + left, relu), Load<TLanes, TVector>(row1 + left, relu), Load<TLanes, TVector>(row2 + left, relu));
            }
            var middle = (long)ox0 * c;
            TVector b0 = Load<TLanes, TVector>(row0 + middle, relu), b1 = Load<TLanes, TVector>(row1 + middle, relu), b2 = Load<TLanes, TVector>(row2 + middle, relu);
            var output = destination;
            for (var ox = ox0; ox < ox0 + count; ox++)
            {
                TVector c0 = zero, c1 = zero, c2 = zero;
                if (ox + 1 < width)
                {
                    var right = (long)(ox + 1) * c;
                    (c0, c1, c2) = (Load<TLanes, TVector>(row0 + right, relu), Load<TLanes, TVector>(row1 + right, relu), Load<TLanes, TVector>(row2 + right, relu));
                }
                var sum = bias;
                if (has0)
                {
                    sum = TLanes.Fma(c0, w02, TLanes.Fma(b0, w01, TLanes.Fma(a0, w00, sum)));
                }
                sum = TLanes.Fma(c1, w12, TLanes.Fma(b1, w11, TLanes.Fma(a1, w10, sum)));
                if (has2)
                {
                    sum = TLanes.Fma(c2, w22, TLanes.Fma(b2, w21, TLanes.Fma(a2, w20, sum)));
                }
                TLanes.Store(_reluOutput ? TLanes.Relu(sum) : sum, output);
                output += pixelStride;
                (a0, a1, a2) = (b0, b1, b2);
                (b0, b1, b2) = (c0, c1, c2);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Load<TLanes, TVector>(float* p, bool relu)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var v = TLanes.Load(p);
        return relu ? TLanes.Relu(v) : v;
    }

    /// <summary>Work items: one per output row per image.</summary>
    public override int Items => _g.Batch * _g.OutHeight;

    /// <summary>The shape this convolution was made for.</summary>
    public ConvGeometry Geometry => _g;

    /// <inheritdoc/>
    public override void Execute(int item, int worker)
    {
        var n = item / _g.OutHeight;
        var oy = item - n * _g.OutHeight;
        var c = _g.Channels;
        ComputeRun(n, oy, 0, _g.OutWidth, 0, c, Output + ((long)n * _g.OutHeight + oy) * _g.OutWidth * c, c);
    }

    /// <summary>
    /// Outputs <paramref name="ox0"/> … <paramref name="ox0"/> + <paramref name="count"/> − 1 of row <paramref name="oy"/>
    /// of image <paramref name="n"/>, channels <paramref name="ch0"/> … <paramref name="ch0"/> + <paramref name="channels"/> − 1,
    /// written to <paramref name="destination"/>[i · <paramref name="pixelStride"/> + (ch − ch0)]: a whole NHWC row for
    /// <see cref="Execute"/>, or a block of a GEMM's A for <see cref="DepthwiseSource"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ComputeRun(int n, int oy, int ox0, int count, int ch0, int channels, float* destination, int pixelStride)
    {
        var g = _g;
        var c = g.Channels;
        var ch1 = ch0 + channels;
        var lanes = SweepLanes;
        if (lanes > 0)
        {
            // A vector of channels at a time along the run; what is left (fewer than a vector) takes the loops below.
            var wide = channels / lanes * lanes;
            for (var ch = ch0; ch < ch0 + wide; ch += lanes)
            {
                if (lanes == Lanes16.Count)
                {
                    Sweep<Lanes16, Vector512<float>>(n, oy, ox0, count, ch, destination + (ch - ch0), pixelStride);
                }
                else
                {
                    Sweep<Lanes8, Vector256<float>>(n, oy, ox0, count, ch, destination + (ch - ch0), pixelStride);
                }
            }
            if (wide == channels)
            {
                return;
            }
            destination += wide;
            ch0 += wide;
            channels -= wide;
        }
        var image = Input + (long)n * g.Height * g.Width * c;
        var y0 = oy * g.Stride - g.Padding;
        var strips = Strip4 && channels % 8 == 0;
        fixed (float* w = _weights, bias = _bias)
        {
            var ox = ox0;
            var end = ox0 + count;
            while (ox < end)
            {
                var x0 = ox * g.Stride - g.Padding;
                var output = destination + (long)(ox - ox0) * pixelStride;
                // Xception's case (3×3, stride 1) away from the left and right edges: four outputs at once, so
                // each input vector loaded serves up to three of them (6 loads per row of the window, not 12).
                if (strips && x0 >= 0 && x0 + 6 <= g.Width && ox + 4 <= end)
                {
                    Strip(image, output, pixelStride, w, bias, y0, x0, ch0, ch1);
                    ox += 4;
                    continue;
                }
                ox++;
                var ch = ch0;
                for (; ch + 8 <= ch1; ch += 8)
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
                                v = Lanes8.Relu(v);
                            }
                            sum = Vector256.FusedMultiplyAdd(v, Vector256.Load(w + (ky * g.KernelWidth + kx) * c + ch), sum);
                        }
                    }
                    (_reluOutput ? Lanes8.Relu(sum) : sum).Store(output + (ch - ch0));
                }
                for (; ch < ch1; ch++)
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
                    output[ch - ch0] = _reluOutput ? MathF.Max(sum, 0f) : sum;
                }
            }
        }
    }
}

/// <summary>
/// A GEMM's A computed on the fly by a depthwise convolution: a separable convolution (depthwise, then 1×1) as one
/// op. Each packed block of A is the depthwise output of MC pixels × KC channels, made in cache and used at once, so the
/// depthwise output never goes to memory and back: on Xception's 147×147 maps that round trip (22 MB a layer) was most
/// of the depthwise time, and it is what kept the depthwise steps from getting faster on a second core.
/// </summary>
internal readonly unsafe struct DepthwiseSource(DepthwiseConv2d depthwise) : IGemmSource
{
    private readonly ConvGeometry _g = depthwise.Geometry;

    public int Rows => _g.Batch * _g.OutHeight * _g.OutWidth;

    public int Depth => _g.Channels;

    public float* InPlace => null;

    public int InPlaceStride => 0;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int row0, int rows, int k0, int kc, float* destination)
    {
        var pixels = _g.OutHeight * _g.OutWidth;
        var row = row0;
        var end = row0 + rows;
        while (row < end)
        {
            var n = row / pixels;
            var inImage = row - n * pixels;
            var oy = inImage / _g.OutWidth;
            var ox = inImage - oy * _g.OutWidth;
            var count = Math.Min(_g.OutWidth - ox, end - row);
            depthwise.ComputeRun(n, oy, ox, count, k0, kc, destination + (long)(row - row0) * kc, kc);
            row += count;
        }
    }
}
