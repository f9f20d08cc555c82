namespace CudaGenre.Serving;

/// <summary>How one model's <see cref="InferenceQueue"/> gathers requests into batches and how much it may hold.</summary>
public sealed record BatchingOptions
{
    /// <summary>Most items (images) one <c>Run</c> takes. 1 turns batching off. Default 8.</summary>
    public int MaxBatchSize { get; init; } = 8;

    /// <summary>
    /// How long the oldest queued request may wait for others to join its batch before the batch runs anyway.
    /// Zero runs whatever is queued as soon as an instance is free (requests still gather while one runs). Default 2 ms.
    /// Waits shorter than the timer's resolution (about 1 ms) last that long.
    /// </summary>
    public TimeSpan MaxQueueDelay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// Batch sizes to prefer (as Triton's <c>preferred_batch_size</c>): the largest one that the queue can fill runs at
    /// once; when the delay expires, the largest one that can be filled runs, or everything queued if none can.
    /// Empty (the default): a batch runs when <see cref="MaxBatchSize"/> items are queued or the delay expires.
    /// </summary>
    public IReadOnlyList<int> PreferredBatchSizes { get; init; } = [];

    /// <summary>Most items waiting in the queue; a request that would go over is refused at once (HTTP 429). Default 64.</summary>
    public int MaxQueueSize { get; init; } = 64;

    /// <summary>Batches that may run at the same time (model instances). Default 1.</summary>
    public int Instances { get; init; } = 1;

    /// <summary>Deadline given to a request that brings none: a request not started by then is dropped (HTTP 504). Default 30 s.</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks the values; returns this.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value out of range (the message names it).</exception>
    public BatchingOptions Validate()
    {
        if (MaxBatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), $"MaxBatchSize must be at least 1; got {MaxBatchSize}.");
        if (MaxQueueDelay < TimeSpan.Zero || MaxQueueDelay > TimeSpan.FromSeconds(10))
            throw new ArgumentOutOfRangeException(nameof(MaxQueueDelay), $"MaxQueueDelay must be between 0 and 10 s; got {MaxQueueDelay}.");
        if (MaxQueueSize < MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(MaxQueueSize), $"MaxQueueSize ({MaxQueueSize}) must be at least MaxBatchSize ({MaxBatchSize}).");
        if (Instances < 1 || Instances > 64)
            throw new ArgumentOutOfRangeException(nameof(Instances), $"Instances must be between 1 and 64; got {Instances}.");
        if (DefaultTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(DefaultTimeout), $"DefaultTimeout must be positive; got {DefaultTimeout}.");
        foreach (var size in PreferredBatchSizes)
        {
            if (size < 1 || size > MaxBatchSize)
                throw new ArgumentOutOfRangeException(nameof(PreferredBatchSizes), $"a preferred batch size must be between 1 and MaxBatchSize ({MaxBatchSize}); got {size}.");
        }
        return this;
    }
}
