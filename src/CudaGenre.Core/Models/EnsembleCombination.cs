namespace CudaGenre.Core.Models;

/// <summary>
/// How an ensemble combines its members (the trainer and the engine both call this, so that they cannot differ): the
/// weighted mean of the members' softmax probabilities, returned as its logarithm, so that a softmax of the result gives
/// the ensemble's probabilities back and argmax and top-k work on it as on any model's logits.
/// </summary>
/// <remarks>
/// For item b and class c: <c>out[b, c] = log Σₘ (wₘ / W) · softmax(zₘ[b])[c]</c>, W = Σₘ wₘ, computed in double as a
/// log-sum-exp over the members (<c>log(wₘ / W) + zₘ[b, c] − logsumexp(zₘ[b])</c>), so it stays finite however far apart
/// the logits are (a probability that underflows in float would give −∞). Members of weight 0 are left out.
/// </remarks>
public static class EnsembleCombination
{
    /// <summary>Most members one call combines (per-member values live on the stack).</summary>
    public const int MaxMembers = 256;

    /// <summary>Combines <paramref name="weights"/>.Length members' logits into the ensemble's logits. Allocates nothing.</summary>
    /// <param name="memberLogits">Member-major: member m's <paramref name="batch"/> × <paramref name="classes"/> logits start at m × batch × classes.</param>
    /// <param name="weights">Each member's weight: finite, ≥ 0, not all 0.</param>
    /// <param name="batch">Items.</param>
    /// <param name="classes">Classes per item.</param>
    /// <param name="output"><paramref name="batch"/> × <paramref name="classes"/> floats: the log of the weighted mean probability.</param>
    /// <exception cref="ArgumentException">Lengths that do not agree, a bad weight, or a logit that is not finite.</exception>
    public static void Combine(ReadOnlySpan<float> memberLogits, ReadOnlySpan<double> weights, int batch, int classes, Span<float> output)
    {
        var members = weights.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (members < 1 || members > MaxMembers)
            throw new ArgumentException($"{members} members; an ensemble combines 1 to {MaxMembers}.", nameof(weights));
        var block = (long)batch * classes;
        if (memberLogits.Length != members * block)
            throw new ArgumentException($"memberLogits has {memberLogits.Length} floats; {members} members × {batch} items × {classes} classes = {members * block} expected.", nameof(memberLogits));
        if (output.Length != block)
            throw new ArgumentException($"output has room for {output.Length} floats; {batch} items × {classes} classes = {block} expected.", nameof(output));
        var total = 0.0;
        foreach (var w in weights)
        {
            if (!double.IsFinite(w) || w < 0)
                throw new ArgumentException($"weight {w} is not finite and ≥ 0.", nameof(weights));
            total += w;
        }
        if (!(total > 0))
            throw new ArgumentException("every weight is 0.", nameof(weights));
        var bad = memberLogits.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
        if (bad >= 0)
            throw new ArgumentException($"member {bad / block}'s logit {bad % block % classes} of item {bad % block / classes} is {memberLogits[bad]}.", nameof(memberLogits));

        Span<double> logWeight = stackalloc double[members];
        Span<double> logSum = stackalloc double[members];
        for (var m = 0; m < members; m++)
            logWeight[m] = weights[m] > 0 ? Math.Log(weights[m] / total) : double.NegativeInfinity;
        var stride = (int)block;
        for (var b = 0; b < batch; b++)
        {
            for (var m = 0; m < members; m++)
                logSum[m] = weights[m] > 0 ? LogSumExp(memberLogits.Slice(m * stride + b * classes, classes)) : 0;
            for (var c = 0; c < classes; c++)
            {
                var max = double.NegativeInfinity;
                for (var m = 0; m < members; m++)
                {
                    if (weights[m] > 0)
                        max = Math.Max(max, logWeight[m] + memberLogits[m * stride + b * classes + c] - logSum[m]);
                }
                var sum = 0.0;
                for (var m = 0; m < members; m++)
                {
                    if (weights[m] > 0)
                        sum += Math.Exp(logWeight[m] + memberLogits[m * stride + b * classes + c] - logSum[m] - max);
                }
                output[b * classes + c] = (float)(max + Math.Log(sum));
            }
        }
    }

    /// <summary>log Σ exp(x), in double, shifted by the maximum.</summary>
    private static double LogSumExp(ReadOnlySpan<float> x)
    {
        double max = float.MinValue;
        foreach (var v in x)
            max = Math.Max(max, v);
        var sum = 0.0;
        foreach (var v in x)
            sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }
}
