using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CudaGenre.Engine.Cpu;

/// <summary>
/// y = relu?(a + b) or y = relu(a) over contiguous floats (layout-agnostic), for the adds and ReLUs the
/// optimizer could not fuse. Work items are chunks of <see cref="Chunk"/> floats.
/// </summary>
internal sealed unsafe class Elementwise(long length, bool add, bool relu) : IParallelWork
{
    /// <summary>Floats per work item.</summary>
    public const int Chunk = 1 << 14;

    private float* _a;
    private float* _b;
    private float* _y;

    /// <summary>Work items.</summary>
    public int Items => (int)((length + Chunk - 1) / Chunk);

    /// <summary>Points the op at its operands (<paramref name="b"/> is ignored for a plain ReLU).</summary>
    public void Bind(float* a, float* b, float* y)
    {
        _a = a;
        _b = b;
        _y = y;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int item, int worker)
    {
        var start = (long)item * Chunk;
        var end = Math.Min(length, start + Chunk);
        var i = start;
        for (; i + 8 <= end; i += 8)
        {
            var v = Vector256.Load(_a + i);
            if (add)
            {
                v += Vector256.Load(_b + i);
            }
            if (relu)
            {
                v = Lanes8.Relu(v);
            }
            v.Store(_y + i);
        }
        for (; i < end; i++)
        {
            var v = _a[i] + (add ? _b[i] : 0f);
            _y[i] = relu ? MathF.Max(v, 0f) : v;
        }
    }
}

/// <summary>
/// Reorders images between NCHW (the API's and PyTorch's layout) and NHWC (the CPU backend's): the
/// input on the way in, and the flatten before a CNN classifier (PyTorch flattens in C, H, W order).
/// One work item per run of up to 4096 pixels of one image, so a single image's input is split between the workers
/// (one item per image kept Xception's 299×299 input on one core: 0.32 ms, against ORT's 0.1 ms).
/// </summary>
internal sealed unsafe class LayoutChange(int batch, int channels, int pixels, bool toNhwc) : UnaryOp
{
    private const int PixelsPerItem = 4096;
    private readonly int _runs = (pixels + PixelsPerItem - 1) / PixelsPerItem;

    /// <summary>Work items: the pixel runs of every image.</summary>
    public override int Items => checked(batch * _runs);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(int item, int worker)
    {
        var image = item / _runs;
        var p0 = (item - image * _runs) * PixelsPerItem;
        var p1 = Math.Min(pixels, p0 + PixelsPerItem);
        var offset = (long)image * channels * pixels;
        var source = Input + offset;
        var target = Output + offset;
        if (toNhwc)
        {
            // Pixel by pixel: the writes are contiguous and the reads are one sequential stream per channel.
            for (var p = p0; p < p1; p++)
            {
                var to = target + (long)p * channels;
                for (var c = 0; c < channels; c++)
                {
                    to[c] = source[(long)c * pixels + p];
                }
            }
            return;
        }
        for (var c = 0; c < channels; c++)
        {
            var to = target + (long)c * pixels;
            for (var p = p0; p < p1; p++)
            {
                to[p] = source[(long)p * channels + c];
            }
        }
    }
}
