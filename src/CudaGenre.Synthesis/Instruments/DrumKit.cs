using CudaGenre.Core;
using CudaGenre.Synthesis.Effects;

namespace CudaGenre.Synthesis.Instruments;

/// <summary>
/// A drum kit as a sampler: each piece is synthesized once per clip (two slightly different takes, used in
/// turn so repeated hits are not identical), then hits are mixed in at their velocity. Kick and toms are
/// pitch-swept sines, the snare is shell tones plus filtered noise, hats and cymbals are inharmonic
/// square-wave clusters plus noise through a high-pass, as in analogue drum machines.
/// </summary>
internal sealed class DrumKit
{
    private const int Takes = 2;

    // Inharmonic oscillator frequencies of the TR-808 cymbal circuit, scaled per kit.
    private static readonly double[] MetalRatios = [205.3, 304.4, 369.6, 522.7, 540.0, 800.0];

    private readonly int _sampleRate;
    private readonly Dictionary<DrumVoice, float[][]> _samples = [];
    private readonly float[][] _toms;
    private readonly int[] _nextTake = new int[Enum.GetValues<DrumVoice>().Length];

    public DrumKit(int sampleRate, DrumKitStyle style, SeededRandom random)
    {
        _sampleRate = sampleRate;
        var kickHz = style.KickHz.Draw(random);
        var kickSweep = style.KickSweep.Draw(random);
        var kickDecay = style.KickDecay.Draw(random);
        var kickClick = style.KickClick.Draw(random);
        var snareHz = style.SnareHz.Draw(random);
        var snareNoise = style.SnareNoise.Draw(random);
        var snareDecay = style.SnareDecay.Draw(random);
        var brightness = style.CymbalBrightnessHz.Draw(random);
        var hatDecay = style.HatDecay.Draw(random);
        var cymbalDecay = style.CymbalDecay.Draw(random);
        var snareGain = PortableMath.DbToGain(style.SnareDb.Draw(random));
        var hatGain = PortableMath.DbToGain(style.HatDb.Draw(random));
        var cymbalGain = PortableMath.DbToGain(style.CymbalDb.Draw(random));
        var metalScale = random.Uniform(0.9, 1.6);

        for (var take = 0; take < Takes; take++)
        {
            var t = random.Uniform(0.98, 1.02);
            Add(DrumVoice.Kick, Scale(Kick(kickHz * t, kickSweep, kickDecay, kickClick, random), 1));
            Add(DrumVoice.Snare, Scale(Snare(snareHz * t, snareNoise, snareDecay, random), snareGain));
            Add(DrumVoice.Rim, Scale(Rim(t, random), snareGain * 0.8));
            Add(DrumVoice.Clap, Scale(Clap(random), snareGain));
            Add(DrumVoice.ClosedHat, Scale(Metal(brightness, hatDecay, metalScale * t, 0.5, random), hatGain));
            Add(DrumVoice.PedalHat, Scale(Metal(brightness * 0.7, 0.045, metalScale * t, 0.3, random), hatGain * 0.7));
            Add(DrumVoice.OpenHat, Scale(Metal(brightness, (hatDecay * 6) + 0.15, metalScale * t, 0.5, random), hatGain));
            Add(DrumVoice.Ride, Scale(Ride(brightness, cymbalDecay, metalScale * t, random), cymbalGain));
            Add(DrumVoice.Crash, Scale(Crash(brightness, cymbalDecay * 1.3, metalScale * t, random), cymbalGain * 1.4));
            Add(DrumVoice.BrushSweep, Scale(Brush(0.07, 0.28, random), snareGain * 0.5));
            Add(DrumVoice.BrushTap, Scale(Brush(0.004, 0.12, random), snareGain * 0.8));
        }
        var tomHz = random.Uniform(90, 130);
        _toms = [.. Enumerable.Range(0, 3).Select(i => Scale(Kick(tomHz * PortableMath.Exp2(i * 0.45), 1.5, 0.45, 0.1, random), 0.7))];
    }

    /// <summary>
    /// The RMS of a steady kick on every beat at full velocity: the kit's loudness yardstick, so that a
    /// sparse, soft groove (jazz feathering under a ride) comes out quieter than a pounding one.
    /// </summary>
    public double ReferenceRms(double secondsPerBeat)
    {
        var kick = _samples[DrumVoice.Kick][0];
        var energy = 0.0;
        foreach (var s in kick)
            energy += s * (double)s;
        return Math.Sqrt(energy / Math.Max(kick.Length, secondsPerBeat * _sampleRate));
    }

    /// <summary>Mixes one hit into <paramref name="track"/> at <paramref name="time"/> seconds (variant picks the tom).</summary>
    public void Play(DrumVoice voice, double time, double velocity, float[] track, int variant = 0)
    {
        float[] sample;
        if (voice == DrumVoice.Tom)
        {
            sample = _toms[Math.Clamp(variant, 0, _toms.Length - 1)];
        }
        else
        {
            var takes = _samples[voice];
            sample = takes[_nextTake[(int)voice]++ % takes.Length];
        }
        var first = (int)Math.Round(time * _sampleRate);
        // Loudness follows velocity more than linearly, as a harder stroke is also a brighter one.
        var gain = (float)(velocity * velocity);
        var start = Math.Max(0, -first);
        var end = Math.Min(sample.Length, track.Length - first);
        for (var i = start; i < end; i++)
            track[first + i] += gain * sample[i];
    }

    private void Add(DrumVoice voice, float[] take)
    {
        if (!_samples.TryGetValue(voice, out var takes))
            _samples[voice] = takes = new float[Takes][];
        var slot = Array.IndexOf(takes, null);
        takes[slot] = take;
    }

    private static float[] Scale(float[] sample, double gain)
    {
        var g = (float)gain;
        for (var i = 0; i < sample.Length; i++)
            sample[i] *= g;
        return sample;
    }

    private float[] Kick(double hz, double sweep, double decay, double click, SeededRandom random)
    {
        var length = (int)(decay * _sampleRate);
        var sample = new float[length];
        var noise = new NoiseSource(random);
        var pitchDrop = PortableMath.DecayPerSample(random.Uniform(0.03, 0.07), _sampleRate);
        var ampDecay = PortableMath.DecayPerSample(decay, _sampleRate);
        var sine = Wavetable.Sine;
        var clickSamples = (int)(0.004 * _sampleRate);
        var hp = Biquad.HighPass(2500, 0.7, _sampleRate);
        var sweepAmount = sweep - 1;
        var phase = 0.0;
        var amp = 1.0;
        for (var n = 0; n < length; n++)
        {
            var v = Wavetable.Read(sine, phase);
            var c = n < clickSamples ? click * hp.Process(noise.Next()) * (1 - ((double)n / clickSamples)) : 0;
            // A little saturation adds the harmonics that make a kick audible above 100 Hz.
            sample[n] = PortableMath.SoftClip((float)((amp * v * 1.3) + (c * 2)));
            phase += hz * (1 + sweepAmount) / _sampleRate;
            if (phase >= 1)
                phase -= 1;
            sweepAmount *= pitchDrop;
            amp *= ampDecay;
        }
        return sample;
    }

    private float[] Snare(double hz, double noiseShare, double decay, SeededRandom random)
    {
        var length = (int)(decay * _sampleRate);
        var sample = new float[length];
        var noise = new NoiseSource(random);
        var wires = Biquad.BandPass(random.Uniform(3000, 6000), 0.6, _sampleRate);
        var body = Biquad.HighPass(1200, 0.7, _sampleRate);
        var toneDecay = PortableMath.DecayPerSample(Math.Min(decay, 0.12), _sampleRate);
        var noiseDecay = PortableMath.DecayPerSample(decay, _sampleRate);
        var sine = Wavetable.Sine;
        double p1 = 0, p2 = 0, toneAmp = 1 - noiseShare, noiseAmp = noiseShare * 1.6;
        for (var n = 0; n < length; n++)
        {
            var w = noise.Next();
            var tone = Wavetable.Read(sine, p1) + (0.6 * Wavetable.Read(sine, p2));
            var rattle = (0.6 * wires.Process(w)) + (0.5 * body.Process(w));
            sample[n] = (float)((toneAmp * tone) + (noiseAmp * rattle));
            p1 += hz / _sampleRate;
            p2 += hz * 1.47 / _sampleRate;
            p1 -= Math.Floor(p1);
            p2 -= Math.Floor(p2);
            toneAmp *= toneDecay;
            noiseAmp *= noiseDecay;
        }
        return sample;
    }

    private float[] Rim(double tune, SeededRandom random)
    {
        var length = (int)(0.06 * _sampleRate);
        var sample = new float[length];
        var noise = new NoiseSource(random);
        var decay = PortableMath.DecayPerSample(0.05, _sampleRate);
        var sine = Wavetable.Sine;
        double p1 = 0, p2 = 0, amp = 1;
        for (var n = 0; n < length; n++)
        {
            var v = Wavetable.Read(sine, p1) + (0.7 * Wavetable.Read(sine, p2)) + (0.3 * noise.Next());
            sample[n] = (float)(amp * v * 0.8);
            p1 += 820 * tune / _sampleRate;
            p2 += 1720 * tune / _sampleRate;
            p1 -= Math.Floor(p1);
            p2 -= Math.Floor(p2);
            amp *= decay;
        }
        return sample;
    }

    private float[] Clap(SeededRandom random)
    {
        var length = (int)(0.25 * _sampleRate);
        var sample = new float[length];
        var noise = new NoiseSource(random);
        var band = Biquad.BandPass(random.Uniform(1000, 1600), 1.2, _sampleRate);
        var burst = (int)(0.01 * _sampleRate);
        var tail = PortableMath.DecayPerSample(random.Uniform(0.12, 0.25), _sampleRate);
        var amp = 1.0;
        for (var n = 0; n < length; n++)
        {
            // Three quick slaps, then the room.
            var env = n < 3 * burst ? 1 - ((double)(n % burst) / burst) : amp;
            if (n >= 3 * burst)
                amp *= tail;
            sample[n] = (float)(env * band.Process(noise.Next()) * 3);
        }
        return sample;
    }

    private float[] Metal(double brightnessHz, double decay, double scale, double noiseShare, SeededRandom random)
    {
        var length = (int)(Math.Max(decay, 0.02) * _sampleRate);
        var sample = new float[length];
        var noise = new NoiseSource(random);
        var hp1 = Biquad.HighPass(brightnessHz, 0.7, _sampleRate);
        var hp2 = Biquad.HighPass(brightnessHz, 0.7, _sampleRate);
        var ampDecay = PortableMath.DecayPerSample(decay, _sampleRate);
        var phases = new double[MetalRatios.Length];
        var incs = MetalRatios.Select(r => r * scale / _sampleRate).ToArray();
        var amp = 1.0;
        for (var n = 0; n < length; n++)
        {
            var squares = 0.0;
            for (var k = 0; k < phases.Length; k++)
            {
                squares += phases[k] < 0.5 ? 1 : -1;
                phases[k] += incs[k];
                if (phases[k] >= 1)
                    phases[k] -= 1;
            }
            var x = ((1 - noiseShare) * squares / 3) + (noiseShare * noise.Next() * 2);
            sample[n] = (float)(amp * hp2.Process(hp1.Process(x)));
            amp *= ampDecay;
        }
        return sample;
    }

    private float[] Ride(double brightnessHz, double decay, double scale, SeededRandom random)
    {
        var body = Metal(brightnessHz * 0.6, decay, scale * 1.3, 0.35, random);
        // The "ping" of the stick on the bow: a short bell tone.
        var sine = Wavetable.Sine;
        var bellHz = random.Uniform(500, 900);
        var bellDecay = PortableMath.DecayPerSample(0.4, _sampleRate);
        double phase = 0, amp = 0.25;
        for (var n = 0; n < body.Length; n++)
        {
            body[n] = (body[n] * 0.6f) + (float)(amp * Wavetable.Read(sine, phase));
            phase += bellHz / _sampleRate;
            phase -= Math.Floor(phase);
            amp *= bellDecay;
        }
        return body;
    }

    private float[] Crash(double brightnessHz, double decay, double scale, SeededRandom random)
        => Metal(brightnessHz * 0.45, decay, scale * 1.7, 0.75, random);

    private float[] Brush(double attackSeconds, double decaySeconds, SeededRandom random)
    {
        var length = (int)((attackSeconds + decaySeconds) * _sampleRate);
        var sample = new float[length];
        var noise = new NoiseSource(random);
        var band = Biquad.BandPass(random.Uniform(2500, 5000), 0.5, _sampleRate);
        var attack = Math.Max(1, (int)(attackSeconds * _sampleRate));
        var decay = PortableMath.DecayPerSample(decaySeconds, _sampleRate);
        var amp = 1.0;
        for (var n = 0; n < length; n++)
        {
            var env = n < attack ? (double)n / attack : amp;
            if (n >= attack)
                amp *= decay;
            sample[n] = (float)(env * band.Process(noise.Next()) * 2);
        }
        return sample;
    }
}
