using CudaGenre.Core.Models;

namespace CudaGenre.Engine;

/// <summary>
/// The engine's logits against the trainer's for the inputs of a reference bundle: the numerics contract
/// (<c>docs/DESIGN.md</c>) asks for relative L2 error ≤ 1e-4 and the same top-1 class in FP32; in TF32, FP16
/// and BF16, for finite logits and the FP32 top-1 class on at least 99.5 % of the inputs.
/// </summary>
/// <param name="Count">Inputs compared.</param>
/// <param name="RelativeL2Error">‖engine − trainer‖₂ / ‖trainer‖₂ over all logits, in double.</param>
/// <param name="MaxAbsError">Largest absolute difference of one logit.</param>
/// <param name="Top1Agreements">Inputs whose top-1 class is the trainer's.</param>
/// <param name="Logits">The engine's logits, N × classes.</param>
public sealed record ReferenceComparison(int Count, double RelativeL2Error, double MaxAbsError, int Top1Agreements, float[] Logits)
{
    /// <summary>The FP32 tolerance of the numerics contract.</summary>
    public const double Fp32Tolerance = 1e-4;

    /// <summary>Runs every input of the bundle through the session and compares.</summary>
    /// <exception cref="ArgumentException">The bundle was made for another model (architecture, input size, normalization or classes differ).</exception>
    public static ReferenceComparison Run(InferenceSession session, ReferenceBundle bundle, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(bundle);
        if (bundle.SpecDifference(session.Spec) is { } difference)
        {
            throw new ArgumentException($"The reference bundle belongs to another model: {difference}.");
        }

        var classes = session.ClassCount;
        var logits = new float[bundle.Count * classes];
        batchSize = Math.Clamp(batchSize, 1, bundle.Count);
        for (var start = 0; start < bundle.Count; start += batchSize)
        {
            var n = Math.Min(batchSize, bundle.Count - start);
            session.Run(bundle.Inputs.Slice(start * session.InputLength, n * session.InputLength), n, logits.AsSpan(start * classes, n * classes));
        }

        double diff = 0, norm = 0, maxAbs = 0;
        var expected = bundle.Logits;
        for (var i = 0; i < logits.Length; i++)
        {
            var d = Math.Abs(logits[i] - (double)expected[i]);
            diff += d * d;
            norm += (double)expected[i] * expected[i];
            maxAbs = Math.Max(maxAbs, d);
        }
        var agreements = 0;
        for (var i = 0; i < bundle.Count; i++)
        {
            if (Classification.ArgMax(logits.AsSpan(i * classes, classes)) == Classification.ArgMax(bundle.LogitsOf(i)))
                agreements++;
        }
        return new ReferenceComparison(bundle.Count, Math.Sqrt(diff / Math.Max(norm, double.Epsilon)), maxAbs, agreements, logits);
    }

    /// <summary>The share of inputs whose top-1 class a reduced precision must keep.</summary>
    public const double ReducedPrecisionTop1 = 0.995;

    /// <summary>Whether the engine met the FP32 contract: error within <paramref name="tolerance"/> and every top-1 the same.</summary>
    public bool Passes(double tolerance = Fp32Tolerance) => RelativeL2Error <= tolerance && Top1Agreements == Count;

    /// <summary>
    /// Whether a reduced precision met its contract: every logit finite, the top-1 class kept on at least
    /// <see cref="ReducedPrecisionTop1"/> of the inputs, and the error within <paramref name="tolerance"/> when one is given.
    /// </summary>
    public bool PassesReducedPrecision(double? tolerance = null) =>
        Logits.All(float.IsFinite) && Top1Agreements >= Math.Ceiling(ReducedPrecisionTop1 * Count) && (tolerance is not { } limit || RelativeL2Error <= limit);
}
