using Prometheus;

namespace CudaGenre.Serving;

/// <summary>
/// The server's Prometheus metrics, on their own registry (so that two servers in one process do not share counts).
/// Triton's names where they mean the same thing (<c>nv_inference_*</c>: counters of requests, inferences, executions,
/// cumulative microseconds, and the pending-request gauge); histograms and the rest as <c>cudagenre_*</c>.
/// </summary>
public sealed class ServingMetrics
{
    private static readonly double[] SecondsBuckets = Histogram.ExponentialBuckets(50e-6, 2, 18); // 50 µs … 6.5 s

    private readonly Counter _success;
    private readonly Counter _failure;
    private readonly Counter _inferences;
    private readonly Counter _executions;
    private readonly Counter _requestMicroseconds;
    private readonly Counter _queueMicroseconds;
    private readonly Counter _computeMicroseconds;
    private readonly Gauge _pending;
    private readonly Gauge _inFlight;
    private readonly Gauge _ready;
    private readonly Histogram _queueSeconds;
    private readonly Histogram _computeSeconds;
    private readonly Histogram _requestSeconds;
    private readonly Histogram _batchSize;
    private readonly Counter _logDropped;

    /// <summary>Creates the metrics on <paramref name="registry"/> (default: a new registry of their own).</summary>
    public ServingMetrics(CollectorRegistry? registry = null)
    {
        Registry = registry ?? Metrics.NewCustomRegistry();
        var f = Metrics.WithCustomRegistry(Registry);
        string[] model = ["model"];
        _success = f.CreateCounter("nv_inference_request_success", "Requests answered with a result.", model);
        _failure = f.CreateCounter("nv_inference_request_failure", "Requests that failed, by reason: REJECTED (queue full), TIMEOUT (deadline passed in the queue), CANCELED (client gone), INVALID (bad request), UNAVAILABLE (stopping or not ready), BACKEND (the model failed).", ["model", "reason"]);
        _inferences = f.CreateCounter("nv_inference_count", "Items (images) inferred.", model);
        _executions = f.CreateCounter("nv_inference_exec_count", "Batches executed.", model);
        _requestMicroseconds = f.CreateCounter("nv_inference_request_duration_us", "Cumulative end-to-end time of successful requests, µs.", model);
        _queueMicroseconds = f.CreateCounter("nv_inference_queue_duration_us", "Cumulative time successful requests waited in the queue, µs.", model);
        _computeMicroseconds = f.CreateCounter("nv_inference_compute_infer_duration_us", "Cumulative model time of the batches successful requests were in, µs.", model);
        _pending = f.CreateGauge("nv_inference_pending_request_count", "Requests waiting in the queue.", model);
        _inFlight = f.CreateGauge("cudagenre_inference_in_flight", "Requests accepted and not yet answered (queued or running).", model);
        _ready = f.CreateGauge("cudagenre_model_ready", "1 when the model has warmed up and takes requests.", model);
        _queueSeconds = f.CreateHistogram("cudagenre_inference_queue_duration_seconds", "Time from enqueue to the start of the request's batch.", new HistogramConfiguration { LabelNames = model, Buckets = SecondsBuckets });
        _computeSeconds = f.CreateHistogram("cudagenre_inference_compute_duration_seconds", "Model time of one batch.", new HistogramConfiguration { LabelNames = model, Buckets = SecondsBuckets });
        _requestSeconds = f.CreateHistogram("cudagenre_inference_request_duration_seconds", "End-to-end time of successful requests, from arrival to the response.", new HistogramConfiguration { LabelNames = model, Buckets = SecondsBuckets });
        _batchSize = f.CreateHistogram("cudagenre_inference_batch_size", "Items per executed batch.", new HistogramConfiguration { LabelNames = model, Buckets = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128] });
        _logDropped = f.CreateCounter("cudagenre_request_log_dropped", "Request log lines dropped because the log writer was too far behind.");
    }

    /// <summary>
    /// Adds the garbage collector's view of the heap as of the last collection (<see cref="GC.GetGCMemoryInfo()"/>), read
    /// at each scrape: <c>dotnet_gc_heap_size_bytes</c>, <c>dotnet_gc_committed_bytes</c>,
    /// <c>dotnet_gc_fragmented_bytes</c> and <c>dotnet_gc_pause_time_percent</c>. Beside prometheus-net's
    /// <c>dotnet_total_memory_bytes</c> (allocated now, garbage included) they tell a growing heap from one that has settled.
    /// </summary>
    public static void RegisterGcInfo(CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var f = Metrics.WithCustomRegistry(registry);
        var heap = f.CreateGauge("dotnet_gc_heap_size_bytes", "GC heap size after the last collection.");
        var committed = f.CreateGauge("dotnet_gc_committed_bytes", "Memory the GC had committed at the last collection.");
        var fragmented = f.CreateGauge("dotnet_gc_fragmented_bytes", "Free space inside the GC heap at the last collection.");
        var pause = f.CreateGauge("dotnet_gc_pause_time_percent", "Share of the process's time spent paused for GC.");
        registry.AddBeforeCollectCallback(() =>
        {
            var info = GC.GetGCMemoryInfo();
            heap.Set(info.HeapSizeBytes);
            committed.Set(info.TotalCommittedBytes);
            fragmented.Set(info.FragmentedBytes);
            pause.Set(info.PauseTimePercentage);
        });
    }

    /// <summary>The registry holding these metrics (what <c>/metrics</c> exports).</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Failure reasons, as the <c>reason</c> label of <c>nv_inference_request_failure</c>.</summary>
    public static class Reasons
    {
        /// <summary>The queue was full.</summary>
        public const string Rejected = "REJECTED";
        /// <summary>The deadline passed while the request was queued.</summary>
        public const string Timeout = "TIMEOUT";
        /// <summary>The client went away before its batch started.</summary>
        public const string Canceled = "CANCELED";
        /// <summary>The request was malformed or out of limits.</summary>
        public const string Invalid = "INVALID";
        /// <summary>The model was not ready or the server was stopping.</summary>
        public const string Unavailable = "UNAVAILABLE";
        /// <summary>The model failed on the batch.</summary>
        public const string Backend = "BACKEND";
    }

    internal void Failed(string model, string reason) => _failure.WithLabels(model, reason).Inc();

    internal void Accepted(string model) => _inFlight.WithLabels(model).Inc();

    internal void Answered(string model) => _inFlight.WithLabels(model).Dec();

    internal void QueueDepth(string model, int requests) => _pending.WithLabels(model).Set(requests);

    internal void RequestLogDropped() => _logDropped.Inc();

    internal void Ready(string model, bool ready) => _ready.WithLabels(model).Set(ready ? 1 : 0);

    internal void Batch(string model, int items, TimeSpan compute)
    {
        _executions.WithLabels(model).Inc();
        _inferences.WithLabels(model).Inc(items);
        _batchSize.WithLabels(model).Observe(items);
        _computeSeconds.WithLabels(model).Observe(compute.TotalSeconds);
    }

    internal void Served(string model, TimeSpan queue, TimeSpan compute)
    {
        _success.WithLabels(model).Inc();
        _queueSeconds.WithLabels(model).Observe(queue.TotalSeconds);
        _queueMicroseconds.WithLabels(model).Inc(queue.TotalMicroseconds);
        _computeMicroseconds.WithLabels(model).Inc(compute.TotalMicroseconds);
    }

    /// <summary>Records the end-to-end time of a successful request, measured by the endpoint that received it.</summary>
    internal void EndToEnd(string model, TimeSpan elapsed)
    {
        _requestSeconds.WithLabels(model).Observe(elapsed.TotalSeconds);
        _requestMicroseconds.WithLabels(model).Inc(elapsed.TotalMicroseconds);
    }
}
