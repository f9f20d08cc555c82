using CudaGenre.Engine;

namespace CudaGenre.Serving;

/// <summary>What an <see cref="InferenceQueue"/> runs: a function from a batch of fixed-size inputs to fixed-size outputs.</summary>
public interface IBatchModel
{
    /// <summary>Floats per input item.</summary>
    int InputLength { get; }

    /// <summary>Floats per output item.</summary>
    int OutputLength { get; }

    /// <summary>Runs <paramref name="batchSize"/> items; called from one thread per instance, never with a batch over the queue's maximum.</summary>
    void Run(ReadOnlySpan<float> inputs, int batchSize, Span<float> outputs);
}

/// <summary>An <see cref="InferenceSession"/> as a batch model: inputs NCHW, outputs the logits.</summary>
/// <param name="session">The session (not owned).</param>
public sealed class SessionBatchModel(InferenceSession session) : IBatchModel
{
    /// <inheritdoc/>
    public int InputLength => session.InputLength;

    /// <inheritdoc/>
    public int OutputLength => session.ClassCount;

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<float> inputs, int batchSize, Span<float> outputs) => session.Run(inputs, batchSize, outputs);
}
