using CudaGenre.Core;
using CudaGenre.Synthesis.Effects;

namespace CudaGenre.Synthesis.Instruments;

/// <summary>
/// An electric guitar through an overdriven amplifier and a speaker cabinet. Notes are double-tracked
/// sawtooth voices; the whole track is then driven into a soft clipper (so chords intermodulate, as they do
/// through a real amp) and low-passed by the cabinet. Drive 0.1 is a bluesy crunch, 1 is high-gain metal.
/// Note variant 1 is palm-muted: short and dark before the amp, the "chug".
/// </summary>
internal sealed class DistortedGuitar : IInstrument
{
    private readonly int _sampleRate;
    private readonly double _drive;
    private readonly double _brightness;
    private readonly bool _lead;
    private readonly Wavetable _saw;
    private readonly double _detuneCents;
    private readonly double _cabinetHz;

    public DistortedGuitar(int sampleRate, SeededRandom random, double drive, double brightness, bool lead)
    {
        _sampleRate = sampleRate;
        _drive = drive;
        _brightness = brightness;
        _lead = lead;
        _saw = new Wavetable(sampleRate, k => 1.0 / k, 48);
        _detuneCents = random.Uniform(4, 12);
        _cabinetHz = random.Uniform(3500, 5500) * (0.8 + (0.4 * brightness));
    }

    public void Play(in Note note, float[] track)
    {
        var muted = note.Variant == 1;
        var first = (int)Math.Round(note.Start * _sampleRate);
        var held = (int)(note.Duration * _sampleRate);
        var total = held + (int)(0.05 * _sampleRate);
        var decay = PortableMath.DecayPerSample(muted ? 0.2 : _lead ? 6 : 4, _sampleRate);
        var release = PortableMath.DecayPerSample(0.05, _sampleRate);
        var attack = Math.Max(1, (int)(0.003 * _sampleRate));
        // Palm-muting darkens the string before the amp: a one-pole low-pass around 500–900 Hz.
        var muteCoefficient = muted ? (float)(1 - PortableMath.Exp(-2 * Math.PI * (500 + (400 * _brightness)) / _sampleRate)) : 1f;
        var amp = note.Velocity * (muted ? 0.7 : 0.5);
        var sine = Wavetable.Sine;
        var vibInc = 5.5 / _sampleRate;
        var vibStart = (int)(0.25 * _sampleRate);
        var bendSamples = 0.1 * _sampleRate;
        var voices = _lead ? 1 : 2;
        for (var voice = 0; voice < voices; voice++)
        {
            var cents = voice == 0 ? 0 : _detuneCents;
            var hz = PortableMath.MidiToHz(note.Pitch + (cents / 100));
            var table = _saw.For(hz);
            var inc = hz / _sampleRate;
            var phase = voice * 0.37;
            var env = amp;
            var lp = 0f;
            var vibPhase = 0.0;
            for (var n = 0; n < total; n++)
            {
                var idx = first + n;
                if (idx >= track.Length)
                    break;
                var v = Wavetable.Read(table, phase);
                lp += muteCoefficient * (v - lp);
                var a = n < attack ? env * n / attack : env;
                if (idx >= 0)
                    track[idx] += (float)a * lp;
                var step = inc;
                if (_lead)
                {
                    // Bends up into the note, then finger vibrato on held notes.
                    if (note.Bend != 0 && n < bendSamples)
                        step *= 1 - (note.Bend * 0.0578 * (1 - (n / bendSamples)));
                    if (n > vibStart)
                    {
                        step *= 1 + (0.008 * Wavetable.Read(sine, vibPhase));
                        vibPhase += vibInc;
                        if (vibPhase >= 1)
                            vibPhase -= 1;
                    }
                }
                phase += step;
                if (phase >= 1)
                    phase -= 1;
                env *= n < held ? decay : release;
            }
        }
    }

    public void Finish(float[] track)
    {
        var peak = Dynamics.Peak(track);
        if (peak <= 0)
            return;
        // Tighten the low end before the amp, as players do with a tube screamer.
        Biquad.HighPass(110, 0.7, _sampleRate).Process(track);
        var gain = (float)(PortableMath.DbToGain(6 + (34 * _drive)) / peak);
        var secondStage = _drive > 0.55;
        for (var i = 0; i < track.Length; i++)
        {
            var y = PortableMath.SoftClip(track[i] * gain);
            if (secondStage)
                y = PortableMath.SoftClip(2.5f * y);
            track[i] = y;
        }
        // Speaker cabinet: nothing much above 5 kHz; high gain amps get the scooped mids.
        Biquad.LowPass(_cabinetHz, 0.9, _sampleRate).Process(track);
        Biquad.LowPass(_cabinetHz * 1.6, 0.7, _sampleRate).Process(track);
        if (_drive > 0.6)
            Biquad.Peaking(650, 0.8, -5, _sampleRate).Process(track);
        Biquad.Peaking(2200, 1, 3 * _brightness, _sampleRate).Process(track);
    }
}
