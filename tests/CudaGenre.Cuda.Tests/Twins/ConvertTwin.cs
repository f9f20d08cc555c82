namespace CudaGenre.Cuda.Tests.Twins;

/// <summary>
/// CPU twin of <c>kernels/convert.cu</c>: <c>input_nhwc_{f32,f16,bf16}</c> (FP32 NCHW batch → NHWC in the storage
/// type of the activations) and <c>widen_{f32,f16,bf16}</c> (storage type → FP32). Both are exact
/// apart from the one rounding to a 16-bit type, so the GPU must agree bit for bit.
/// </summary>
public static class ConvertTwin
{
    /// <summary>x: N × C × HW floats, NCHW. Returns y, NHWC, rounded to <paramref name="storage"/>.</summary>
    public static float[] Input(KernelStorage storage, float[] x, int nBatch, int channels, int spatial)
    {
        ArgumentNullException.ThrowIfNull(x);
        Storage.RequireLength(nameof(x), x.Length, (long)nBatch * channels * spatial);
        var y = new float[x.Length];
        for (var n = 0; n < nBatch; n++)
            for (var c = 0; c < channels; c++)
                for (var p = 0; p < spatial; p++)
                    y[Storage.NhwcIndex(n, c, 0, p, channels, 1, spatial)] = Storage.Round(storage, x[(n * channels + c) * spatial + p]);
        return y;
    }

    /// <summary>The values <paramref name="x"/> holds in <paramref name="storage"/>, as FP32 (what <c>widen</c> reads and writes).</summary>
    public static float[] Widen(KernelStorage storage, float[] x) => [.. x.Select(v => Storage.Round(storage, v))];
}
