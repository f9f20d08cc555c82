using System.Numerics;
using System.Runtime.InteropServices;

namespace CudaGenre.Core.Audio;

/// <summary>
/// Band-limited sample-rate conversion by a polyphase Kaiser-windowed sinc filter.
/// <para>
/// Design (relative to the lower of the two Nyquist frequencies): passband to 90 %, stopband from 100 %,
/// stopband attenuation ≥ 90 dB, so nothing above the output's Nyquist frequency aliases back by more than
/// −90 dB, and frequencies up to 90 % of it pass with &lt; 0.01 dB ripple. Output sample n lies at input time
/// n · inRate / outRate (sample 0 on sample 0); the signal is taken as zero outside the clip; the output has
/// ceil(length · outRate / inRate) samples.
/// </para>
/// <para>
/// The filter has one phase per distinct output position when the reduced ratio outRate/inRate = L/M has
/// L ≤ 4096 (every ratio between common rates: 44100→22050 has L = 1, 48000→22050 has L = 147); otherwise
/// positions are rounded to 1/4096 of an input sample (timing error ≤ 1/8192 sample, below −68 dB even at
/// the Nyquist frequency).
/// </para>
/// </summary>
public static class Resampler
{
    private const int MaxPhases = 4096;
    private const int MaxTaps = 1 << 16;
    private const double PassbandEdge = 0.90;
    private const double StopbandEdge = 1.00;
    private const double StopbandAttenuationDb = 90;

    /// <summary>
    /// Returns <paramref name="clip"/> resampled to <paramref name="targetRate"/> Hz; the same instance when the
    /// rate already matches.
    /// </summary>
    /// <param name="clip">The mono clip to convert.</param>
    /// <param name="targetRate">Output sample rate in Hz (&gt; 0).</param>
    public static AudioClip Resample(AudioClip clip, int targetRate)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clip.SampleRate);
        if (clip.SampleRate == targetRate)
            return clip;

        var g = (int)BigInteger.GreatestCommonDivisor(clip.SampleRate, targetRate);
        var up = targetRate / g;   // L
        var down = clip.SampleRate / g; // M
        var phases = Math.Min(up, MaxPhases);
        var filter = Design(up, down, phases, out var taps);

        var input = clip.Samples;
        var outLength = (((long)input.Length * up) + down - 1) / down; // ceil(N·L/M), exactly
        if (outLength > Array.MaxLength)
            throw new ArgumentException($"Resampling {input.Length} samples to {targetRate} Hz gives more than {Array.MaxLength}.", nameof(clip));

        // Zero padding on both sides lets every output use one contiguous window with no bounds tests.
        var half = taps / 2;
        var padded = new float[input.Length + taps + 1];
        input.CopyTo(padded, half);

        var output = new float[outLength];
        for (long n = 0; n < outLength; n++)
        {
            var position = n * down;
            var q = position / up;
            var r = position % up;
            long phase = r;
            if (phases != up)
            {
                phase = (long)Math.Round((double)r * phases / up);
                if (phase == phases)
                {
                    phase = 0;
                    q++;
                }
            }

            // Window covers input samples q − half + 1 … q + half, i.e. padded[q + 1 …].
            var window = padded.AsSpan((int)(q + 1), taps);
            var kernel = filter.AsSpan((int)(phase * taps), taps);
            output[n] = Dot(window, kernel);
        }

        return new AudioClip(output, targetRate);
    }

    /// <summary>
    /// Builds the polyphase table: <paramref name="phases"/> rows of <paramref name="taps"/> coefficients, row p
    /// holding h(p/phases + half − 1 − j) for j = 0 … taps − 1, each row scaled to sum to 1 (unit DC gain).
    /// </summary>
    internal static float[] Design(int up, int down, int phases, out int taps)
    {
        // Frequencies in cycles per input sample.
        var nyquist = 0.5 * Math.Min(1.0, (double)up / down);
        var cutoff = 0.5 * (PassbandEdge + StopbandEdge) * nyquist;
        var transition = (StopbandEdge - PassbandEdge) * nyquist;
        var beta = 0.1102 * (StopbandAttenuationDb - 8.7);
        // Kaiser's length estimate, N = (A − 7.95) / (2.285 · Δω), in input samples; rounded up to even.
        var length = (StopbandAttenuationDb - 7.95) / (2.285 * 2 * Math.PI * transition);
        // The filter grows with the ratio of the rates (2 million taps from 400 MHz); refuse before the table is built.
        if (!(length <= MaxTaps))
            throw new ArgumentException($"resampling from {down} to {up} needs a filter of {length:F0} taps, more than the {MaxTaps} supported: the input's sample rate is too high for the target rate.");
        taps = 2 * (int)Math.Ceiling(length / 2);
        var half = taps / 2;

        var table = new float[SizeMath.ToArrayLength(SizeMath.Multiply(phases, taps), $"the resampling filter from {down} to {up} (coefficients)")];
        var i0Beta = BesselI0(beta);
        var row = new double[taps];
        for (var p = 0; p < phases; p++)
        {
            var sum = 0.0;
            for (var j = 0; j < taps; j++)
            {
                var t = ((double)p / phases) + half - 1 - j;
                var x = t / half;
                var w = Math.Abs(x) >= 1 ? 0 : BesselI0(beta * Math.Sqrt(1 - (x * x))) / i0Beta;
                row[j] = 2 * cutoff * Sinc(2 * cutoff * t) * w;
                sum += row[j];
            }

            for (var j = 0; j < taps; j++)
                table[(p * taps) + j] = (float)(row[j] / sum);
        }

        return table;
    }

    private static double Sinc(double x) => x == 0 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);

    /// <summary>Modified Bessel function of the first kind, order 0, by its power series.</summary>
    private static double BesselI0(double x)
    {
        var sum = 1.0;
        var term = 1.0;
        var q = x * x / 4;
        for (var k = 1; k < 200 && term > 1e-17 * sum; k++)
        {
            term *= q / ((double)k * k);
            sum += term;
        }

        return sum;
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        // Callers pass equal lengths; unchecked loads keep the inner loop to loads, multiplies and adds.
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        var width = Vector<float>.Count;
        var length = Math.Min(a.Length, b.Length);
        // Four independent accumulators: a single one makes the loop wait on the adder's latency.
        Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
        var i = 0;
        for (; i + (4 * width) <= length; i += 4 * width)
        {
            s0 += Vector.LoadUnsafe(ref ra, (nuint)i) * Vector.LoadUnsafe(ref rb, (nuint)i);
            s1 += Vector.LoadUnsafe(ref ra, (nuint)(i + width)) * Vector.LoadUnsafe(ref rb, (nuint)(i + width));
            s2 += Vector.LoadUnsafe(ref ra, (nuint)(i + (2 * width))) * Vector.LoadUnsafe(ref rb, (nuint)(i + (2 * width)));
            s3 += Vector.LoadUnsafe(ref ra, (nuint)(i + (3 * width))) * Vector.LoadUnsafe(ref rb, (nuint)(i + (3 * width)));
        }

        for (; i + width <= length; i += width)
            s0 += Vector.LoadUnsafe(ref ra, (nuint)i) * Vector.LoadUnsafe(ref rb, (nuint)i);
        var sum = Vector.Sum((s0 + s1) + (s2 + s3));
        for (; i < length; i++)
            sum += a[i] * b[i];
        return sum;
    }
}
