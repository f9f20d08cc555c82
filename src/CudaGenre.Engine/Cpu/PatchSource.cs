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

    public void Pack(int row0, int rowCount, int k0, int kc, float* destination)
    {
        var outPlane = g.OutHeight * g.OutWidth;
        for (var r = 0; r < rowCount; r++)
        {
            var m = row0 + r;
            var n = m / outPlane;
            var rest = m - n * outPlane;
            var oy = rest / g.OutWidth;
            var ox = rest - oy * g.OutWidth;
            var y0 = oy * g.Stride - g.Padding;
            var x0 = ox * g.Stride - g.Padding;
            var image = input + (long)n * g.Height * g.Width * g.Channels;

            var tap = k0 / g.Channels;
            var c = k0 - tap * g.Channels;
            var d = destination + (long)r * kc;
            for (var k = 0; k < kc;)
            {
                var ky = tap / g.KernelWidth;
                var y = y0 + ky;
                var x = x0 + (tap - ky * g.KernelWidth);
                var run = Math.Min(g.Channels - c, kc - k);
                var target = new Span<float>(d + k, run);
                if ((uint)y < (uint)g.Height && (uint)x < (uint)g.Width)
                {
                    new ReadOnlySpan<float>(image + ((long)y * g.Width + x) * g.Channels + c, run).CopyTo(target);
                }
                else
                {
                    target.Clear();
                }
                k += run;
                c = 0;
                tap++;
            }
        }
    }
}
