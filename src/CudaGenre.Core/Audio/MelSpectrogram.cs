using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;
using NWaves.Transforms;

namespace CudaGenre.Core.Audio;

/// <summary>
/// Log-mel spectrograms as librosa computes them (see <see cref="MelSpectrogramSettings"/> for every step and
/// default), plus the Slaney mel scale they are built on. Thread-safe: filter banks and windows are built once
/// per settings and shared; each call has its own FFT buffers.
/// </summary>
public static class MelSpectrogram
{
    /// <summary>Floor under power values before the logarithm (librosa's <c>amin</c>).</summary>
    public const double Amin = 1e-10;

    // Slaney's mel scale (Auditory Toolbox, librosa htk=False): linear below 1 kHz, logarithmic above.
    private const double LinearHzPerMel = 200.0 / 3;
    private const double LogBreakHz = 1000.0;
    private const double LogBreakMel = LogBreakHz / LinearHzPerMel; // 15
    private static readonly double LogStep = Math.Log(6.4) / 27.0;

    private static readonly ConcurrentDictionary<MelSpectrogramSettings, Plan> Plans = new();

    /// <summary>
    /// The log-mel spectrogram of <paramref name="clip"/>, resampled first to
    /// <see cref="MelSpectrogramSettings.SampleRate"/> when its rate differs.
    /// </summary>
    /// <param name="clip">Mono audio; at least one sample (at least FftSize samples when Center is false).</param>
    /// <param name="settings">Analysis parameters; null means <see cref="MelSpectrogramSettings.Default"/> (librosa's).</param>
    /// <returns>MelCount × frames values in dB relative to the maximum (max 0, min ≥ −TopDb), band 0 lowest.</returns>
    public static Spectrogram Compute(AudioClip clip, MelSpectrogramSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var s = settings ?? MelSpectrogramSettings.Default;
        s.Validate();
        var audio = Resampler.Resample(clip, s.SampleRate).Samples;
        if (audio.Length == 0)
            throw new ArgumentException("The clip has no samples.", nameof(clip));

        var frames = s.FrameCount(audio.Length);
        if (frames == 0)
            throw new ArgumentException($"The clip has {audio.Length} samples, fewer than one {s.FftSize}-sample frame (Center is false).", nameof(clip));

        var plan = Plans.GetOrAdd(s, static key => new Plan(key));
        var power = PowerMel(audio, s, plan, frames);
        return new Spectrogram(s.MelCount, frames, ToDecibels(power, s.TopDb));
    }

    /// <summary>Hz → mel on the Slaney scale: mel = 3·f/200 below 1000 Hz (so 1000 Hz = 15 mel), then 27 mel per factor 6.4.</summary>
    public static double HzToMel(double hz) =>
        hz >= LogBreakHz ? LogBreakMel + (Math.Log(hz / LogBreakHz) / LogStep) : hz / LinearHzPerMel;

    /// <summary>Mel → Hz on the Slaney scale; the inverse of <see cref="HzToMel"/>.</summary>
    public static double MelToHz(double mel) =>
        mel >= LogBreakMel ? LogBreakHz * Math.Exp(LogStep * (mel - LogBreakMel)) : mel * LinearHzPerMel;

    /// <summary>
    /// <paramref name="count"/> frequencies in Hz equally spaced on the Slaney mel scale from
    /// <paramref name="fMin"/> to <paramref name="fMax"/> inclusive (librosa's <c>mel_frequencies</c>).
    /// </summary>
    public static double[] MelFrequencies(int count, double fMin, double fMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var lo = HzToMel(fMin);
        var hi = HzToMel(fMax);
        var result = new double[count];
        var step = count > 1 ? (hi - lo) / (count - 1) : 0;
        for (var i = 0; i < count; i++)
            result[i] = MelToHz(i == count - 1 && count > 1 ? hi : lo + (i * step));
        return result;
    }

    /// <summary>
    /// Centre frequency in Hz of each mel band (MelCount values, band 0 first): the peaks of the triangular filters.
    /// </summary>
    /// <param name="settings">Analysis parameters; null means the defaults.</param>
    public static double[] BandCenterFrequencies(MelSpectrogramSettings? settings = null)
    {
        var s = settings ?? MelSpectrogramSettings.Default;
        s.Validate();
        return MelFrequencies(s.MelCount + 2, s.FMin, s.EffectiveFMax)[1..^1];
    }

    /// <summary>The (cached) filter bank for <paramref name="settings"/>.</summary>
    internal static MelFilterBank FilterBank(MelSpectrogramSettings settings) =>
        Plans.GetOrAdd(settings, static key => new Plan(key)).Filters;

    /// <summary>Mel power spectrogram (before dB), MelCount × frames, band-major.</summary>
    private static float[] PowerMel(float[] audio, MelSpectrogramSettings s, Plan plan, int frames)
    {
        var n = s.FftSize;
        var hop = s.HopLength;
        float[] source;
        if (s.Center)
        {
            // librosa ≥ 0.10 pads with zeros (pad_mode='constant'), FftSize/2 on each side.
            source = new float[audio.Length + n];
            audio.CopyTo(source, n / 2);
        }
        else
        {
            source = audio;
        }

        var fft = new RealFft(n);
        var frame = new float[n];
        var re = new float[s.BinCount];
        var im = new float[s.BinCount];
        var spectrum = new float[s.BinCount];
        var mel = new float[s.MelCount * frames];
        var squared = s.Power == 2.0;
        for (var t = 0; t < frames; t++)
        {
            Multiply(source.AsSpan(t * hop, n), plan.Window, frame);
            fft.Direct(frame, re, im);
            for (var k = 0; k < spectrum.Length; k++)
            {
                var p = (re[k] * re[k]) + (im[k] * im[k]);
                spectrum[k] = squared ? p : (float)Math.Pow(Math.Sqrt(p), s.Power);
            }

            plan.Filters.Apply(spectrum, mel.AsSpan(t), frames);
        }

        return mel;
    }

    /// <summary>librosa's power_to_db with ref = max: 10·log10(max(amin, S)) − 10·log10(max(amin, max S)), then the floor.</summary>
    private static float[] ToDecibels(float[] power, double? topDb)
    {
        var max = 0f;
        foreach (var p in power)
            max = Math.Max(max, p);
        // The same expression for every value, so the maximum itself becomes exactly 0 dB.
        var reference = 10 * Math.Log10(Math.Max(Amin, max));
        var db = new float[power.Length];
        var top = double.NegativeInfinity;
        for (var i = 0; i < power.Length; i++)
        {
            var v = (10 * Math.Log10(Math.Max(Amin, power[i]))) - reference;
            db[i] = (float)v;
            top = Math.Max(top, v);
        }

        if (topDb is { } range)
        {
            var floor = (float)(top - range);
            for (var i = 0; i < db.Length; i++)
                db[i] = Math.Max(db[i], floor);
        }

        return db;
    }

    private static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            var vr = MemoryMarshal.Cast<float, Vector<float>>(result);
            for (var k = 0; k < va.Length; k++)
                vr[k] = va[k] * vb[k];
            i = va.Length * Vector<float>.Count;
        }

        for (; i < a.Length; i++)
            result[i] = a[i] * b[i];
    }

    /// <summary>What depends only on the settings: the analysis window and the mel filters.</summary>
    private sealed class Plan
    {
        public Plan(MelSpectrogramSettings s)
        {
            // Periodic Hann (scipy get_window('hann', n, fftbins=True)): w[i] = 0.5 − 0.5·cos(2πi/n).
            Window = new float[s.FftSize];
            for (var i = 0; i < s.FftSize; i++)
                Window[i] = (float)(0.5 - (0.5 * Math.Cos(2 * Math.PI * i / s.FftSize)));
            Filters = MelFilterBank.Create(s);
        }

        public float[] Window { get; }

        public MelFilterBank Filters { get; }
    }
}
