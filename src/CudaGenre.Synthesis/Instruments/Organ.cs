using CudaGenre.Core;
using CudaGenre.Synthesis.Effects;

namespace CudaGenre.Synthesis.Instruments;

/// <summary>
/// A drawbar organ: a fixed additive spectrum from nine drawbar footages (16′ … 1′), instant attack and
/// release with a key click, and a rotary-speaker tremolo (slow "chorale" or fast "tremolo").
/// </summary>
internal sealed class Organ : IInstrument
{
    // Drawbar footages as harmonics of the 16′ sub-octave: 16′ 8′ 5⅓′ 4′ 2⅔′ 2′ 1⅗′ 1⅓′ 1′.
    private static readonly int[] DrawbarHarmonics = [1, 2, 3, 4, 6, 8, 10, 12, 16];
    private static readonly int[][] Registrations =
    [
        [8, 8, 8, 0, 0, 0, 0, 0, 0], // jazz, gospel
        [8, 8, 6, 4, 0, 0, 0, 0, 0],
        [8, 3, 8, 0, 0, 0, 0, 0, 0], // reggae "bubble"
        [8, 8, 8, 8, 0, 0, 0, 0, 8],
        [6, 8, 8, 6, 0, 0, 0, 0, 0],
        [0, 8, 8, 8, 0, 0, 0, 0, 0],
        [8, 8, 8, 8, 8, 8, 8, 8, 8], // full
    ];

    private readonly int _sampleRate;
    private readonly Wavetable _tone;
    private readonly double _tremoloHz;
    private readonly double _tremoloDepth;
    private NoiseSource _click;

    public Organ(int sampleRate, SeededRandom random, double brightness)
    {
        _sampleRate = sampleRate;
        var bars = Registrations[random.NextInt(Registrations.Length)];
        var amplitudes = new double[17];
        for (var i = 0; i < bars.Length; i++)
        {
            // Each drawbar step is 3 dB; the upper bars are pulled further in for a darker sound.
            var level = bars[i] - (i >= 4 ? (1 - brightness) * 4 : 0);
            if (level > 0)
                amplitudes[DrawbarHarmonics[i]] += PortableMath.DbToGain((level - 8) * 3);
        }
        _tone = new Wavetable(sampleRate, k => k < amplitudes.Length ? amplitudes[k] : 0);
        _tremoloHz = random.Chance(0.5) ? random.Uniform(0.7, 1.2) : random.Uniform(5.5, 7);
        _tremoloDepth = random.Uniform(0.05, 0.25);
        _click = new NoiseSource(random);
    }

    public void Play(in Note note, float[] track)
    {
        // The table's fundamental is the 16′ sub-octave, an octave below the key.
        var hz = PortableMath.MidiToHz(note.Pitch) / 2;
        var table = _tone.For(hz);
        var sine = Wavetable.Sine;
        var total = (int)((note.Duration + 0.04) * _sampleRate);
        var first = (int)Math.Round(note.Start * _sampleRate);
        var held = (int)(note.Duration * _sampleRate);
        var fade = Math.Max(1, (int)(0.005 * _sampleRate));
        var clickSamples = (int)(0.003 * _sampleRate);
        var inc = hz / _sampleRate;
        var tremInc = _tremoloHz / _sampleRate;
        // The rotor turns independently of the notes: its phase follows clip time.
        var tremPhase = (first * tremInc) - Math.Floor(first * tremInc);
        var amp = (float)(0.35 * (0.6 + (0.4 * note.Velocity)));
        var phase = 0.0;
        for (var n = 0; n < total; n++)
        {
            var idx = first + n;
            if (idx >= track.Length)
                break;
            var lfo = Wavetable.Read(sine, tremPhase);
            var gate = n < fade ? (float)n / fade : n > held ? Math.Max(0f, 1f - ((float)(n - held) / fade / 8)) : 1f;
            var v = Wavetable.Read(table, phase) * (1f - (float)(_tremoloDepth * (0.5 + (0.5 * lfo))));
            if (n < clickSamples)
                v += 0.3f * _click.Next();
            if (idx >= 0)
                track[idx] += amp * gate * v;
            phase += inc * (1 + (0.002 * lfo));
            if (phase >= 1)
                phase -= 1;
            tremPhase += tremInc;
            if (tremPhase >= 1)
                tremPhase -= 1;
        }
    }
}
