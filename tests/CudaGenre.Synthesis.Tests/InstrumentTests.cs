using CudaGenre.Core;
using CudaGenre.Synthesis.Effects;
using CudaGenre.Synthesis.Instruments;

namespace CudaGenre.Synthesis.Tests;

public class InstrumentTests
{
    private const int SampleRate = 22050;

    public static TheoryData<string> PitchedInstruments =>
        ["acoustic guitar", "twang guitar", "piano", "electric piano", "strings", "electric bass", "upright bass", "flute", "singer"];

    private static IInstrument Create(string name, SeededRandom random) => name switch
    {
        "acoustic guitar" => new PluckedString(SampleRate, random, 0.6, StringKind.Acoustic),
        "twang guitar" => new PluckedString(SampleRate, random, 0.9, StringKind.Twang),
        "piano" => new Piano(SampleRate, random, 0.5, electric: false),
        "electric piano" => new Piano(SampleRate, random, 0.5, electric: true),
        "strings" => new Ensemble(SampleRate, random, 0.5, EnsembleKind.Strings),
        "electric bass" => new BassGuitar(SampleRate, random, 0.5, BassKind.Electric),
        "upright bass" => new BassGuitar(SampleRate, random, 0.3, BassKind.Upright),
        "flute" => new LeadVoice(SampleRate, random, LeadInstrument.Flute, 0.5, 0),
        _ => new LeadVoice(SampleRate, random, LeadInstrument.Singer, 0.5, 0),
    };

    [Theory]
    [MemberData(nameof(PitchedInstruments))]
    public void Instruments_SoundAtThePitchTheyArePlayed(string name)
    {
        // Karplus–Strong tuning needs the fractional delay, wavetables the right octave table: both are
        // checked by measuring the period of a held A3 (220 Hz), or A1 (55 Hz) for the basses.
        var bass = name.Contains("bass", StringComparison.Ordinal);
        var pitch = bass ? 33 : 57;
        var expectedHz = PortableMath.MidiToHz(pitch);
        var track = new float[SampleRate];
        var instrument = Create(name, new SeededRandom(3));
        instrument.Play(new Note(0, 0.9, pitch, 0.8), track);
        instrument.Finish(track);
        var measured = FundamentalHz(track.AsSpan(SampleRate / 4, SampleRate / 2), bass ? 30 : 100, bass ? 120 : 500);
        Assert.InRange(measured, expectedHz * 0.99, expectedHz * 1.01);
    }

    [Fact]
    public void Wavetable_LeavesOutHarmonicsAboveNyquist()
    {
        // Harmonics of a sawtooth at 3 kHz above the 3rd would alias at 22 050 Hz: the table must not have them.
        var table = new Wavetable(SampleRate, k => 1.0 / k).For(3000);
        var size = Wavetable.Size;
        double Harmonic(int k)
        {
            double re = 0, im = 0;
            for (var n = 0; n < size; n++)
            {
                re += table[n] * Math.Cos(2 * Math.PI * k * n / size);
                im += table[n] * Math.Sin(2 * Math.PI * k * n / size);
            }
            return Math.Sqrt((re * re) + (im * im)) / size;
        }
        Assert.True(Harmonic(1) > 0.1);
        for (var k = 4; k < 12; k++)
            Assert.True(Harmonic(k) < 1e-6, $"harmonic {k} present at {Harmonic(k)}");
        // A low note keeps its many harmonics.
        var low = new Wavetable(SampleRate, k => 1.0 / k).For(55);
        Assert.NotEqual(table[100], low[100]);
    }

    [Fact]
    public void DrumKit_PlaysEveryVoiceAudibly_AndSilentOutsideItsHits()
    {
        var kit = new DrumKit(SampleRate, DrumKitStyle.Rock, new SeededRandom(1));
        foreach (var voice in Enum.GetValues<DrumVoice>())
        {
            var track = new float[SampleRate];
            kit.Play(voice, 0.5, 1, track);
            Assert.True(Dynamics.Peak(track.AsSpan(SampleRate / 2)) > 0.01, $"{voice} is silent");
            Assert.Equal(0, Dynamics.Peak(track.AsSpan(0, SampleRate / 2)));
        }
    }

    [Fact]
    public void Biquad_LowPass_PassesLowAndStopsHighFrequencies()
    {
        double Gain(double hz)
        {
            var signal = new float[SampleRate];
            for (var i = 0; i < signal.Length; i++)
                signal[i] = (float)Math.Sin(2 * Math.PI * hz * i / SampleRate);
            Biquad.LowPass(1000, 0.707, SampleRate).Process(signal);
            return Dynamics.Rms(signal.AsSpan(SampleRate / 2)) / Math.Sqrt(0.5);
        }
        Assert.InRange(Gain(100), 0.97, 1.03);
        Assert.InRange(Gain(1000), 0.65, 0.76); // −3 dB at the corner
        Assert.InRange(Gain(8000), 0, 0.03);
    }

    /// <summary>Fundamental frequency from the first strong autocorrelation peak in the given range.</summary>
    private static double FundamentalHz(ReadOnlySpan<float> x, double minHz, double maxHz)
    {
        var minLag = (int)(SampleRate / maxHz);
        var maxLag = (int)(SampleRate / minHz);
        var ac = new double[maxLag + 2];
        for (var lag = minLag - 1; lag <= maxLag + 1; lag++)
        {
            double s = 0;
            for (var i = lag; i < x.Length; i++)
                s += x[i] * (double)x[i - lag];
            ac[lag] = s;
        }
        var best = minLag;
        for (var lag = minLag; lag <= maxLag; lag++)
        {
            if (ac[lag] > ac[best])
                best = lag;
        }
        var (a, b, c) = (ac[best - 1], ac[best], ac[best + 1]);
        var offset = 0.5 * (a - c) / (a - (2 * b) + c);
        return SampleRate / (best + offset);
    }
}
