using CudaGenre.Core;

namespace CudaGenre.Synthesis.Instruments;

/// <summary>
/// The 808 sub-bass of trap and modern hip hop: a near-sine that rings for a second or more, glides
/// between pitches, and is saturated so its harmonics carry on small speakers.
/// </summary>
internal sealed class SubBass808 : IInstrument
{
    private const int ControlBlock = 32;
    private readonly int _sampleRate;
    private readonly Wavetable _tone;
    private readonly double _decaySeconds;
    private readonly double _glideSeconds;
    private readonly float _saturation;

    public SubBass808(int sampleRate, SeededRandom random, double brightness)
    {
        _sampleRate = sampleRate;
        _tone = new Wavetable(sampleRate, k => k switch { 1 => 1, 2 => 0.06, 3 => 0.02, _ => 0 });
        _decaySeconds = random.Uniform(1, 2.5);
        _glideSeconds = random.Uniform(0.04, 0.12);
        _saturation = (float)(1.2 + (3 * brightness) + random.Uniform(0, 1));
    }

    public void Play(in Note note, float[] track)
    {
        var first = (int)Math.Round(note.Start * _sampleRate);
        var held = (int)(note.Duration * _sampleRate);
        var total = held + (int)(0.04 * _sampleRate);
        var attack = Math.Max(1, (int)(0.004 * _sampleRate));
        var decay = PortableMath.DecayPerSample(_decaySeconds, _sampleRate);
        var release = PortableMath.DecayPerSample(0.04, _sampleRate);
        var glide = PortableMath.DecayPerSample(_glideSeconds, _sampleRate);
        var glideBlock = PortableMath.Pow(glide, ControlBlock);
        var norm = 1 / PortableMath.SoftClip(_saturation);
        var env = 0.7 * (0.6 + (0.4 * note.Velocity));
        var offset = -note.Bend;
        var phase = 0.0;
        var inc = 0.0;
        float[] table = _tone.For(PortableMath.MidiToHz(note.Pitch));
        for (var n = 0; n < total; n++)
        {
            var idx = first + n;
            if (idx >= track.Length)
                break;
            if (n % ControlBlock == 0)
            {
                // Pitch is updated at a control rate: the glide is slow next to the sample rate.
                inc = PortableMath.MidiToHz(note.Pitch + offset) / _sampleRate;
                offset *= glideBlock;
            }
            var a = n < attack ? env * n / attack : env;
            var v = PortableMath.SoftClip(Wavetable.Read(table, phase) * _saturation) * norm;
            if (idx >= 0)
                track[idx] += (float)a * v;
            phase += inc;
            if (phase >= 1)
                phase -= 1;
            env *= n < held ? decay : release;
        }
    }
}
