namespace CudaGenre.Synthesis.Instruments;

/// <summary>
/// A single-cycle waveform built from harmonic amplitudes, band-limited per octave of the fundamental so
/// that no harmonic passes the Nyquist frequency (no aliasing). Reading it costs one interpolated lookup per
/// sample whatever the number of harmonics, which is what makes rich timbres cheap.
/// </summary>
internal sealed class Wavetable
{
    /// <summary>Samples per cycle (a power of two).</summary>
    public const int Size = 2048;

    private const int Mask = Size - 1;
    private const double LowestHz = 20;
    private const int Octaves = 10;

    private static readonly float[] SineCycle = BuildSine();

    private readonly Func<int, double> _amplitude;
    private readonly int _maxHarmonics;
    private readonly double _nyquist;
    private readonly float[]?[] _octaves = new float[]?[Octaves];

    /// <summary>
    /// Creates a table from <paramref name="amplitude"/> (harmonic number 1, 2, … → relative amplitude),
    /// using at most <paramref name="maxHarmonics"/> harmonics.
    /// </summary>
    public Wavetable(int sampleRate, Func<int, double> amplitude, int maxHarmonics = 96)
    {
        _amplitude = amplitude;
        _maxHarmonics = maxHarmonics;
        _nyquist = sampleRate / 2.0;
    }

    /// <summary>A plain sine cycle (Size + 1 entries, the last repeating the first for interpolation).</summary>
    public static float[] Sine => SineCycle;

    /// <summary>The table to use for a fundamental of <paramref name="hz"/> (Size + 1 entries).</summary>
    public float[] For(double hz)
    {
        // ILogB is an exact floor(log2), so octave selection is the same on every machine.
        var octave = Math.Clamp(Math.ILogB(Math.Max(hz, LowestHz) / LowestHz), 0, Octaves - 1);
        return _octaves[octave] ??= Build(octave);
    }

    /// <summary>Reads <paramref name="table"/> at <paramref name="phase"/> (cycles, 0 ≤ phase &lt; 1), linearly interpolated.</summary>
    public static float Read(float[] table, double phase)
    {
        var x = phase * Size;
        var i = (int)x;
        var f = (float)(x - i);
        var a = table[i];
        return a + (f * (table[i + 1] - a));
    }

    private float[] Build(int octave)
    {
        // The highest fundamental in this octave must keep its top harmonic under Nyquist.
        var topHz = LowestHz * (1 << (octave + 1));
        var harmonics = Math.Clamp((int)(_nyquist * 0.9 / topHz), 1, _maxHarmonics);
        var amplitudes = new double[harmonics + 1];
        for (var k = 1; k <= harmonics; k++)
            amplitudes[k] = _amplitude(k);
        var table = new float[Size + 1];
        var peak = 0.0;
        var values = new double[Size];
        for (var k = 1; k <= harmonics; k++)
        {
            var a = amplitudes[k];
            if (a == 0)
                continue;
            // sin(2πkn/N) is the base sine at index k·n mod N: no trigonometry per harmonic.
            for (var n = 0; n < Size; n++)
                values[n] += a * SineCycle[(k * n) & Mask];
        }
        foreach (var v in values)
            peak = Math.Max(peak, Math.Abs(v));
        var scale = peak > 0 ? 1 / peak : 0;
        for (var n = 0; n < Size; n++)
            table[n] = (float)(values[n] * scale);
        table[Size] = table[0];
        return table;
    }

    private static float[] BuildSine()
    {
        var table = new float[Size + 1];
        for (var n = 0; n < Size; n++)
            table[n] = (float)PortableMath.Sin(2 * Math.PI * n / Size);
        table[Size] = table[0];
        return table;
    }
}
