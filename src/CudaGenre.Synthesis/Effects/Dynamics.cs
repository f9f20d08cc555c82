using CudaGenre.Core;

namespace CudaGenre.Synthesis.Effects;

/// <summary>Level over time: slow swells (crescendo, diminuendo) and mastering compression with saturation.</summary>
internal static class Dynamics
{
    private const int Block = 256;

    /// <summary>
    /// Applies slow crescendos and diminuendos: a smooth random gain curve with a new target every few
    /// seconds, spanning about <paramref name="depthDb"/> dB.
    /// </summary>
    public static void Swell(Span<float> mix, int sampleRate, double depthDb, SeededRandom random)
    {
        if (depthDb <= 0.1)
            return;
        var segment = (int)(random.Uniform(3, 8) * sampleRate);
        var fromDb = random.Uniform(-depthDb, 0);
        for (var start = 0; start < mix.Length; start += segment)
        {
            var toDb = random.Uniform(-depthDb, 0);
            var from = PortableMath.DbToGain(fromDb);
            var ratio = PortableMath.DbToGain((toDb - fromDb) / segment);
            var g = from;
            var end = Math.Min(mix.Length, start + segment);
            for (var i = start; i < end; i++)
            {
                mix[i] *= (float)g;
                g *= ratio;
            }
            fromDb = toDb;
        }
    }

    /// <summary>
    /// Compresses and saturates by <paramref name="amount"/> (0 leaves the mix alone, 1 is a brick-wall
    /// master): a block-RMS compressor whose threshold and ratio follow the amount, then a soft clipper.
    /// </summary>
    public static void Compress(Span<float> mix, double amount)
    {
        if (amount <= 0.01 || mix.Length < Block)
            return;
        var blocks = mix.Length / Block;
        var levelDb = new double[blocks + 1];
        var sumAll = 0.0;
        for (var b = 0; b < blocks; b++)
        {
            var sum = 0.0;
            for (var i = b * Block; i < (b + 1) * Block; i++)
                sum += mix[i] * (double)mix[i];
            sumAll += sum;
            levelDb[b] = 10 * PortableMath.Log((sum / Block) + 1e-12) / 2.302585092994046;
        }
        levelDb[blocks] = levelDb[blocks - 1];
        var overallDb = 10 * PortableMath.Log((sumAll / (blocks * Block)) + 1e-12) / 2.302585092994046;
        var thresholdDb = overallDb + 4 - (8 * amount);
        var slope = 1 - (1 / (1 + (7 * amount)));

        var gains = new double[blocks + 1];
        var env = levelDb[0];
        for (var b = 0; b <= blocks; b++)
        {
            // Fast attack (about 1.5 blocks), slow release (about 10 blocks ≈ 0.1 s).
            env += (levelDb[b] - env) * (levelDb[b] > env ? 0.6 : 0.1);
            gains[b] = env > thresholdDb ? PortableMath.DbToGain((thresholdDb - env) * slope) : 1;
        }
        for (var b = 0; b < blocks; b++)
        {
            var g0 = gains[b];
            var step = (gains[b + 1] - g0) / Block;
            for (var i = 0; i < Block; i++)
                mix[(b * Block) + i] *= (float)(g0 + (step * i));
        }
        for (var i = blocks * Block; i < mix.Length; i++)
            mix[i] *= (float)gains[blocks];

        // Saturation: drive into a soft clipper, as a loud master (or a tape stage) does.
        var peak = Peak(mix);
        if (peak <= 0)
            return;
        var drive = (float)(PortableMath.DbToGain(amount * 9) / peak);
        for (var i = 0; i < mix.Length; i++)
            mix[i] = PortableMath.SoftClip(mix[i] * drive);
    }

    /// <summary>The largest absolute sample.</summary>
    public static float Peak(ReadOnlySpan<float> samples)
    {
        var peak = 0f;
        foreach (var s in samples)
            peak = Math.Max(peak, Math.Abs(s));
        return peak;
    }

    /// <summary>Root-mean-square level.</summary>
    public static double Rms(ReadOnlySpan<float> samples)
    {
        if (samples.IsEmpty)
            return 0;
        var sum = 0.0;
        foreach (var s in samples)
            sum += s * (double)s;
        return Math.Sqrt(sum / samples.Length);
    }
}
