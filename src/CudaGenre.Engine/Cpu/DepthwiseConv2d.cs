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
internal sealed unsafe class DepthwiseConv2d : IParallelWork
{
    private readonly float[] _weights; // [ky, kx, c], pinned
    private readonly float[] _bias;    // [c], pinned
    private readonly ConvGeometry _g;
    private readonly bool _reluInput;
    private readonly bool _reluOutput;
    private float* _input;
    private float* _output;

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

    /// <summary>Work items: one per output row per image.</summary>
    public int Items => _g.Batch * _g.OutHeight;

    /// <summary>Points the op at its NHWC input and output (set once when the memory plan is made).</summary>
    public void Bind(float* input, float* output)
    {
        _input = input;
        _output = output;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int item, int worker)
    {
        var g = _g;
        var n = item / g.OutHeight;
        var oy = item - n * g.OutHeight;
        var c = g.Channels;
        var image = _input + (long)n * g.Height * g.Width * c;
        var row = _output + ((long)n * g.OutHeight + oy) * g.OutWidth * c;
        var y0 = oy * g.Stride - g.Padding;
        var zero = Vector256<float>.Zero;
        fixed (float* w = _weights, bias = _bias)
        {
            for (var ox = 0; ox < g.OutWidth; ox++)
            {
                var x0 = ox * g.Stride - g.Padding;
                var output = row + (long)ox * c;
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
