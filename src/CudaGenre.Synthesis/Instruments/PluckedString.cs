using CudaGenre.Core;
using CudaGenre.Synthesis.Effects;

namespace CudaGenre.Synthesis.Instruments;

/// <summary>The kinds of plucked string.</summary>
internal enum StringKind
{
    /// <summary>Steel-string acoustic guitar: bright, long ring, boxy body.</summary>
    Acoustic,

    /// <summary>Clean electric guitar: rounder, medium sustain.</summary>
    CleanElectric,

    /// <summary>Country "twang" (Telecaster): very bright and snappy, long sustain.</summary>
    Twang,
}

/// <summary>
/// The Karplus–Strong plucked string: a burst of noise circulating in a delay line one period long, through
/// a gentle low-pass that makes high harmonics die first, as on a real string. Note variant 1 is palm-muted.
/// </summary>
internal sealed class PluckedString : IInstrument
{
    private readonly int _sampleRate;
    private readonly StringKind _kind;
    private readonly double _sustainSeconds;
    private readonly double _loopDamping;
    private readonly double _pickBrightness;
    private NoiseSource _noise;

    public PluckedString(int sampleRate, SeededRandom random, double brightness, StringKind kind)
    {
        _sampleRate = sampleRate;
        _kind = kind;
        _noise = new NoiseSource(random);
        (_sustainSeconds, _loopDamping, _pickBrightness) = kind switch
        {
            StringKind.Acoustic => (random.Uniform(2, 4), 0.5 - (0.3 * brightness), 0.4 + (0.5 * brightness)),
            StringKind.CleanElectric => (random.Uniform(1.5, 3), 0.5 - (0.15 * brightness), 0.25 + (0.35 * brightness)),
            _ => (random.Uniform(2.5, 4.5), 0.2 - (0.15 * brightness), 0.7 + (0.3 * brightness)),
        };
    }

    public void Play(in Note note, float[] track)
    {
        var muted = note.Variant == 1;
        var hz = PortableMath.MidiToHz(note.Pitch);
        var damping = muted ? 0.5 : _loopDamping;
        var period = (double)_sampleRate / hz;
        // The note starts Bend semitones low: a longer period that shortens to the target.
        var bendRatio = PortableMath.Exp2(note.Bend / 12);
        var maxDelay = (period * Math.Max(1, bendRatio)) + 4;
        var line = new float[(int)maxDelay + 4];
        var length = line.Length;

        // Excitation: noise low-passed by the pick (a soft thumb or a hard plectrum), without DC.
        var p = (int)period;
        var lp = 0f;
        var pick = (float)_pickBrightness;
        var mean = 0f;
        for (var i = 0; i < p; i++)
        {
            lp += pick * (_noise.Next() - lp);
            line[i] = lp;
            mean += lp;
        }
        mean /= Math.Max(1, p);
        for (var i = 0; i < p; i++)
            line[i] -= mean;

        var sustain = muted ? 0.12 : _sustainSeconds;
        var loss = PortableMath.Pow(10, -3 / (sustain * hz));
        var releaseLoss = PortableMath.Pow(10, -3 / (0.06 * hz));
        var held = (int)(note.Duration * _sampleRate);
        var total = held + (int)(0.08 * _sampleRate);
        var first = (int)Math.Round(note.Start * _sampleRate);
        var amp = (float)(note.Velocity * 1.6);
        var bendSamples = Math.Max(1.0, 0.09 * _sampleRate);
        var write = p;
        var last = 0f;
        var bending = note.Bend != 0;
        var delay = (period * bendRatio) - damping;
        for (var n = 0; n < total; n++)
        {
            var idx = first + n;
            if (idx >= track.Length)
                break;
            if (bending)
            {
                // A bend shortens the sounding length of the string over ~90 ms.
                var t = Math.Min(1, n / bendSamples);
                delay = (period * (bendRatio + ((1 - bendRatio) * t))) - damping;
                bending = t < 1;
            }
            var read = write - delay;
            if (read < 0)
                read += length;
            if (read >= length)
                read = 0; // it was a hair below zero and rounded up to the length
            var ri = (int)read;
            var rf = (float)(read - ri);
            var a = line[ri];
            var b = line[ri + 1 == length ? 0 : ri + 1];
            // Fractional read one way, loop filter the other: the delay in the loop is the period.
            var current = a + (rf * (b - a));
            var filtered = (float)(((1 - damping) * current) + (damping * last));
            last = current;
            var g = n < held ? loss : releaseLoss;
            line[write] = (float)(filtered * g);
            if (++write == length)
                write = 0;
            if (idx >= 0)
                track[idx] += amp * current;
        }
    }

    public void Finish(float[] track)
    {
        switch (_kind)
        {
            case StringKind.Acoustic:
                // Body resonances of a flat-top guitar, and the sparkle of the top.
                Biquad.Peaking(110, 1.2, 5, _sampleRate).Process(track);
                Biquad.Peaking(220, 1.5, 3, _sampleRate).Process(track);
                Biquad.Peaking(3000, 0.8, 3, _sampleRate).Process(track);
                break;
            case StringKind.CleanElectric:
                Biquad.LowPass(4500, 0.8, _sampleRate).Process(track);
                break;
            default:
                Biquad.Peaking(2500, 1, 5, _sampleRate).Process(track);
                break;
        }
    }
}
