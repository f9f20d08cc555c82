namespace CudaGenre.Serving;

/// <summary>The queue is full: the request was refused at once and nothing was queued (HTTP 429, gRPC RESOURCE_EXHAUSTED).</summary>
public sealed class QueueFullException(string message, TimeSpan retryAfter) : Exception(message)
{
    /// <summary>A suggested wait before trying again.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>The request's deadline passed before its batch started; it was dropped from the queue (HTTP 504, gRPC DEADLINE_EXCEEDED).</summary>
public sealed class DeadlineExceededException(string message) : Exception(message);

/// <summary>The queue is stopping (the server is shutting down) and takes no new requests (HTTP 503, gRPC UNAVAILABLE).</summary>
public sealed class QueueStoppedException(string message) : Exception(message);

/// <summary>The model failed while running the batch this request was in (HTTP 500, gRPC INTERNAL).</summary>
public sealed class BatchFailedException(string message, Exception inner) : Exception(message, inner);
