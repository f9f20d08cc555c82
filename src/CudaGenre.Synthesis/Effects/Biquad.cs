namespace CudaGenre.Synthesis.Effects;

/// <summary>
/// A second-order IIR filter with the RBJ "Audio EQ Cookbook" designs. State is kept between calls, so a
/// track can be filtered in pieces (a note at a time) as if it were one stream.
/// </summary>
internal sealed class Biquad
{
    private double _b0, _b1, _b2, _a1, _a2;
    private double _x1, _x2, _y1, _y2;

    private Biquad()
    {
    }

    /// <summary>Low-pass, −3 dB-ish at <paramref name="hz"/> for Q = 0.707.</summary>
    public static Biquad LowPass(double hz, double q, int sampleRate) => new Biquad().SetLowPass(hz, q, sampleRate);

    /// <summary>High-pass.</summary>
    public static Biquad HighPass(double hz, double q, int sampleRate) => new Biquad().SetHighPass(hz, q, sampleRate);

    /// <summary>Band-pass with 0 dB peak gain.</summary>
    public static Biquad BandPass(double hz, double q, int sampleRate) => new Biquad().SetBandPass(hz, q, sampleRate);

    /// <summary>Peaking EQ: <paramref name="gainDb"/> at <paramref name="hz"/>.</summary>
    public static Biquad Peaking(double hz, double q, double gainDb, int sampleRate)
    {
        var (_, alpha, cos) = Prepare(hz, q, sampleRate);
        var a = PortableMath.DbToGain(gainDb / 2);
        return new Biquad().Set(1 + (alpha * a), -2 * cos, 1 - (alpha * a), 1 + (alpha / a), -2 * cos, 1 - (alpha / a));
    }

    /// <summary>High shelf: <paramref name="gainDb"/> above <paramref name="hz"/> (shelf slope 1).</summary>
    public static Biquad HighShelf(double hz, double gainDb, int sampleRate)
    {
        var (_, alpha, cos) = Prepare(hz, 0.707, sampleRate);
        var a = PortableMath.DbToGain(gainDb / 2);
        var root = 2 * Math.Sqrt(a) * alpha;
        return new Biquad().Set(
            a * (a + 1 + ((a - 1) * cos) + root),
            -2 * a * (a - 1 + ((a + 1) * cos)),
            a * (a + 1 + ((a - 1) * cos) - root),
            a + 1 - ((a - 1) * cos) + root,
            2 * (a - 1 - ((a + 1) * cos)),
            a + 1 - ((a - 1) * cos) - root);
    }

    /// <summary>Redesigns as a low-pass, keeping the state (for sweeps).</summary>
    public Biquad SetLowPass(double hz, double q, int sampleRate)
    {
        var (_, alpha, cos) = Prepare(hz, q, sampleRate);
        return Set((1 - cos) / 2, 1 - cos, (1 - cos) / 2, 1 + alpha, -2 * cos, 1 - alpha);
    }

    /// <summary>Redesigns as a high-pass, keeping the state.</summary>
    public Biquad SetHighPass(double hz, double q, int sampleRate)
    {
        var (_, alpha, cos) = Prepare(hz, q, sampleRate);
        return Set((1 + cos) / 2, -(1 + cos), (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha);
    }

    /// <summary>Redesigns as a band-pass (0 dB peak), keeping the state (for formant changes).</summary>
    public Biquad SetBandPass(double hz, double q, int sampleRate)
    {
        var (_, alpha, cos) = Prepare(hz, q, sampleRate);
        return Set(alpha, 0, -alpha, 1 + alpha, -2 * cos, 1 - alpha);
    }

    /// <summary>Filters one sample.</summary>
    public double Process(double x)
    {
        var y = (_b0 * x) + (_b1 * _x1) + (_b2 * _x2) - (_a1 * _y1) - (_a2 * _y2);
        _x2 = _x1;
        _x1 = x;
        _y2 = _y1;
        // Flush denormals: a decaying tail must not slow the loop down.
        _y1 = Math.Abs(y) < 1e-25 ? 0 : y;
        return _y1;
    }

    /// <summary>Filters <paramref name="samples"/> in place.</summary>
    public void Process(Span<float> samples)
    {
        double b0 = _b0, b1 = _b1, b2 = _b2, a1 = _a1, a2 = _a2;
        double x1 = _x1, x2 = _x2, y1 = _y1, y2 = _y2;
        for (var i = 0; i < samples.Length; i++)
        {
            double x = samples[i];
            var y = (b0 * x) + (b1 * x1) + (b2 * x2) - (a1 * y1) - (a2 * y2);
            if (Math.Abs(y) < 1e-25)
                y = 0;
            x2 = x1;
            x1 = x;
            y2 = y1;
            y1 = y;
            samples[i] = (float)y;
        }
        (_x1, _x2, _y1, _y2) = (x1, x2, y1, y2);
    }

    private Biquad Set(double b0, double b1, double b2, double a0, double a1, double a2)
    {
        _b0 = b0 / a0;
        _b1 = b1 / a0;
        _b2 = b2 / a0;
        _a1 = a1 / a0;
        _a2 = a2 / a0;
        return this;
    }

    private static (double W, double Alpha, double Cos) Prepare(double hz, double q, int sampleRate)
    {
        var nyquist = sampleRate / 2.0;
        var w = 2 * Math.PI * Math.Clamp(hz, 10, nyquist * 0.95) / sampleRate;
        return (w, PortableMath.Sin(w) / (2 * q), PortableMath.Cos(w));
    }
}
