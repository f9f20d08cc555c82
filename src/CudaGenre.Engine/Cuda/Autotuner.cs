using System.Globalization;
using CudaGenre.Cuda;
using CudaGenre.Cuda.Driver;

namespace CudaGenre.Engine.Cuda;

/// <summary>
/// A plan's measuring: times candidate step sequences on the plan's stream, reads and records the winners in the
/// session's <see cref="AlgorithmChoices"/> (so that the next process does not time them again), and keeps what it
/// measured for <see cref="IExecutionPlan.Describe"/>. Used only while the plan is made.
/// </summary>
internal sealed class Autotuner(CudaContext context, CudaStream stream, AlgorithmChoices saved, Action<string> log)
{
    /// <summary>What timing one candidate may cost: enough for 3 rounds of 10 calls of a kernel of a few µs.</summary>
    private const double TimingBudgetMs = 5;

    /// <summary>The choices earlier runs measured (and where this plan records its own).</summary>
    public AlgorithmChoices Saved => saved;

    /// <summary>Per depthwise step: our kernels' and cuDNN's measured times and which one runs (empty when not measured).</summary>
    public List<DepthwiseChoice> Depthwise { get; } = [];

    /// <summary>Per separable convolution (depthwise + 1×1): the two steps' and the fused kernel's times and which one runs.</summary>
    public List<DepthwiseChoice> Separable { get; } = [];

    public void Log(string message) => log(message);

    /// <summary>
    /// Milliseconds per call of candidate <paramref name="name"/> on this plan's stream: an untimed call, a timed
    /// one, then the best of up to 3 rounds of up to 10 calls, as many as fit <see cref="TimingBudgetMs"/> by the
    /// timed call (at least one round of one), so that planning a large batch stays bounded. A candidate that fails
    /// to launch here (too many registers for this device, say) is logged and timed as +∞, so another one runs; a
    /// fault that breaks the context still ends the plan, with its error.
    /// </summary>
    public double Time(string name, Action work)
    {
        using var start = context.CreateEvent();
        using var end = context.CreateEvent();
        try
        {
            work();
            stream.Synchronize();
        }
        catch (CudaException e)
        {
            log($"CUDA: the candidate '{name}' cannot run here ({e.Message}); another one is used.");
            return double.PositiveInfinity;
        }
        var best = Timed(1);
        var (rounds, calls) = TimingRounds(best, TimingBudgetMs);
        for (var round = 0; round < rounds; round++)
            best = Math.Min(best, Timed(calls));
        return best;

        double Timed(int count)
        {
            start.Record(stream);
            for (var i = 0; i < count; i++)
                work();
            end.Record(stream);
            end.Synchronize();
            return CudaEvent.ElapsedMilliseconds(start, end) / count;
        }
    }

    /// <summary>Rounds and calls per round that time a candidate of <paramref name="callMs"/> within <paramref name="budgetMs"/>: 3 × 10 at most, 1 × 1 at least.</summary>
    internal static (int Rounds, int Calls) TimingRounds(double callMs, double budgetMs)
    {
        var fits = callMs > 0 ? budgetMs / callMs : double.PositiveInfinity;
        return fits >= 30 ? (3, 10) : fits >= 3 ? (3, (int)(fits / 3)) : (1, 1);
    }

    /// <summary>A plan made from a saved choice, or null when cuDNN no longer accepts it (then the caller measures).</summary>
    public T? TryReuse<T>(Func<T> create) where T : class
    {
        try
        {
            return create();
        }
        catch (CudaException e)
        {
            log($"CUDA: a saved algorithm choice no longer works ({e.Message}); measuring again.");
            return null;
        }
    }
}

/// <summary>One depthwise (or separable) step's measured choice among its candidates.</summary>
/// <param name="Module">The step.</param>
/// <param name="InputShape">Its input, NCHW dims.</param>
/// <param name="Stride">1 or 2.</param>
/// <param name="Times">Each candidate's ms per call (cuDNN's includes the ReLU and bias passes it needs); empty when an earlier run's choice was used.</param>
/// <param name="Chosen">The candidate that runs.</param>
/// <param name="Note">cuDNN's algorithm, or why it was not a candidate.</param>
internal sealed record DepthwiseChoice(string Module, string InputShape, int Stride, IReadOnlyList<(string Name, double Ms)> Times, string Chosen, string Note)
{
    /// <summary>One line for <see cref="InferenceSession.DescribePlan"/>: "KIND module shape stride s: a 0.0123 ms, b … → chosen (note)".</summary>
    public string Describe(string kind) => string.Create(CultureInfo.InvariantCulture,
        $"{kind} {Module} {InputShape} stride {Stride}: {(Times.Count == 0 ? "not timed" : string.Join(", ", Times.Select(t => $"{t.Name} {t.Ms:0.0000} ms")))} → {Chosen} ({Note})");
}
