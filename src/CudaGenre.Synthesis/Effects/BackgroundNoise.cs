using CudaGenre.Core;

namespace CudaGenre.Synthesis.Effects;

/// <summary>The recording's noise floor: coloured noise, and optionally vinyl crackle.</summary>
internal static class BackgroundNoise
{
    /// <summary>Fills <paramref name="buffer"/> with noise of the given colour, RMS about 1.</summary>
    public static void Render(Span<float> buffer, NoiseColor color, SeededRandom random)
    {
        var noise = new NoiseSource(random);
        switch (color)
        {
            case NoiseColor.White:
                for (var i = 0; i < buffer.Length; i++)
                    buffer[i] = noise.Next() * 1.732f;
                break;
            case NoiseColor.Pink:
                // Paul Kellet's economy pink filter (−3 dB/octave within ±0.5 dB).
                double b0 = 0, b1 = 0, b2 = 0;
                for (var i = 0; i < buffer.Length; i++)
                {
                    double w = noise.Next();
                    b0 = (0.99765 * b0) + (w * 0.0990460);
                    b1 = (0.96300 * b1) + (w * 0.2965164);
                    b2 = (0.57000 * b2) + (w * 1.0526913);
                    buffer[i] = (float)((b0 + b1 + b2 + (w * 0.1848)) * 1.4);
                }
                break;
            default:
                // Leaky integrator: −6 dB/octave above a few Hz.
                double y = 0;
                for (var i = 0; i < buffer.Length; i++)
                {
                    y = (0.997 * y) + (0.06 * noise.Next());
                    buffer[i] = (float)(y * 1.9);
                }
                break;
        }
    }

    /// <summary>Adds vinyl crackle: sparse clicks of random size, roughly <paramref name="perSecond"/> a second.</summary>
    public static void AddCrackle(Span<float> buffer, int sampleRate, double perSecond, float level, SeededRandom random)
    {
        var p = perSecond / sampleRate;
        var noise = new NoiseSource(random);
        for (var i = 0; i < buffer.Length; i++)
        {
            if (random.NextDouble() >= p)
                continue;
            var size = (float)(level * random.Uniform(0.2, 1) * (random.Chance(0.1) ? 3 : 1));
            var length = Math.Min(buffer.Length - i, 2 + random.NextInt(12));
            for (var j = 0; j < length; j++)
                buffer[i + j] += size * noise.Next() * (1f - ((float)j / length));
        }
    }
}
