namespace CudaGenre.Cuda.Tests.Twins;

/// <summary>
/// CPU twin of <c>kernels/softmax.cu</c> (entry points <c>softmax_{f32,f16,bf16}</c>): row-wise,
/// max-subtracted softmax with FP32 output. The GPU's expf (≤ 2 ulp) and its summation order differ
/// from this twin's, so compare within a tolerance (a few 1e-7 relative).
/// </summary>
public static class SoftmaxTwin
{
    /// <summary>
    /// <paramref name="x"/>: rows × classes logits, row-major, read as <paramref name="storage"/>.
    /// Returns rows × classes probabilities (FP32, not rounded to the storage type).
    /// </summary>
    public static float[] Run(KernelStorage storage, float[] x, int rows, int classes)
    {
        ArgumentNullException.ThrowIfNull(x);
        Storage.RequirePositive(nameof(rows), rows);
        Storage.RequirePositive(nameof(classes), classes);
        Storage.RequireLength(nameof(x), x.Length, (long)rows * classes);

        var y = new float[x.Length];
        for (var r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * classes, classes);
            // fmaxf semantics: a NaN is skipped here; it still makes the sum, hence the row, NaN.
            var m = float.NegativeInfinity;
            foreach (var v in row)
                m = MathF.Max(m, float.IsNaN(v) ? m : Storage.Round(storage, v));
            var s = 0f;
            foreach (var v in row)
                s += MathF.Exp(Storage.Round(storage, v) - m);
            for (var j = 0; j < classes; j++)
                y[(r * classes) + j] = MathF.Exp(Storage.Round(storage, row[j]) - m) / s;
        }
        return y;
    }
}
