using CudaGenre.Engine.Cpu;
using CudaGenre.Engine.Graph;

namespace CudaGenre.Engine;

/// <summary>One prepared forward pass for one batch size: its memory, its steps, its threads or stream. One caller at a time.</summary>
internal interface IExecutionPlan : IDisposable
{
    /// <summary>The batch size it was made for.</summary>
    int BatchSize { get; }

    /// <summary>Runs the forward pass: NCHW input in (BatchSize × C·H·W floats), logits out (BatchSize × classes).</summary>
    void Run(ReadOnlySpan<float> input, Span<float> logits);

    /// <summary>What runs, step by step, and what was measured to choose it (one line each).</summary>
    IReadOnlyList<string> Describe();
}

/// <summary>A backend's form of one model (weights prepared once), making execution plans; shared by a session's plans.</summary>
internal interface IModelBackend : IDisposable
{
    /// <summary>Makes the plan for <paramref name="batchSize"/> (memory planned, algorithms chosen).</summary>
    IExecutionPlan CreatePlan(int batchSize);
}

/// <summary>The CPU backend: weights packed once (<see cref="CpuWeights"/>), a <see cref="CpuPlan"/> per batch size.</summary>
internal sealed class CpuBackend(FusedGraph graph, int threads) : IModelBackend
{
    private readonly CpuWeights _weights = new(graph);

    public IExecutionPlan CreatePlan(int batchSize) => new CpuPlan(graph, _weights, batchSize, threads);

    public void Dispose()
    {
    }
}
