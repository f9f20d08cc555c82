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
            var output = row + (long)ox * c;
            var ch = 0;
            // Vector Max is IEEE 754-2019 maximum: a NaN anywhere in the window gives NaN, as in PyTorch. Two running
            // maxima halve the chain of dependent Max operations (each is three instructions).
            if (Vector512.IsHardwareAccelerated)
            {
                for (; ch + 16 <= c; ch += 16)
                {
                    Vector512<float> a = Vector512.Create(float.NegativeInfinity), b = a;
                    for (var y = yStart; y < yEnd; y++)
                    {
                        var p = image + ((long)y * g.Width + xStart) * c + ch;
                        var x = xStart;
                        for (; x + 1 < xEnd; x += 2, p += 2 * c)
                        {
                            a = Vector512.Max(a, Vector512.Load(p));
                            b = Vector512.Max(b, Vector512.Load(p + c));
                        }
                        if (x < xEnd)
                        {
                            a = Vector512.Max(a, Vector512.Load(p));
                        }
                    }
                    Vector512.Max(a, b).Store(output + ch);
                }
            }
            for (; ch + 8 <= c; ch += 8)
            {
                var best = Vector256.Create(float.NegativeInfinity);
                for (var y = yStart; y < yEnd; y++)
                {
                    for (var x = xStart; x < xEnd; x++)
                    {
                        best = Vector256.Max(best, Vector256.Load(image + ((long)y * g.Width + x) * c + ch));
                    }
                }
                best.Store(output + ch);
            }
            for (; ch < c; ch++)
            {
                var best = float.NegativeInfinity;
                for (var y = yStart; y < yEnd; y++)
                {
                    for (var x = xStart; x < xEnd; x++)
                    {
                        var v = image[((long)y * g.Width + x) * c + ch];
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
