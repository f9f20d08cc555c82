using CudaGenre.Core;
using CudaGenre.Synthesis.Effects;

namespace CudaGenre.Synthesis.Instruments;

/// <summary>
/// Piano-like keyboards: a bright attack spectrum that fades into a dull sustain spectrum while the note
/// decays, faster for high notes. The acoustic piano has hammer-position notches and a hammer thump; the
/// electric piano is a near-sine with a bell-like tine partial.
/// </summary>
internal sealed class Piano : IInstrument
{
    private readonly int _sampleRate;
    private readonly bool _electric;
    private readonly Wavetable _bright;
    private readonly Wavetable _dark;
    private readonly double _brightSeconds;
    private readonly double _releaseSeconds;
    private readonly double _decayScale;
    private NoiseSource _hammer;

    public Piano(int sampleRate, SeededRandom random, double brightness, bool electric)
    {
        _sampleRate = sampleRate;
        _electric = electric;
        _hammer = new NoiseSource(random);
        if (electric)
        {
            var bell = random.Uniform(0.08, 0.25) * (0.5 + brightness);
            var bellHarmonic = 7 + random.NextInt(5);
            _bright = new Wavetable(sampleRate, k => k switch
            {
                1 => 1,
                2 => 0.3,
                3 => 0.1,
                _ => k == bellHarmonic ? bell : k == bellHarmonic + 1 ? bell * 0.5 : 0,
            });
            _dark = new Wavetable(sampleRate, k => k switch { 1 => 1, 2 => 0.12, 3 => 0.03, _ => 0 });
            _brightSeconds = random.Uniform(0.05, 0.12);
            _decayScale = random.Uniform(0.5, 0.8);
        }
        else
        {
            var rolloff = 1.9 - (0.9 * brightness);
            // A hammer striking at 1/7–1/9 of the string length leaves near-zeros at multiples of that harmonic.
            var strike = random.Uniform(7, 9);
            _bright = new Wavetable(sampleRate,
                k => Math.Abs(PortableMath.Sin(Math.PI * k / strike)) / PortableMath.Pow(k, rolloff), 64);
            _dark = new Wavetable(sampleRate, k => 1 / PortableMath.Pow(k, 2.8), 16);
            _brightSeconds = random.Uniform(0.12, 0.35);
            _decayScale = random.Uniform(0.7, 1.1);
        }
        _releaseSeconds = random.Uniform(0.12, 0.3);
    }

    public void Play(in Note note, float[] track)
    {
        var hz = PortableMath.MidiToHz(note.Pitch);
        // Low strings ring for many seconds, the top octave for about one.
        var t60 = Math.Clamp(9 * PortableMath.Exp2(-(note.Pitch - 36) / 20), 0.8, 9) * _decayScale;
        var held = Math.Min(note.Duration, t60);
        var total = (int)((held + _releaseSeconds) * _sampleRate);
        var first = (int)Math.Round(note.Start * _sampleRate);
        var heldSamples = (int)(held * _sampleRate);
        var bright = _bright.For(hz);
        var dark = _dark.For(hz);
        var inc = hz / _sampleRate;
        var amp = PortableMath.Pow(note.Velocity, 1.4) * 0.5;
        var decay = PortableMath.DecayPerSample(t60, _sampleRate);
        var release = PortableMath.DecayPerSample(_releaseSeconds, _sampleRate);
        var mellowing = PortableMath.DecayPerSample(_brightSeconds, _sampleRate);
        var attack = Math.Max(1, (int)(0.002 * _sampleRate));
        var thump = _electric ? 0 : 0.25 * note.Velocity;
        var thumpSamples = (int)(0.004 * _sampleRate);
        var w = 0.3 + (0.7 * note.Velocity);
        var env = amp;
        var phase = 0.0;
        for (var n = 0; n < total; n++)
        {
            var idx = first + n;
            if (idx >= track.Length)
                break;
            var d = Wavetable.Read(dark, phase);
            var v = d + ((float)w * (Wavetable.Read(bright, phase) - d));
            if (n < thumpSamples)
                v += (float)thump * _hammer.Next() * (1 - ((float)n / thumpSamples));
            var a = n < attack ? env * n / attack : env;
            if (idx >= 0)
                track[idx] += (float)(a * v);
            phase += inc;
            if (phase >= 1)
                phase -= 1;
            w *= mellowing;
            env *= n < heldSamples ? decay : release;
        }
    }
}
