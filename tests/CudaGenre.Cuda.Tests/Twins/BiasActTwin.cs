namespace CudaGenre.Cuda.Tests.Twins;

/// <summary>
/// CPU twin of <c>kernels/bias_act.cu</c> (entry points <c>bias_act_nhwc_{f32,f16,bf16}</c>):
/// y = relu?( fma(x, scale[c], shift[c]) + residual ), with the kernel's exact operation order, so the
/// f32 results agree bit for bit.
/// </summary>
public static class BiasActTwin
{
    /// <summary>
    /// Runs the epilogue on <paramref name="x"/> (N × C × HW, NHWC, read as
    /// <paramref name="storage"/>). <paramref name="scale"/>/<paramref name="shift"/>: C floats or null
    /// (1 and 0); <paramref name="residual"/>: same shape as x or null. Returns y, rounded to
    /// <paramref name="storage"/>.
    /// </summary>
    public static float[] Run(
        KernelStorage storage, float[] x, float[]? scale, float[]? shift, float[]? residual,
        int nBatch, int channels, int spatial, bool relu)
    {
        ArgumentNullException.ThrowIfNull(x);
        Storage.RequirePositive(nameof(nBatch), nBatch);
        Storage.RequirePositive(nameof(channels), channels);
        Storage.RequirePositive(nameof(spatial), spatial);
        Storage.RequireLength(nameof(x), x.Length, (long)nBatch * channels * spatial);
        if (scale != null)
            Storage.RequireLength(nameof(scale), scale.Length, channels);
        if (shift != null)
            Storage.RequireLength(nameof(shift), shift.Length, channels);
        if (residual != null)
            Storage.RequireLength(nameof(residual), residual.Length, x.Length);

        var y = new float[x.Length];
        for (var n = 0; n < nBatch; n++)
        {
            for (var c = 0; c < channels; c++)
            {
                for (var p = 0; p < spatial; p++)
                {
                    // HW positions flattened: an N × C × HW tensor is N × C × 1 × HW.
                    var i = Storage.NhwcIndex(n, c, 0, p, channels, 1, spatial);
                    var v = Storage.Round(storage, x[i]);
                    if (scale != null)
                        v = MathF.FusedMultiplyAdd(v, scale[c], shift?[c] ?? 0f);
                    else if (shift != null)
                        v += shift[c];
                    if (residual != null)
                        v += Storage.Round(storage, residual[i]);
                    if (relu)
                        v = DepthwiseConv3x3Twin.Relu(v);
                    y[i] = Storage.Round(storage, v);
                }
            }
        }
        return y;
    }
}
