using CudaGenre.Core;
using CudaGenre.Synthesis.Effects;

namespace CudaGenre.Synthesis.Instruments;

/// <summary>The kinds of bass.</summary>
internal enum BassKind
{
    /// <summary>Electric bass, fingered or picked.</summary>
    Electric,

    /// <summary>Upright (double) bass, plucked: round, thumpy, shorter.</summary>
    Upright,

    /// <summary>Synth bass: sawtooth through a closing filter.</summary>
    Synth,

    /// <summary>Bowed (arco) bass and cellos: slow attack, sustained.</summary>
    Bowed,
}

/// <summary>
/// Bass instruments: a bright pluck spectrum that fades into a round body spectrum, with the note's
/// decay and attack set by the kind. Slides (note bend) glide the pitch in.
/// </summary>
internal sealed class BassGuitar : IInstrument
{
    private readonly int _sampleRate;
    private readonly BassKind _kind;
    private readonly Wavetable _bright;
    private readonly Wavetable _body;
    private readonly double _pluckSeconds;
    private readonly double _sustainSeconds;
    private readonly double _attackSeconds;
    private NoiseSource _thump;

    public BassGuitar(int sampleRate, SeededRandom random, double brightness, BassKind kind)
    {
        _sampleRate = sampleRate;
        _kind = kind;
        _thump = new NoiseSource(random);
        var cutoff = 2 + (18 * brightness);
        _bright = kind is BassKind.Synth or BassKind.Bowed
            ? new Wavetable(sampleRate, k => PortableMath.Exp(-k / (cutoff * 1.5)) / k, 48)
            : new Wavetable(sampleRate, k => PortableMath.Exp(-k / cutoff) / PortableMath.Pow(k, 1.2 - (0.4 * brightness)), 40);
        _body = new Wavetable(sampleRate, k => k switch { 1 => 1, 2 => 0.35, 3 => 0.12, 4 => 0.04, _ => 0 });
        (_pluckSeconds, _sustainSeconds, _attackSeconds) = kind switch
        {
            BassKind.Electric => (random.Uniform(0.05, 0.15), random.Uniform(1.5, 3), 0.003),
            BassKind.Upright => (random.Uniform(0.03, 0.07), random.Uniform(0.7, 1.4), 0.004),
            BassKind.Synth => (random.Uniform(0.08, 0.3), random.Uniform(3, 6), 0.003),
            _ => (10.0, 20.0, random.Uniform(0.08, 0.2)),
        };
    }

    public void Play(in Note note, float[] track)
    {
        var hz = PortableMath.MidiToHz(note.Pitch);
        var bright = _bright.For(hz);
        var body = _body.For(hz);
        var first = (int)Math.Round(note.Start * _sampleRate);
        var held = (int)(note.Duration * _sampleRate);
        var total = held + (int)(0.05 * _sampleRate);
        var attack = Math.Max(1, (int)(_attackSeconds * _sampleRate));
        var decay = PortableMath.DecayPerSample(_sustainSeconds, _sampleRate);
        var release = PortableMath.DecayPerSample(0.06, _sampleRate);
        var mellowing = PortableMath.DecayPerSample(_pluckSeconds, _sampleRate);
        var thumpSamples = _kind == BassKind.Upright ? (int)(0.012 * _sampleRate) : 0;
        var inc = hz / _sampleRate;
        var slideSamples = 0.06 * _sampleRate;
        var env = 0.55 * (0.5 + (0.5 * note.Velocity));
        var w = _kind == BassKind.Bowed ? 0.6 : 1.0;
        var phase = 0.0;
        for (var n = 0; n < total; n++)
        {
            var idx = first + n;
            if (idx >= track.Length)
                break;
            var b = Wavetable.Read(body, phase);
            var v = b + ((float)w * (Wavetable.Read(bright, phase) - b));
            if (n < thumpSamples)
                v += 0.3f * _thump.Next() * (1 - ((float)n / thumpSamples));
            var a = n < attack ? env * n / attack : env;
            if (idx >= 0)
                track[idx] += (float)a * v;
            var step = inc;
            if (note.Bend != 0 && n < slideSamples)
                step *= 1 - (note.Bend * 0.0578 * (1 - (n / slideSamples)));
            phase += step;
            if (phase >= 1)
                phase -= 1;
            if (_kind != BassKind.Bowed)
                w *= mellowing;
            env *= n < held ? decay : release;
        }
    }
}
