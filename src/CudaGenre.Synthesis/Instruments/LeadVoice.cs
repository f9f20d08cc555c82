using CudaGenre.Core;
using CudaGenre.Synthesis.Effects;

namespace CudaGenre.Synthesis.Instruments;

/// <summary>
/// Melody voices made of a harmonic source, breath noise and formants: a singer or rapper (vowel formants
/// that change per note: note variant 0–4 is a, e, i, o, u), saxophone, trumpet, flute, violin, harmonica
/// and a synth lead. Vibrato fades in on held notes; bends scoop into the pitch. Notes must not overlap
/// (a melody is monophonic), because the formant filters run continuously from note to note.
/// </summary>
internal sealed class LeadVoice : IInstrument
{
    // Formant frequencies (Hz) for a, e, i, o, u, averaged between voice types.
    private static readonly double[][] Vowels =
    [
        [750, 1250, 2600],
        [480, 1900, 2600],
        [320, 2400, 3000],
        [500, 900, 2500],
        [350, 750, 2400],
    ];

    private readonly int _sampleRate;
    private readonly LeadInstrument _kind;
    private readonly Wavetable _source;
    private readonly Wavetable? _attackSource;
    private readonly double[]? _fixedFormants;
    private readonly double _breath;
    private readonly double _vibratoHz;
    private readonly double _vibratoCents;
    private readonly double _attackSeconds;
    private readonly float _grit;
    private readonly Biquad[] _formants = new Biquad[3];
    private readonly double[] _formantGains = [1, 0.6, 0.3];
    private readonly Biquad _consonant;
    private readonly Biquad _tone;
    private NoiseSource _noise;

    public LeadVoice(int sampleRate, SeededRandom random, LeadInstrument kind, double brightness, double drive)
    {
        _sampleRate = sampleRate;
        _kind = kind;
        _noise = new NoiseSource(random);
        _vibratoHz = random.Uniform(4.8, 6.5);
        var shift = random.Uniform(0.85, 1.2); // vocal-tract length: formants of different singers
        switch (kind)
        {
            case LeadInstrument.Singer:
            case LeadInstrument.Rapper:
                _source = new Wavetable(sampleRate, k => 1 / PortableMath.Pow(k, 1.3 - (0.5 * brightness)), 64);
                _breath = random.Uniform(0.02, 0.08);
                _vibratoCents = kind == LeadInstrument.Singer ? random.Uniform(15, 45) : 0;
                _attackSeconds = kind == LeadInstrument.Singer ? random.Uniform(0.02, 0.06) : 0.008;
                _grit = (float)Math.Max(0, (drive - 0.35) / 0.65);
                for (var f = 0; f < 3; f++)
                    _formants[f] = Biquad.BandPass(Vowels[0][f] * shift, 6, sampleRate);
                _formantGains = [1, 0.7, 0.5]; // a strong third formant: the "singer's formant" that cuts through a band
                break;
            case LeadInstrument.Saxophone:
                _source = new Wavetable(sampleRate, k => (k % 2 == 1 ? 1 : 0.6) / PortableMath.Pow(k, 1.1), 48);
                _fixedFormants = [550 * shift, 1400 * shift, 2700];
                _breath = random.Uniform(0.06, 0.15);
                _vibratoCents = random.Uniform(10, 30);
                _attackSeconds = 0.03;
                break;
            case LeadInstrument.Trumpet:
                _source = new Wavetable(sampleRate, k => PortableMath.Exp(-k / (6 + (14 * brightness))) / PortableMath.Pow(k, 0.6), 48);
                _attackSource = new Wavetable(sampleRate, k => 1 / PortableMath.Pow(k, 2.5), 12);
                _fixedFormants = [1200 * shift, 2400, 3200];
                _breath = 0.02;
                _vibratoCents = random.Uniform(5, 20);
                _attackSeconds = 0.025;
                break;
            case LeadInstrument.Flute:
                _source = new Wavetable(sampleRate, k => k switch { 1 => 1, 2 => 0.25, 3 => 0.1, 4 => 0.04, _ => 0 });
                _breath = random.Uniform(0.1, 0.2);
                _vibratoCents = random.Uniform(10, 25);
                _attackSeconds = 0.05;
                break;
            case LeadInstrument.Violin:
                _source = new Wavetable(sampleRate, k => PortableMath.Exp(-k / (8 + (24 * brightness))) / k, 64);
                _fixedFormants = [290, 1000 * shift, 2800];
                _formantGains = [0.7, 0.6, 0.9];
                _breath = 0.03;
                _vibratoCents = random.Uniform(15, 35);
                _attackSeconds = random.Uniform(0.04, 0.1);
                break;
            case LeadInstrument.Harmonica:
                _source = new Wavetable(sampleRate, k => (k % 2 == 1 ? 1 : 0.4) / k, 48);
                _fixedFormants = [900 * shift, 1800 * shift, 3000];
                _breath = random.Uniform(0.05, 0.12);
                _vibratoCents = random.Uniform(10, 40);
                _attackSeconds = 0.02;
                break;
            default:
                _source = new Wavetable(sampleRate, k => PortableMath.Exp(-k / (6 + (30 * brightness))) / k, 64);
                _breath = 0;
                _vibratoCents = random.Uniform(0, 20);
                _attackSeconds = 0.01;
                break;
        }
        if (_fixedFormants is not null)
        {
            for (var f = 0; f < 3; f++)
                _formants[f] = Biquad.BandPass(_fixedFormants[f], 4, sampleRate);
        }
        _consonant = Biquad.HighPass(random.Uniform(3000, 6000), 0.7, sampleRate);
        _tone = Biquad.LowPass(kind == LeadInstrument.Flute ? 5000 : 9000, 0.7, sampleRate);
    }

    private bool UsesFormants => _kind is LeadInstrument.Singer or LeadInstrument.Rapper || _fixedFormants is not null;

    public void Play(in Note note, float[] track)
    {
        var rapping = _kind == LeadInstrument.Rapper;
        var sung = _kind is LeadInstrument.Singer or LeadInstrument.Rapper;
        if (sung)
        {
            var vowel = Vowels[Math.Clamp(note.Variant, 0, Vowels.Length - 1)];
            for (var f = 0; f < 3; f++)
                _formants[f].SetBandPass(vowel[f], Math.Clamp(vowel[f] / 90, 3, 14), _sampleRate);
        }
        var hz = PortableMath.MidiToHz(note.Pitch);
        var table = _source.For(hz);
        var attackTable = _attackSource?.For(hz);
        var first = (int)Math.Round(note.Start * _sampleRate);
        var total = (int)(note.Duration * _sampleRate);
        var attack = Math.Max(1, (int)(Math.Min(_attackSeconds, note.Duration / 3) * _sampleRate));
        var releaseStart = total - Math.Max(1, (int)(Math.Min(0.04, note.Duration / 3) * _sampleRate));
        var vibStart = (int)(0.22 * _sampleRate);
        var vibFade = 0.25 * _sampleRate;
        var vibDepth = _vibratoCents * 0.000578;
        var vibInc = _vibratoHz / _sampleRate;
        var sine = Wavetable.Sine;
        var inc = hz / _sampleRate;
        var bendSamples = Math.Min(0.08 * _sampleRate, total / 2.0);
        // Speech falls in pitch over a syllable: about two semitones.
        var fallPerSample = rapping ? 2.0 * 0.0578 / Math.Max(1, total) : 0;
        var consonantSamples = rapping || (sung && note.Variant % 2 == 0) ? (int)(0.025 * _sampleRate) : 0;
        var amp = 0.5 * (0.6 + (0.4 * note.Velocity));
        var formants = UsesFormants;
        var phase = 0.0;
        var vibPhase = 0.0;
        for (var n = 0; n < total; n++)
        {
            var idx = first + n;
            if (idx >= track.Length)
                break;
            var env = n < attack ? (double)n / attack : n > releaseStart ? (double)(total - n) / (total - releaseStart) : 1;
            var v = Wavetable.Read(table, phase);
            if (attackTable is not null)
            {
                var d = Wavetable.Read(attackTable, phase);
                v = d + ((float)env * (v - d));
            }
            var noise = _noise.Next();
            double x = v + (float)(_breath * noise);
            if (_grit > 0)
                x = PortableMath.SoftClip((float)(x * (1 + (_grit * 0.8 * noise)) * (1 + (3 * _grit))));
            double y;
            if (formants)
            {
                y = (_formantGains[0] * _formants[0].Process(x)) + (_formantGains[1] * _formants[1].Process(x))
                    + (_formantGains[2] * _formants[2].Process(x)) + (0.12 * x);
                y *= 2.5;
            }
            else
            {
                y = x;
            }
            if (n < consonantSamples)
                y += 0.6 * _consonant.Process(noise) * (1 - ((double)n / consonantSamples));
            y = _tone.Process(y);
            if (idx >= 0)
                track[idx] += (float)(amp * env * y);

            var step = inc;
            if (note.Bend != 0 && n < bendSamples)
                step *= 1 - (note.Bend * 0.0578 * (1 - (n / bendSamples)));
            if (rapping)
                step *= 1 - (fallPerSample * n);
            if (n > vibStart && vibDepth > 0)
            {
                var depth = vibDepth * Math.Min(1, (n - vibStart) / vibFade);
                step *= 1 + (depth * Wavetable.Read(sine, vibPhase));
                vibPhase += vibInc;
                if (vibPhase >= 1)
                    vibPhase -= 1;
            }
            phase += step;
            if (phase >= 1)
                phase -= 1;
        }
    }
}
