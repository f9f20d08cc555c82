using CudaGenre.Cuda.Dnn;
using CudaGenre.Cuda.Tests.TestSupport;

namespace CudaGenre.Cuda.Tests.Gpu;

/// <summary>Plain CPU versions of the operations the GPU tests check, written from their definitions (PyTorch semantics).</summary>
internal static class CpuReference
{
    /// <summary>Cross-correlation, NCHW input, KCRS filter (C per group), NCHW output; zero padding (TensorReference.Conv2dNchw in this file's dims).</summary>
    public static float[] Conv2dNchw(float[] x, TensorDims input, float[] w, int k, int r, int s, Convolution2dGeometry g, out TensorDims output)
    {
        var y = TensorReference.Conv2dNchw(x, input.N, input.C, input.H, input.W, w, k, r, s, (g.StrideH, g.StrideW), (g.PadH, g.PadW),
            (g.DilationH, g.DilationW), g.Groups, bias: null, out var oh, out var ow);
        output = new TensorDims(input.N, k, oh, ow);
        Assert.Equal(g.OutputDims(input, k, input.C / g.Groups, r, s), output); // the reference's output size is cuDNN's
        return y;
    }

    /// <summary>Max pooling over NCHW (<see cref="TensorReference.MaxPoolNchw"/>, in this file's dims).</summary>
    public static float[] MaxPoolNchw(float[] x, TensorDims input, int window, int pad, int stride, out TensorDims output)
    {
        var y = TensorReference.MaxPoolNchw(x, input.N, input.C, input.H, input.W, window, stride, pad, out var oh, out var ow);
        output = new TensorDims(input.N, input.C, oh, ow);
        return y;
    }

    /// <summary>Softmax over each row of a rows×classes matrix, max subtracted first.</summary>
    public static float[] Softmax(float[] x, int rows, int classes)
    {
        var y = new float[x.Length];
        for (var r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * classes, classes);
            var max = row.ToArray().Max();
            double total = 0;
            for (var c = 0; c < classes; c++)
                total += Math.Exp(row[c] - max);
            for (var c = 0; c < classes; c++)
                y[r * classes + c] = (float)(Math.Exp(row[c] - max) / total);
        }
        return y;
    }

    /// <summary>NCHW → NHWC (also KCRS → KRSC for filters).</summary>
    public static float[] ToNhwc(float[] nchw, TensorDims d) => TensorReference.NchwToNhwc(nchw, d.N, d.C, d.H, d.W);

    /// <summary>NHWC → NCHW.</summary>
    public static float[] ToNchw(float[] nhwc, TensorDims d) => TensorReference.NhwcToNchw(nhwc, d.N, d.C, d.H, d.W);

    /// <summary>y[n, c, h, w] = max(y + bias[c] (+ z), 0).</summary>
    public static float[] AddBiasRelu(float[] y, TensorDims d, float[] bias, float[]? z = null)
    {
        var result = new float[y.Length];
        for (var i = 0; i < y.Length; i++)
        {
            var c = i / (d.H * d.W) % d.C;
            result[i] = Math.Max(y[i] + bias[c] + (z?[i] ?? 0f), 0f);
        }
        return result;
    }

    /// <summary>Seeded values in [−1, 1), never all zero.</summary>
    public static float[] Random(int seed, long length)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, checked((int)length)).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>
    /// Asserts ‖actual − expected‖₂ / ‖expected‖₂ ≤ <paramref name="relativeL2"/>, and no NaN. The figures go to the
    /// GPU report as a <c>call</c> line: <paramref name="what"/> is the native function, a space, then the case.
    /// </summary>
    public static void AssertClose(float[] expected, float[] actual, double relativeL2, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            diff += Math.Pow(actual[i] - (double)expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }
        var error = Math.Sqrt(diff / norm);
        var nan = actual.Count(float.IsNaN);
        var passed = nan == 0 && norm > 0 && error <= relativeL2;
        Record(what, ErrorFigures.Of(expected, actual), $"rel L2 {GpuReport.Number(error)} ≤ {GpuReport.Number(relativeL2)}", passed ? 0 : Math.Max(nan, 1));
        Assert.True(nan == 0, $"{what}: {nan} NaN in the result");
        Assert.True(norm > 0, $"{what}: the reference is all zeros, so the comparison could not fail");
        Assert.True(error <= relativeL2, $"{what}: relative L2 error {error:E3} > {relativeL2:E1}");
    }

    /// <summary>Asserts that every element is identical, and records the figures as <see cref="AssertClose"/> does.</summary>
    public static void AssertIdentical(float[] expected, float[] actual, string what)
    {
        var figures = ErrorFigures.Of(expected, actual);
        Record(what, figures, "identical", figures.Differing);
        Assert.Equal(expected, actual);
    }

    private static void Record(string what, ErrorFigures figures, string criterion, int failures)
    {
        var space = what.IndexOf(' ', StringComparison.Ordinal);
        var (api, @case) = space < 0 ? (what, "") : (what[..space], what[(space + 1)..]);
        GpuReport.Comparison("call", api, @case, figures, criterion, failures);
    }
}
