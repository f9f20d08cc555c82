using CudaGenre.Core.Imaging;

namespace CudaGenre.Cuda.Tests.Twins;

/// <summary>
/// The tap table of one resize axis exactly as <c>kernels/preprocess.cu</c> takes it (and as a GPU
/// test uploads it): <paramref name="First"/> and <paramref name="Count"/> per output pixel,
/// <paramref name="Weights"/> as output size × <paramref name="MaxTaps"/>, row-major.
/// </summary>
public sealed record AxisTaps(int[] First, int[] Count, float[] Weights, int MaxTaps)
{
    /// <summary>Output pixels along the axis.</summary>
    public int OutputSize => First.Length;

    /// <summary>Copies the tables of Core's <see cref="ResizeFilter"/>.</summary>
    public static AxisTaps From(ResizeFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return new AxisTaps(filter.FirstTaps.ToArray(), filter.TapCounts.ToArray(), filter.Weights.ToArray(), filter.MaxTaps);
    }

    /// <summary>Throws unless every tap of every output pixel lies in 0 .. <paramref name="inputSize"/> − 1.</summary>
    public void Validate(string name, int inputSize)
    {
        if (Count.Length != First.Length || Weights.Length != (long)First.Length * MaxTaps)
            throw new ArgumentException($"{name}: {First.Length} first, {Count.Length} counts and {Weights.Length} weights do not make a {First.Length} × {MaxTaps} table.", name);
        for (var i = 0; i < First.Length; i++)
        {
            if (First[i] < 0 || Count[i] < 0 || Count[i] > MaxTaps || First[i] + Count[i] > inputSize)
                throw new ArgumentException($"{name}: output pixel {i} has taps {First[i]}..{First[i] + Count[i] - 1}, outside an input of {inputSize} (or more than {MaxTaps} taps).", name);
        }
    }
}

/// <summary>
/// CPU twin of <c>kernels/preprocess.cu</c> (entry points <c>preprocess_nhwc_{f32,f16,bf16}</c>):
/// 8-bit RGB(A) pixels → separable table-driven resize → <c>v·scale[c] + offset[c]</c>, in the kernel's
/// order (per output pixel: for each vertical tap, the horizontal sum of that input row; no FMA
/// anywhere). For f32 output it equals <see cref="ImagePreprocessor.Process(RgbImage)"/> (NCHW) bit for bit, transposed to NHWC.
/// </summary>
public static class PreprocessTwin
{
    /// <summary>
    /// Preprocesses <paramref name="nBatch"/> images of <paramref name="inWidth"/> × <paramref name="inHeight"/>
    /// pixels. Pixel (n, y, x) starts at byte n·<paramref name="imageStride"/> + y·<paramref name="rowPitch"/>
    /// + x·<paramref name="pixelBytes"/> of <paramref name="src"/> and holds R, G, B (and alpha, ignored).
    /// <paramref name="scale"/>/<paramref name="offset"/>: 3 floats each (ImagePreprocessor.ChannelScale /
    /// ChannelOffset). Returns N × 3 × out height × out width, NHWC, rounded to
    /// <paramref name="storage"/>.
    /// </summary>
    public static float[] Run(
        KernelStorage storage, byte[] src, int inWidth, int inHeight, long rowPitch, long imageStride,
        int pixelBytes, AxisTaps horizontal, AxisTaps vertical, float[] scale, float[] offset, int nBatch)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(horizontal);
        ArgumentNullException.ThrowIfNull(vertical);
        ArgumentNullException.ThrowIfNull(scale);
        ArgumentNullException.ThrowIfNull(offset);
        Storage.RequirePositive(nameof(inWidth), inWidth);
        Storage.RequirePositive(nameof(inHeight), inHeight);
        Storage.RequirePositive(nameof(nBatch), nBatch);
        if (pixelBytes is not (3 or 4))
            throw new ArgumentOutOfRangeException(nameof(pixelBytes), pixelBytes, "3 (RGB) or 4 (RGBA) bytes per pixel.");
        if (rowPitch < (long)inWidth * pixelBytes)
            throw new ArgumentOutOfRangeException(nameof(rowPitch), rowPitch, $"A row of {inWidth} pixels needs {(long)inWidth * pixelBytes} bytes.");
        if (nBatch > 1 && imageStride < rowPitch * inHeight)
            throw new ArgumentOutOfRangeException(nameof(imageStride), imageStride, $"An image of {inHeight} rows needs {rowPitch * inHeight} bytes.");
        var needed = ((nBatch - 1) * imageStride) + ((inHeight - 1) * rowPitch) + ((long)inWidth * pixelBytes);
        if (src.Length < needed)
            throw new ArgumentException($"src holds {src.Length} bytes; the last pixel ends at byte {needed}.", nameof(src));
        horizontal.Validate(nameof(horizontal), inWidth);
        vertical.Validate(nameof(vertical), inHeight);
        Storage.RequireLength(nameof(scale), scale.Length, 3);
        Storage.RequireLength(nameof(offset), offset.Length, 3);

        int outW = horizontal.OutputSize, outH = vertical.OutputSize;
        var y = new float[nBatch * 3 * outH * outW];
        Span<float> acc = stackalloc float[3];
        Span<float> row = stackalloc float[3];
        for (var n = 0; n < nBatch; n++)
        {
            for (var oy = 0; oy < outH; oy++)
            {
                for (var ox = 0; ox < outW; ox++)
                {
                    acc.Clear();
                    for (var kv = 0; kv < vertical.Count[oy]; kv++)
                    {
                        var sy = vertical.First[oy] + kv;
                        row.Clear();
                        for (var kh = 0; kh < horizontal.Count[ox]; kh++)
                        {
                            var sx = horizontal.First[ox] + kh;
                            var p = (n * imageStride) + (sy * rowPitch) + ((long)sx * pixelBytes);
                            var wh = horizontal.Weights[(ox * horizontal.MaxTaps) + kh];
                            for (var c = 0; c < 3; c++)
                                row[c] += wh * src[p + c];
                        }
                        var wv = vertical.Weights[(oy * vertical.MaxTaps) + kv];
                        for (var c = 0; c < 3; c++)
                            acc[c] += wv * row[c];
                    }
                    for (var c = 0; c < 3; c++)
                        y[Storage.NhwcIndex(n, c, oy, ox, 3, outH, outW)] = Storage.Round(storage, (acc[c] * scale[c]) + offset[c]);
                }
            }
        }
        return y;
    }
}
