namespace CudaGenre.Cuda.Tests.Twins;

/// <summary>
/// CPU twin of <c>kernels/separable_conv3x3.cu</c> (entry points <c>separable3x3_nhwc_{f32,f16,bf16}</c>): the
/// depthwise half is <see cref="DepthwiseConv3x3Twin"/> itself (the kernel stores nothing, but rounds each depthwise
/// value to the storage type as that kernel would), then the 1×1 convolution summed over ascending input channels
/// with explicit FMAs, then bias, residual and ReLU, so the f32 results agree bit for bit.
/// </summary>
public static class SeparableConv3x3Twin
{
    /// <summary>
    /// Runs the separable convolution. <paramref name="x"/>: N × H × W × C (NHWC); <paramref name="dw"/>: C × 9;
    /// <paramref name="pw"/>: K × C; <paramref name="residual"/>: N × Ho × Wo × K or null; biases FP32 or null. Every
    /// tensor is read as <paramref name="storage"/> values. Returns N × Ho × Wo × K, rounded to <paramref name="storage"/>.
    /// </summary>
    public static float[] Run(
        KernelStorage storage, float[] x, float[] dw, float[]? dwBias, float[] pw, float[]? pwBias, float[]? residual,
        int nBatch, int channels, int height, int width, int outChannels, int stride, bool reluInput, bool reluMid, bool reluOutput)
    {
        ArgumentNullException.ThrowIfNull(pw);
        Storage.RequirePositive(nameof(outChannels), outChannels);
        Storage.RequireLength(nameof(pw), pw.Length, (long)outChannels * channels);
        if (pwBias != null)
            Storage.RequireLength(nameof(pwBias), pwBias.Length, outChannels);

        var d = DepthwiseConv3x3Twin.Run(storage, x, dw, dwBias, nBatch, channels, height, width, stride, reluInput, reluMid);
        var pixels = d.Length / channels;
        if (residual != null)
            Storage.RequireLength(nameof(residual), residual.Length, (long)pixels * outChannels);
        var y = new float[pixels * outChannels];
        for (var p = 0; p < pixels; p++)
        {
            for (var k = 0; k < outChannels; k++)
            {
                var acc = 0f;
                for (var c = 0; c < channels; c++)
                    acc = MathF.FusedMultiplyAdd(d[(p * channels) + c], Storage.Round(storage, pw[(k * channels) + c]), acc);
                if (pwBias != null)
                    acc += pwBias[k];
                if (residual != null)
                    acc += Storage.Round(storage, residual[(p * outChannels) + k]);
                if (reluOutput)
                    acc = DepthwiseConv3x3Twin.Relu(acc);
                y[(p * outChannels) + k] = Storage.Round(storage, acc);
            }
        }
        return y;
    }
}
