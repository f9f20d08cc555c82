namespace CudaGenre.Engine.Cpu;

/// <summary>Row-wise softmax, numerically stable (the row maximum is subtracted first); exp and sum in double.</summary>
internal static class Softmax
{
    /// <summary>Writes softmax(<paramref name="logits"/>) to <paramref name="probabilities"/> (same length, one row).</summary>
    public static void Row(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        if (logits.Length != probabilities.Length)
        {
            throw new ArgumentException($"softmax needs equal lengths; got {logits.Length} logits and {probabilities.Length} outputs.", nameof(probabilities));
        }
        var max = float.NegativeInfinity;
        foreach (var v in logits)
        {
            max = MathF.Max(max, v);
        }
        double sum = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            sum += Math.Exp(logits[i] - max);
        }
        for (var i = 0; i < logits.Length; i++)
        {
            probabilities[i] = (float)(Math.Exp(logits[i] - max) / sum);
        }
    }
}
