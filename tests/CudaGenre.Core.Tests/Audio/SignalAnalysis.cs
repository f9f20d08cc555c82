namespace CudaGenre.Core.Tests.Audio;

/// <summary>Measurements on test signals, written plainly (no FFT) so they do not share code with what they check.</summary>
internal static class SignalAnalysis
{
    /// <summary>A sine of <paramref name="hz"/> Hz, amplitude <paramref name="amplitude"/>, phase <paramref name="phase"/> rad.</summary>
    public static float[] Sine(double hz, int rate, int length, double amplitude, double phase = 0) =>
        Enumerable.Range(0, length).Select(i => (float)(amplitude * Math.Sin((2 * Math.PI * hz * i / rate) + phase))).ToArray();

    /// <summary>
    /// Amplitude of the <paramref name="hz"/> Hz component of x[from … from+count) by least squares on sin and cos
    /// (exact for a pure tone at that frequency, whatever the window length).
    /// </summary>
    public static double ToneAmplitude(float[] x, int rate, double hz, int from, int count)
    {
        double ss = 0, cc = 0, sc = 0, xs = 0, xc = 0;
        for (var i = from; i < from + count; i++)
        {
            var w = 2 * Math.PI * hz * i / rate;
            var s = Math.Sin(w);
            var c = Math.Cos(w);
            ss += s * s;
            cc += c * c;
            sc += s * c;
            xs += x[i] * s;
            xc += x[i] * c;
        }

        var det = (ss * cc) - (sc * sc);
        var a = ((xs * cc) - (xc * sc)) / det;
        var b = ((xc * ss) - (xs * sc)) / det;
        return Math.Sqrt((a * a) + (b * b));
    }

    /// <summary>Frequency in Hz from the interpolated times of the first and last upward zero crossings.</summary>
    public static double ZeroCrossingFrequency(float[] x, int rate, int from, int count)
    {
        double first = -1, last = -1;
        var crossings = 0;
        for (var i = from + 1; i < from + count; i++)
        {
            if (x[i - 1] < 0 && x[i] >= 0)
            {
                var t = i - 1 + (x[i - 1] / (x[i - 1] - x[i]));
                if (first < 0)
                    first = t;
                last = t;
                crossings++;
            }
        }

        return (crossings - 1) * rate / (last - first);
    }

    /// <summary>Root mean square of x[from … from+count).</summary>
    public static double Rms(float[] x, int from, int count) =>
        Math.Sqrt(x.Skip(from).Take(count).Select(v => (double)v * v).Average());
}
