using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// Max pooling over NHWC with PyTorch semantics: padding never wins (it counts as −∞), output size by
/// the floor formula, NaN propagates. Vectorized across channels; one work item per output row per image.
/// </summary>
internal sealed unsafe class MaxPool2d(ConvGeometry g) : UnaryOp
{
    /// <summary>Work items: one per output row per image.</summary>
    public override int Items => g.Batch * g.OutHeight;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(int item, int worker)
    {
        var n = item / g.OutHeight;
        var oy = item - n * g.OutHeight;
        var c = g.Channels;
        var image = Input + (long)n * g.Height * g.Width * c;
        var row = Output + ((long)n * g.OutHeight + oy) * g.OutWidth * c;
        var yStart = Math.Max(0, oy * g.Stride - g.Padding);
        var yEnd = Math.Min(g.Height, oy * g.Stride - g.Padding + g.KernelHeight);
        for (var ox = 0; ox < g.OutWidth; ox++)
        {
            var xStart = Math.Max(0, ox * g.Stride - g.Padding);
            var xEnd = Math.Min(g.Width, ox * g.Stride - g.Padding + g.KernelWidth);
            var window = image + ((long)yStart * g.Width + xStart) * c;
            var output = row + (long)ox * c;
            var ch = Vector512.IsHardwareAccelerated ? Window<Lanes16, Vector512<float>>(window, output, 0, yEnd - yStart, xEnd - xStart) : 0;
            ch = Window<Lanes8, Vector256<float>>(window, output, ch, yEnd - yStart, xEnd - xStart);
            for (; ch < c; ch++)
            {
                var best = float.NegativeInfinity;
                for (var y = 0; y < yEnd - yStart; y++)
                {
                    for (var x = 0; x < xEnd - xStart; x++)
                    {
                        var v = window[((long)y * g.Width + x) * c + ch];
                        best = float.IsNaN(v) || v > best ? v : best;
                        if (float.IsNaN(best))
                        {
                            break;
                        }
                    }
                }
                output[ch] = best;
            }
        }
    }

    /// <summary>
    /// One output pixel's channels from <paramref name="ch"/> on, a vector at a time; returns where it stopped. Each
    /// step is one <c>vmaxps</c> (.NET's NaN-exact Max is eight instructions in a dependent chain, which made this
    /// latency-bound) with NaN kept in a mask beside it, off the chain: a NaN anywhere in the window gives NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Window<TLanes, TVector>(float* window, float* output, int ch, int rows, int columns)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        var c = g.Channels;
        long rowStride = (long)g.Width * c;
        for (; ch + TLanes.Count <= c; ch += TLanes.Count)
        {
            var best = TLanes.Broadcast(float.NegativeInfinity);
            var nan = TLanes.Zero;
            for (var y = 0; y < rows; y++)
            {
                var p = window + y * rowStride + ch;
                for (var x = 0; x < columns; x++, p += c)
                {
                    var v = TLanes.Load(p);
                    best = TLanes.MaxX86(best, v);
                    nan = TLanes.Or(nan, TLanes.NaNMask(v));
                }
            }
            TLanes.Store(TLanes.Or(best, nan), output + ch);
        }
        return ch;
    }
}

/// <summary>Global average pooling NHWC [N, H, W, C] → [N, C], summed in FP32 over pixels; one work item per image.</summary>
internal sealed unsafe class GlobalAvgPool(int batch, int pixels, int channels) : UnaryOp
{
    /// <summary>Work items: one per image.</summary>
    public override int Items => batch;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(int item, int worker)
    {
        var image = Input + (long)item * pixels * channels;
        var output = Output + (long)item * channels;
        var ch = 0;
        for (; ch + 8 <= channels; ch += 8)
        {
            var sum = Vector256<float>.Zero;
            for (var p = 0; p < pixels; p++)
            {
                sum += Vector256.Load(image + (long)p * channels + ch);
            }
            (sum / pixels).Store(output + ch);
        }
        for (; ch < channels; ch++)
        {
            var sum = 0f;
            for (var p = 0; p < pixels; p++)
            {
                sum += image[(long)p * channels + ch];
            }
            output[ch] = sum / pixels;
        }
    }
}
