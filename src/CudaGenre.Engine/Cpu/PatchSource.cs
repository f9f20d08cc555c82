using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
namespace CudaGenre.Engine.Cpu;

/// <summary>The geometry of a 2-D convolution or pooling window over an NHWC tensor.</summary>
internal readonly record struct ConvGeometry(
    int Batch, int Height, int Width, int Channels,
    int KernelHeight, int KernelWidth, int Stride, int Padding)
{
    /// <summary>Output height, PyTorch's floor formula.</summary>
    public int OutHeight => (Height + 2 * Padding - KernelHeight) / Stride + 1;

    /// <summary>Output width, PyTorch's floor formula.</summary>
    public int OutWidth => (Width + 2 * Padding - KernelWidth) / Stride + 1;

    /// <summary>Output pixels over the whole batch.</summary>
    public int OutPixels => Batch * OutHeight * OutWidth;
}

/// <summary>
/// Implicit im2col over an NHWC input: row m of A is output pixel m (batch-major), column k is
/// (ky, kx, c) with c fastest, matching weights reordered from PyTorch's [out, in, ky, kx] to [ky, kx, in] × out.
/// Positions in the zero padding read as 0. Channels are contiguous in NHWC, so packing copies runs.
/// </summary>
internal readonly unsafe struct PatchSource(float* input, ConvGeometry g) : IGemmSource
{
    public int Rows => g.OutPixels;

    public int Depth => g.KernelHeight * g.KernelWidth * g.Channels;

    public float* InPlace => null;

    public int InPlaceStride => 0;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int row0, int rowCount, int k0, int kc, float* destination)
    {
        // Divisions only here: the first row's (image, y, x), and where column k0 falls in the window (ky, kx, c).
        // Every row starts at the same column, and the loops below step through pixels and taps, which matters for
        // a 3-channel first layer, whose rows are many short runs (a division per run cost more than the copy).
        var outPlane = g.OutHeight * g.OutWidth;
        var n = row0 / outPlane;
        var rest = row0 - n * outPlane;
        var oy = rest / g.OutWidth;
        var ox = rest - oy * g.OutWidth;
        var channels = g.Channels;
        var tap0 = k0 / channels;
        var c0 = k0 - tap0 * channels;
        var ky0 = tap0 / g.KernelWidth;
        var kx0 = tap0 - ky0 * g.KernelWidth;
        for (var r = 0; r < rowCount; r++)
        {
            var y0 = oy * g.Stride - g.Padding;
            var x0 = ox * g.Stride - g.Padding;
            var image = input + (long)n * g.Height * g.Width * channels;
            var d = destination + (long)r * kc;
            int ky = ky0, kx = kx0, c = c0;
            for (var k = 0; k < kc;)
            {
                var y = y0 + ky;
                var x = x0 + kx;
                if ((uint)y < (uint)g.Height && (uint)x < (uint)g.Width)
                {
                    // In NHWC the rest of this kernel row is one contiguous run as far as it stays inside the
                    // image: one copy of (taps × channels) floats, not one per tap.
                    var taps = Math.Min(g.KernelWidth - kx, g.Width - x);
                    var run = Math.Min(taps * channels - c, kc - k);
                    Copy(image + ((long)y * g.Width + x) * channels + c, d + k, run);
                    k += run;
                    kx += taps;
                }
                else
                {
                    var run = Math.Min(channels - c, kc - k);
                    Zero(d + k, run);
                    k += run;
                    kx++;
                }
                // A run cut short by kc ends the row, so (ky, kx, c) only has to be right after whole runs.
                c = 0;
                if (kx == g.KernelWidth)
                {
                    kx = 0;
                    ky++;
                }
            }
            if (++ox == g.OutWidth)
            {
                ox = 0;
                if (++oy == g.OutHeight)
                {
                    oy = 0;
                    n++;
                }
            }
        }
    }

    /// <summary>Zeros a run of padding (3 floats for a 3-channel input) without a call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Zero(float* destination, int count)
    {
        if (count < 64 && Avx512F.IsSupported)
        {
            var i = 0;
            for (; i + 16 <= count; i += 16)
            {
                Vector512<float>.Zero.Store(destination + i);
            }
            if (i < count)
            {
                var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count - i)).AsSingle();
                Avx512F.MaskStore(destination + i, mask, Vector512<float>.Zero);
            }
            return;
        }
        new Span<float>(destination, count).Clear();
    }

    /// <summary>
    /// Short runs (a 3×3 window of 3 channels is 9 floats) copy faster inline than through memmove: 16 floats at a
    /// time with AVX-512, the tail under a mask (masked-off lanes are neither read nor written, so nothing past the
    /// run is touched).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* source, float* destination, int count)
    {
        if (count >= 64)
        {
            new ReadOnlySpan<float>(source, count).CopyTo(new Span<float>(destination, count));
            return;
        }
        if (Avx512F.IsSupported)
        {
            var i = 0;
            for (; i + 16 <= count; i += 16)
            {
                Vector512.Load(source + i).Store(destination + i);
            }
            if (i < count)
            {
                var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count - i)).AsSingle();
                Avx512F.MaskStore(destination + i, mask, Avx512F.MaskLoad(source + i, mask, Vector512<float>.Zero));
            }
            return;
        }
        for (var i = 0; i < count; i++)
        {
            destination[i] = source[i];
        }
    }
}
