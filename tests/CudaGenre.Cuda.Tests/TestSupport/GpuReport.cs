using System.Globalization;

namespace CudaGenre.Cuda.Tests.TestSupport;

/// <summary>
/// How far a result is from its reference. <see cref="MaxAbs"/> and <see cref="MaxRel"/> cover the elements
/// that are finite in both; <see cref="Differing"/> counts every element whose bits differ (a NaN against a
/// NaN of another payload counts as equal), <see cref="NanMismatches"/> those where only one side is NaN.
/// </summary>
public readonly record struct ErrorFigures(int Count, double MaxAbs, double MaxRel, int Differing, int NanMismatches, int FirstDiffering)
{
    /// <summary>Compares element by element; the arrays must have the same length.</summary>
    public static ErrorFigures Of(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxAbs = 0, maxRel = 0;
        int differing = 0, nan = 0, first = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (float.IsNaN(e) || float.IsNaN(a))
            {
                if (float.IsNaN(e) && float.IsNaN(a))
                    continue;
                nan++;
            }
            else if (BitConverter.SingleToUInt32Bits(e) == BitConverter.SingleToUInt32Bits(a))
            {
                continue;
            }
            else
            {
                // e == a here only for +0 against −0.
                var abs = Math.Abs((double)e - a);
                maxAbs = Math.Max(maxAbs, abs);
                maxRel = Math.Max(maxRel, e == 0 ? (abs == 0 ? 0 : double.PositiveInfinity) : abs / Math.Abs((double)e));
            }
            differing++;
            if (first < 0)
                first = i;
        }
        return new ErrorFigures(expected.Length, maxAbs, maxRel, differing, nan, first);
    }
}

/// <summary>
/// The figures behind the table that <c>tools/gpu-check.sh run</c> prints. When the environment variable
/// <c>CUDAGENRE_GPU_REPORT</c> names a file, each call appends one line to it: tab-separated fields, the
/// section first (<c>device</c>, <c>library</c>, <c>compiled</c>, <c>kernel</c>, <c>call</c>). Without the
/// variable nothing is written. Tests record a comparison before asserting on it, so failures show in the table.
/// </summary>
public static class GpuReport
{
    /// <summary>The environment variable naming the report file.</summary>
    public const string Variable = "CUDAGENRE_GPU_REPORT";

    private static readonly Lock Gate = new();

    /// <summary>The report file, or null when none is asked for.</summary>
    public static string? FilePath => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path ? path : null;

    /// <summary>Appends one line (section, then fields) to the report file, if there is one.</summary>
    public static void Add(string section, params string[] fields)
    {
        if (FilePath is { } path)
            AppendTo(path, section, fields);
    }

    /// <summary>
    /// Records one comparison of a GPU result with its reference: what ran, on which case, max abs and max rel
    /// error, the criterion it was held to, and "ok" or "FAIL (k of n outside)", <paramref name="failures"/> = k.
    /// </summary>
    public static void Comparison(string section, string subject, string @case, ErrorFigures figures, string criterion, int failures) =>
        Add(section, subject, @case, Number(figures.MaxAbs), Number(figures.MaxRel), criterion,
            failures == 0 ? "ok" : $"FAIL ({failures} of {figures.Count} outside, {figures.NanMismatches} NaN mismatches)");

    /// <summary>A figure as the table shows it: 0, or three significant digits in E notation.</summary>
    public static string Number(double value) => value == 0 ? "0" : value.ToString("0.00E+00", CultureInfo.InvariantCulture);

    /// <summary>The line <see cref="Add"/> writes (tabs and line breaks inside fields become spaces).</summary>
    public static string Line(string section, IEnumerable<string> fields) =>
        string.Join('\t', new[] { section }.Concat(fields).Select(f => f.Replace('\t', ' ').Replace('\r', ' ').Replace('\n', ' ')));

    internal static void AppendTo(string path, string section, IEnumerable<string> fields)
    {
        var line = Line(section, fields) + "\n";
        lock (Gate)
            File.AppendAllText(path, line);
    }
}
