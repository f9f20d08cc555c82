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
                v = Vector256.Max(v, Vector256<float>.Zero);
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
/// One work item per image.
/// </summary>
internal sealed unsafe class LayoutChange(int batch, int channels, int pixels, bool toNhwc) : UnaryOp
{
    /// <summary>Work items: one per image.</summary>
    public override int Items => batch;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(int item, int worker)
    {
        var offset = (long)item * channels * pixels;
        var source = Input + offset;
        var target = Output + offset;
        for (var c = 0; c < channels; c++)
        {
            for (var p = 0; p < pixels; p++)
            {
                if (toNhwc)
                {
                    target[(long)p * channels + c] = source[(long)c * pixels + p];
                }
                else
                {
                    target[(long)c * pixels + p] = source[(long)p * channels + c];
                }
            }
        }
    }
}
