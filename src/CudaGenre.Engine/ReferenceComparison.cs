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
        if (session.Manifest is not null)
        {
            throw new ArgumentException($"{session.Describe()} is an ensemble: it is checked against an ensemble reference (EnsembleReference), not one model's bundle.");
        }
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
        return Compare(logits, bundle.Logits, bundle.Count, classes);
    }

    /// <summary>
    /// Checks an ensemble against its reference: each member's bundle through that member's session, and every item through
    /// the ensemble (one preprocessed input per member, <see cref="InferenceSession.Run(IReadOnlyList{ReadOnlyMemory{float}}, int, Span{float})"/>)
    /// against the trainer's combined logits.
    /// </summary>
    /// <exception cref="ArgumentException">The session is not an ensemble, or the reference belongs to another one (member count, architecture, input, classes).</exception>
    public static EnsembleComparison Run(InferenceSession session, EnsembleReference reference, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(reference);
        if (session.Manifest is null)
            throw new ArgumentException($"{session.Describe()} is a single model: it is checked against a reference bundle, not an ensemble reference.");
        var members = session.Members;
        if (reference.Members.Count != members.Count)
            throw new ArgumentException($"The ensemble reference holds {reference.Members.Count} member bundles; the ensemble has {members.Count} members.");
        var perMember = new ReferenceComparison[members.Count];
        for (var m = 0; m < members.Count; m++)
        {
            if (reference.Members[m].SpecDifference(members[m].Spec) is { } difference)
                throw new ArgumentException($"Member {m}'s reference bundle belongs to another model: {difference}.");
            perMember[m] = Run(members[m], reference.Members[m], batchSize);
        }

        var classes = session.ClassCount;
        var count = reference.Count;
        var logits = new float[count * classes];
        batchSize = Math.Clamp(batchSize, 1, count);
        var inputs = new ReadOnlyMemory<float>[members.Count];
        for (var start = 0; start < count; start += batchSize)
        {
            var n = Math.Min(batchSize, count - start);
            for (var m = 0; m < members.Count; m++)
                inputs[m] = reference.Members[m].InputMemory.Slice(start * members[m].InputLength, n * members[m].InputLength);
            session.Run(inputs, n, logits.AsSpan(start * classes, n * classes));
        }
        return new EnsembleComparison(Compare(logits, reference.Logits, count, classes), perMember);
    }

    /// <summary>The engine's <paramref name="logits"/> against the <paramref name="expected"/> ones.</summary>
    private static ReferenceComparison Compare(float[] logits, ReadOnlySpan<float> expected, int count, int classes)
    {
        double diff = 0, norm = 0, maxAbs = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            var d = Math.Abs(logits[i] - (double)expected[i]);
            diff += d * d;
            norm += (double)expected[i] * expected[i];
            maxAbs = Math.Max(maxAbs, d);
        }
        var agreements = 0;
        for (var i = 0; i < count; i++)
        {
            if (Classification.ArgMax(logits.AsSpan(i * classes, classes)) == Classification.ArgMax(expected.Slice(i * classes, classes)))
                agreements++;
        }
        return new ReferenceComparison(count, Math.Sqrt(diff / Math.Max(norm, double.Epsilon)), maxAbs, agreements, logits);
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

/// <summary>An ensemble against its reference: the combined logits, and each member against its own bundle.</summary>
/// <param name="Combined">The ensemble's logits against the trainer's combined logits.</param>
/// <param name="Members">Each member's logits against its bundle, in member order.</param>
public sealed record EnsembleComparison(ReferenceComparison Combined, IReadOnlyList<ReferenceComparison> Members)
{
    /// <summary>Whether the combination and every member met the FP32 contract (<see cref="ReferenceComparison.Passes"/>).</summary>
    public bool Passes(double tolerance = ReferenceComparison.Fp32Tolerance) => Combined.Passes(tolerance) && Members.All(m => m.Passes(tolerance));

    /// <summary>Whether the combination and every member met the reduced-precision contract (<see cref="ReferenceComparison.PassesReducedPrecision"/>).</summary>
    public bool PassesReducedPrecision(double? tolerance = null) => Combined.PassesReducedPrecision(tolerance) && Members.All(m => m.PassesReducedPrecision(tolerance));
}
