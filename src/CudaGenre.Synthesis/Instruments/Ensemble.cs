using CudaGenre.Core;

namespace CudaGenre.Synthesis.Instruments;

/// <summary>The kinds of sustained ensemble sound.</summary>
internal enum EnsembleKind
{
    /// <summary>Bowed strings: three detuned players, slow attack, vibrato.</summary>
    Strings,

    /// <summary>Soft synthesizer pad: two detuned oscillators, slow attack, dark.</summary>
    SynthPad,

    /// <summary>Brass section: the tone brightens as the note swells in.</summary>
    Brass,
}

/// <summary>
/// Sustained ensembles built from several slightly detuned copies of a wavetable voice, each with its
/// own vibrato, which gives the chorus-like beating of a section of players.
/// </summary>
internal sealed class Ensemble : IInstrument
{
    private readonly int _sampleRate;
    private readonly EnsembleKind _kind;
    private readonly Wavetable _bright;
    private readonly Wavetable _dark;
    private readonly double[] _detuneCents;
    private readonly double _vibratoHz;
    private readonly double _vibratoCents;
    private readonly double _attackSeconds;
    private readonly double _releaseSeconds;
    private readonly SeededRandom _random;

    public Ensemble(int sampleRate, SeededRandom random, double brightness, EnsembleKind kind)
    {
        _sampleRate = sampleRate;
        _kind = kind;
        _random = random;
        switch (kind)
        {
            case EnsembleKind.Strings:
                var cutoff = 4 + (28 * brightness);
                _bright = new Wavetable(sampleRate, k => PortableMath.Exp(-k / cutoff) / k, 64);
                _dark = _bright;
                var spread = random.Uniform(6, 14);
                _detuneCents = [-spread, 0, spread];
                _vibratoHz = random.Uniform(4.8, 6.2);
                _vibratoCents = random.Uniform(8, 22);
                _attackSeconds = random.Uniform(0.08, 0.3);
                _releaseSeconds = random.Uniform(0.2, 0.5);
                break;
            case EnsembleKind.SynthPad:
                var padCutoff = 2 + (10 * brightness);
                _bright = new Wavetable(sampleRate, k => PortableMath.Exp(-k / padCutoff) / k, 32);
                _dark = _bright;
                var padSpread = random.Uniform(5, 12);
                _detuneCents = [-padSpread, padSpread];
                _vibratoHz = random.Uniform(0.2, 0.6);
                _vibratoCents = random.Uniform(0, 5);
                _attackSeconds = random.Uniform(0.15, 0.6);
                _releaseSeconds = random.Uniform(0.3, 0.8);
                break;
            default:
                var brassCutoff = 4 + (20 * brightness);
                _bright = new Wavetable(sampleRate, k => PortableMath.Exp(-k / brassCutoff) / PortableMath.Pow(k, 0.7), 48);
                _dark = new Wavetable(sampleRate, k => 1 / PortableMath.Pow(k, 2.5), 12);
                var brassSpread = random.Uniform(3, 8);
                _detuneCents = [-brassSpread, brassSpread];
                _vibratoHz = random.Uniform(4.5, 6);
                _vibratoCents = random.Uniform(3, 10);
                _attackSeconds = random.Uniform(0.02, 0.06);
                _releaseSeconds = random.Uniform(0.06, 0.15);
                break;
        }
    }

    public void Play(in Note note, float[] track)
    {
        var baseHz = PortableMath.MidiToHz(note.Pitch);
        var first = (int)Math.Round(note.Start * _sampleRate);
        var held = (int)(note.Duration * _sampleRate);
        var attack = Math.Max(1, (int)(Math.Min(_attackSeconds, note.Duration * 0.7) * _sampleRate));
        var total = held + (int)(_releaseSeconds * _sampleRate);
        var release = PortableMath.DecayPerSample(_releaseSeconds, _sampleRate);
        var amp = (0.25 + (0.2 * note.Velocity)) / _detuneCents.Length;
        var brass = _kind == EnsembleKind.Brass;
        var sine = Wavetable.Sine;
        foreach (var cents in _detuneCents)
        {
            var hz = baseHz * PortableMath.Exp2(cents / 1200);
            var bright = _bright.For(hz);
            var dark = _dark.For(hz);
            var inc = hz / _sampleRate;
            var vibInc = _vibratoHz * _random.Uniform(0.9, 1.1) / _sampleRate;
            var vibDepth = _vibratoCents * 0.000578; // cents to a frequency ratio, to first order
            var vibPhase = _random.NextDouble();
            var phase = _random.NextDouble();
            var env = 0.0;
            for (var n = 0; n < total; n++)
            {
                var idx = first + n;
                if (idx >= track.Length)
                    break;
                env = n < attack ? (double)n / attack : n < held ? 1 : env * release;
                float v;
                if (brass)
                {
                    // Brass brightens with its swell: the dark spectrum opens into the bright one.
                    var d = Wavetable.Read(dark, phase);
                    v = d + ((float)(env * env) * (Wavetable.Read(bright, phase) - d));
                }
                else
                {
                    v = Wavetable.Read(bright, phase);
                }
                if (idx >= 0)
                    track[idx] += (float)(amp * env) * v;
                phase += inc * (1 + (vibDepth * Wavetable.Read(sine, vibPhase)));
                if (phase >= 1)
                    phase -= 1;
                vibPhase += vibInc;
                if (vibPhase >= 1)
                    vibPhase -= 1;
            }
        }
    }
}
