using System.Collections.Concurrent;

namespace CudaGenre.Synthesis.Tests;

/// <summary>
/// Small, independent DSP for checking the synthesizer's output: a radix-2 FFT, spectral centroid, band
/// energies, onset envelopes and their dominant period. Written here rather than taken from the product
/// code so the tests do not check the synthesizer against itself.
/// </summary>
internal static class AudioFeatures
{
    /// <summary>Power spectra of Hann-windowed frames (frames × (n/2 + 1)).</summary>
    public static double[][] PowerSpectrogram(float[] samples, int fftSize, int hop)
    {
        var frames = Math.Max(0, 1 + ((samples.Length - fftSize) / hop));
        var window = new double[fftSize];
        for (var i = 0; i < fftSize; i++)
            window[i] = 0.5 - (0.5 * Math.Cos(2 * Math.PI * i / fftSize));
        var result = new double[frames][];
        var re = new double[fftSize];
        var im = new double[fftSize];
        for (var t = 0; t < frames; t++)
        {
            for (var i = 0; i < fftSize; i++)
            {
                re[i] = samples[(t * hop) + i] * window[i];
                im[i] = 0;
            }
            Fft(re, im);
            var power = new double[(fftSize / 2) + 1];
            for (var k = 0; k < power.Length; k++)
                power[k] = (re[k] * re[k]) + (im[k] * im[k]);
            result[t] = power;
        }
        return result;
    }

    /// <summary>
    /// Mean spectral centroid in Hz over frames that are not silent, weighted by magnitude (as librosa's
    /// spectral_centroid is).
    /// </summary>
    public static double SpectralCentroid(float[] samples, int sampleRate)
    {
        var spectra = PowerSpectrogram(samples, 2048, 1024);
        var binHz = sampleRate / 2048.0;
        double sum = 0;
        var count = 0;
        foreach (var p in spectra)
        {
            double total = 0, weighted = 0;
            for (var k = 1; k < p.Length; k++)
            {
                var magnitude = Math.Sqrt(p[k]);
                total += magnitude;
                weighted += magnitude * k * binHz;
            }
            if (total < 1e-6)
                continue;
            sum += weighted / total;
            count++;
        }
        return count == 0 ? 0 : sum / count;
    }

    /// <summary>The share of the clip's spectral energy below <paramref name="hz"/>.</summary>
    public static double EnergyShareBelow(float[] samples, int sampleRate, double hz)
    {
        var spectra = PowerSpectrogram(samples, 2048, 1024);
        var cutoff = (int)(hz / (sampleRate / 2048.0));
        double low = 0, total = 0;
        foreach (var p in spectra)
        {
            for (var k = 1; k < p.Length; k++)
            {
                total += p[k];
                if (k <= cutoff)
                    low += p[k];
            }
        }
        return total == 0 ? 0 : low / total;
    }

    /// <summary>
    /// Onset envelope of a frequency band: the half-wave rectified frame-to-frame rise of the band's
    /// log energy (dB), one value per hop.
    /// </summary>
    public static double[] OnsetEnvelope(float[] samples, int sampleRate, double lowHz, double highHz, int fftSize = 1024, int hop = 128)
    {
        var spectra = PowerSpectrogram(samples, fftSize, hop);
        var binHz = (double)sampleRate / fftSize;
        var lo = Math.Max(1, (int)(lowHz / binHz));
        var hi = Math.Min((fftSize / 2) - 1, (int)(highHz / binHz));
        var env = new double[spectra.Length];
        var previous = double.NaN;
        for (var t = 0; t < spectra.Length; t++)
        {
            double e = 0;
            for (var k = lo; k <= hi; k++)
                e += spectra[t][k];
            var db = 10 * Math.Log10(e + 1e-10);
            env[t] = double.IsNaN(previous) ? 0 : Math.Max(0, db - previous);
            previous = db;
        }
        return env;
    }

    /// <summary>
    /// Percussiveness: sharp attacks per second in the 2–11 kHz band, where hi-hats, snares and cymbals
    /// live: frames (1024 samples, hop 512) whose band level rises by more than 4 dB over the previous frame,
    /// counting a run of rising frames once. Steady noise never rises that fast; bowed or sung notes rarely.
    /// </summary>
    public static double HighBandOnsetRate(float[] samples, int sampleRate)
    {
        var rises = OnsetEnvelope(samples, sampleRate, 2000, 11000, 1024, 512);
        var onsets = 0;
        for (var t = 1; t < rises.Length; t++)
        {
            if (rises[t] > 4 && rises[t - 1] <= 4)
                onsets++;
        }
        return onsets / ((double)samples.Length / sampleRate);
    }

    /// <summary>
    /// The lag (seconds) in [<paramref name="minSeconds"/>, <paramref name="maxSeconds"/>] where the
    /// autocorrelation of the mean-removed onset envelope peaks (hop of 128 samples).
    /// </summary>
    public static double DominantPeriod(double[] envelope, int sampleRate, double minSeconds, double maxSeconds, int hop = 128)
    {
        var mean = envelope.Average();
        var x = envelope.Select(v => v - mean).ToArray();
        var frameSeconds = (double)hop / sampleRate;
        var minLag = (int)Math.Ceiling(minSeconds / frameSeconds);
        var maxLag = Math.Min(x.Length - 1, (int)(maxSeconds / frameSeconds));
        var bestLag = minLag;
        var best = double.NegativeInfinity;
        var ac = new double[maxLag + 2];
        for (var lag = minLag - 1; lag <= maxLag + 1 && lag < x.Length; lag++)
        {
            double s = 0;
            for (var i = lag; i < x.Length; i++)
                s += x[i] * x[i - lag];
            ac[Math.Min(lag, ac.Length - 1)] = s;
        }
        for (var lag = minLag; lag <= maxLag; lag++)
        {
            if (ac[lag] > best)
            {
                best = ac[lag];
                bestLag = lag;
            }
        }
        // Parabolic interpolation around the peak for sub-hop resolution.
        double offset = 0;
        if (bestLag > minLag && bestLag < maxLag)
        {
            var (a, b, c) = (ac[bestLag - 1], ac[bestLag], ac[bestLag + 1]);
            var denominator = a - (2 * b) + c;
            if (denominator < 0)
                offset = 0.5 * (a - c) / denominator;
        }
        return (bestLag + offset) * frameSeconds;
    }

    /// <summary>Peak over RMS.</summary>
    public static double CrestFactor(float[] samples)
    {
        var peak = samples.Max(Math.Abs);
        var rms = Math.Sqrt(samples.Average(s => (double)s * s));
        return rms == 0 ? 0 : peak / rms;
    }

    /// <summary>In-place iterative radix-2 FFT (length a power of two).</summary>
    public static void Fft(double[] re, double[] im)
    {
        var n = re.Length;
        var (cos, sin) = Twiddles(n);
        for (int i = 1, j = 0; i < n; i++)
        {
            var bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1)
                j ^= bit;
            j ^= bit;
            if (i < j)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }
        for (var length = 2; length <= n; length <<= 1)
        {
            var stride = n / length;
            for (var i = 0; i < n; i += length)
            {
                for (var j = 0; j < length / 2; j++)
                {
                    var wr = cos[j * stride];
                    var wi = sin[j * stride];
                    var a = i + j;
                    var b = a + (length / 2);
                    var vr = (re[b] * wr) - (im[b] * wi);
                    var vi = (re[b] * wi) + (im[b] * wr);
                    re[b] = re[a] - vr;
                    im[b] = im[a] - vi;
                    re[a] += vr;
                    im[a] += vi;
                }
            }
        }
    }

    private static readonly ConcurrentDictionary<int, (double[] Cos, double[] Sin)> TwiddleCache = new();

    private static (double[] Cos, double[] Sin) Twiddles(int n) => TwiddleCache.GetOrAdd(n, size =>
    {
        var cos = new double[size / 2];
        var sin = new double[size / 2];
        for (var k = 0; k < size / 2; k++)
        {
            cos[k] = Math.Cos(-2 * Math.PI * k / size);
            sin[k] = Math.Sin(-2 * Math.PI * k / size);
        }
        return (cos, sin);
    });
}
