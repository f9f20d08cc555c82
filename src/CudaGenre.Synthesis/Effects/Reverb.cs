namespace CudaGenre.Synthesis.Effects;

/// <summary>
/// A Schroeder–Moorer reverb (as in Freeverb): four damped feedback combs in parallel, then two all-passes.
/// Cheap, dense enough for a room or hall tail on a mono mix.
/// </summary>
internal static class Reverb
{
    private static readonly int[] CombDelays44k = [1116, 1277, 1422, 1557];
    private static readonly int[] AllPassDelays44k = [556, 341];

    /// <summary>
    /// Returns the wet signal for <paramref name="dry"/> with decay time <paramref name="seconds"/> (−60 dB),
    /// <paramref name="damping"/> 0 (bright) to 1 (dark), and a pre-delay.
    /// </summary>
    public static float[] Render(ReadOnlySpan<float> dry, int sampleRate, double seconds, double damping, double preDelaySeconds)
    {
        var wet = new float[dry.Length];
        var scale = sampleRate / 44100.0;
        var preDelay = (int)(preDelaySeconds * sampleRate);
        foreach (var d44 in CombDelays44k)
        {
            var delay = Math.Max(1, (int)(d44 * scale * (seconds > 2 ? 1.5 : 1)));
            // Feedback so that the loop loses 60 dB in the decay time.
            var feedback = (float)PortableMath.Exp(-6.907755 * delay / (seconds * sampleRate));
            var line = new float[delay];
            var damp = (float)damping * 0.6f;
            float low = 0;
            var pos = 0;
            for (var i = 0; i < dry.Length; i++)
            {
                var input = i >= preDelay ? dry[i - preDelay] : 0f;
                var output = line[pos];
                low = (output * (1 - damp)) + (low * damp);
                line[pos] = input + (low * feedback);
                wet[i] += output;
                if (++pos == delay)
                    pos = 0;
            }
        }
        foreach (var d44 in AllPassDelays44k)
        {
            var delay = Math.Max(1, (int)(d44 * scale));
            var line = new float[delay];
            var pos = 0;
            for (var i = 0; i < wet.Length; i++)
            {
                var buffered = line[pos];
                var input = wet[i];
                line[pos] = input + (buffered * 0.5f);
                wet[i] = buffered - input;
                if (++pos == delay)
                    pos = 0;
            }
        }
        for (var i = 0; i < wet.Length; i++)
            wet[i] *= 0.25f;
        return wet;
    }
}
