namespace CudaGenre.Engine;

/// <summary>The result of classifying one input.</summary>
/// <param name="ClassNames">Class names, in the model's order.</param>
/// <param name="Logits">Raw scores per class.</param>
/// <param name="Probabilities">Softmax of the logits, per class.</param>
public sealed record Classification(IReadOnlyList<string> ClassNames, float[] Logits, float[] Probabilities)
{
    /// <summary>Index of the most probable class (the first one on a tie, like <c>argmax</c>).</summary>
    public int Index => ArgMax(Logits);

    /// <summary>Name of the most probable class.</summary>
    public string Label => ClassNames[Index];

    /// <summary>The <paramref name="k"/> most probable classes, most probable first.</summary>
    public IReadOnlyList<(string Label, float Probability)> Top(int k) =>
        [.. Enumerable.Range(0, Probabilities.Length).OrderByDescending(i => Probabilities[i]).ThenBy(i => i).Take(k).Select(i => (ClassNames[i], Probabilities[i]))];

    /// <summary>The classification of one row of <paramref name="logits"/>: probabilities are its softmax, computed as every session computes them.</summary>
    public static Classification FromLogits(IReadOnlyList<string> classNames, float[] logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        var probabilities = new float[logits.Length];
        Cpu.Softmax.Row(logits, probabilities);
        return new Classification(classNames, logits, probabilities);
    }

    /// <summary>The index of the largest score (the first one on a tie, like <c>argmax</c>).</summary>
    public static int ArgMax(ReadOnlySpan<float> scores)
    {
        var best = 0;
        for (var i = 1; i < scores.Length; i++)
        {
            if (scores[i] > scores[best])
            {
                best = i;
            }
        }
        return best;
    }
}
