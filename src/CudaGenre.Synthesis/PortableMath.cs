namespace CudaGenre.Synthesis;

/// <summary>
/// Sine, exponential and logarithm built from IEEE additions and multiplications only. The C runtime's
/// <see cref="Math.Sin(double)"/> or <see cref="Math.Exp(double)"/> may differ in the last bit between
/// platforms; these do not, so a seed renders the same clip bit for bit on every machine.
/// Accurate to about 1e-15 relative, which is far beyond what audio needs.
/// </summary>
internal static class PortableMath
{
    private const double Ln2Hi = 6.93147180369123816490e-01;
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double InvLn2 = 1.44269504088896338700e+00;
    private const double HalfPiHi = 1.57079632673412561417e+00;
    private const double HalfPiLo = 6.07710050650619224932e-11;
    private const double TwoOverPi = 6.36619772367581382433e-01;

    /// <summary>sin(x), for |x| up to about 1e6.</summary>
    public static double Sin(double x)
    {
        var k = Math.Round(x * TwoOverPi);
        var r = (x - (k * HalfPiHi)) - (k * HalfPiLo);
        return ((long)k & 3) switch
        {
            0 => SinKernel(r),
            1 => CosKernel(r),
            2 => -SinKernel(r),
            _ => -CosKernel(r),
        };
    }

    /// <summary>cos(x), for |x| up to about 1e6.</summary>
    public static double Cos(double x) => Sin(x + (Math.PI / 2));

    /// <summary>e^x.</summary>
    public static double Exp(double x)
    {
        if (x < -708)
            return 0;
        if (x > 709)
            return double.PositiveInfinity;
        var k = Math.Round(x * InvLn2);
        var r = (x - (k * Ln2Hi)) - (k * Ln2Lo);
        // |r| <= ln2/2, so 13 Taylor terms leave an error below 1e-16.
        var p = 1.0 / 479001600;
        p = (p * r) + (1.0 / 39916800);
        p = (p * r) + (1.0 / 3628800);
        p = (p * r) + (1.0 / 362880);
        p = (p * r) + (1.0 / 40320);
        p = (p * r) + (1.0 / 5040);
        p = (p * r) + (1.0 / 720);
        p = (p * r) + (1.0 / 120);
        p = (p * r) + (1.0 / 24);
        p = (p * r) + (1.0 / 6);
        p = (p * r) + 0.5;
        p = (p * r) + 1;
        p = (p * r) + 1;
        return Math.ScaleB(p, (int)k);
    }

    /// <summary>Natural logarithm of a positive, finite x.</summary>
    public static double Log(double x)
    {
        if (!(x > 0))
            return x == 0 ? double.NegativeInfinity : double.NaN;
        // x = m·2^e with m in [sqrt(1/2), sqrt(2)); log m = 2·atanh(s), s = (m-1)/(m+1), |s| < 0.172.
        var e = Math.ILogB(x);
        var m = Math.ScaleB(x, -e);
        if (m > 1.4142135623730951)
        {
            m *= 0.5;
            e++;
        }
        var s = (m - 1) / (m + 1);
        var s2 = s * s;
        var series = 1.0 / 21;
        for (var n = 19; n >= 1; n -= 2)
            series = (series * s2) + (1.0 / n);
        return (e * Ln2Hi) + (e * Ln2Lo) + (2 * s * series);
    }

    /// <summary>2^x.</summary>
    public static double Exp2(double x) => Exp(x * (Ln2Hi + Ln2Lo));

    /// <summary>base^exponent for a positive base.</summary>
    public static double Pow(double value, double exponent) => Exp(exponent * Log(value));

    /// <summary>The amplitude factor of a level in decibels (20·log10 convention).</summary>
    public static double DbToGain(double db) => Exp(db * 0.11512925464970229);

    /// <summary>The level in decibels of an amplitude factor.</summary>
    public static double GainToDb(double gain) => Log(gain) * 8.685889638065035;

    /// <summary>Frequency in Hz of a (possibly fractional) MIDI pitch, A4 = 69 = 440 Hz.</summary>
    public static double MidiToHz(double pitch) => 440 * Exp2((pitch - 69) / 12);

    /// <summary>Per-sample multiplier for an exponential decay that falls by 60 dB in <paramref name="seconds"/>.</summary>
    public static double DecayPerSample(double seconds, int sampleRate)
        => Exp(-6.907755278982137 / (Math.Max(seconds, 1e-4) * sampleRate));

    /// <summary>
    /// A smooth saturating curve close to tanh (a Padé form, exact at ±3 where it reaches ±1 with zero slope),
    /// the usual cheap model of a tube or tape stage.
    /// </summary>
    public static float SoftClip(float x)
    {
        if (x <= -3f)
            return -1f;
        if (x >= 3f)
            return 1f;
        var x2 = x * x;
        // Rounding can overshoot ±1 by an ulp near ±3; the curve never should.
        return Math.Clamp(x * (27f + x2) / (27f + (9f * x2)), -1f, 1f);
    }

    private static double SinKernel(double r)
    {
        var r2 = r * r;
        var p = -1.0 / 1307674368000;
        p = (p * r2) + (1.0 / 6227020800);
        p = (p * r2) - (1.0 / 39916800);
        p = (p * r2) + (1.0 / 362880);
        p = (p * r2) - (1.0 / 5040);
        p = (p * r2) + (1.0 / 120);
        p = (p * r2) - (1.0 / 6);
        return r + (r * r2 * p);
    }

    private static double CosKernel(double r)
    {
        var r2 = r * r;
        var p = 1.0 / 20922789888000;
        p = (p * r2) - (1.0 / 87178291200);
        p = (p * r2) + (1.0 / 479001600);
        p = (p * r2) - (1.0 / 3628800);
        p = (p * r2) + (1.0 / 40320);
        p = (p * r2) - (1.0 / 720);
        p = (p * r2) + (1.0 / 24);
        p = (p * r2) - 0.5;
        return 1 + (r2 * p);
    }
}
