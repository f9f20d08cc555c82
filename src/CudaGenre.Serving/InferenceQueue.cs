using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace CudaGenre.Serving;

/// <summary>What one request got back from an <see cref="InferenceQueue"/>.</summary>
/// <param name="Outputs">Items × <see cref="IBatchModel.OutputLength"/> floats: this request's rows of the batch, in its own order.</param>
/// <param name="Items">Items in this request.</param>
/// <param name="BatchSize">Items in the batch it ran in (this request's and others').</param>
/// <param name="QueueTime">From enqueue to the start of the batch.</param>
/// <param name="ComputeTime">The batch's model time.</param>
public sealed record InferenceResult(float[] Outputs, int Items, int BatchSize, TimeSpan QueueTime, TimeSpan ComputeTime);

/// <summary>
/// One model's request queue and dynamic batcher, usable without HTTP: callers <c>await</c>
/// <see cref="InferAsync"/>; requests are gathered into batches (<see cref="BatchingOptions"/>), each batch is one
/// <see cref="IBatchModel.Run"/>, and each caller gets exactly its own rows.
/// </summary>
/// <remarks>
/// The queue is bounded: a request that does not fit is refused at once with <see cref="QueueFullException"/>. A
/// request whose deadline passes or whose caller cancels before its batch starts is taken out of the queue then and
/// there (<see cref="DeadlineExceededException"/>, <see cref="OperationCanceledException"/>); once its batch has
/// started it runs to the end. <see cref="StopAsync"/> refuses new requests and finishes those queued.
/// <code>
/// await using var queue = new InferenceQueue("cnn", new SessionBatchModel(session), new BatchingOptions { MaxBatchSize = 8 });
/// var result = await queue.InferAsync(input, items: 1, cancellationToken: ct);   // result.Outputs: 1 × classes logits
/// </code>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "It is a queue; the name is the one the issue gives.")]
public sealed partial class InferenceQueue : IAsyncDisposable
{
    private readonly IBatchModel _model;
    private readonly BatchingOptions _options;
    private readonly ServingMetrics? _metrics;
    private readonly RequestLog _requests;
    private readonly int[] _preferred;
    // A monitor (not System.Threading.Lock): the batcher threads wait on it for requests or for the delay to expire.
    private readonly object _lock = new();
    private readonly LinkedList<Pending> _queue = new();
    private readonly Thread[] _batchers;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;
    private int _queuedItems;
    private bool _stopping;
    private long _lastBatchTicks = Stopwatch.Frequency / 100; // a guess (10 ms) until the first batch is timed

    /// <summary>Creates the queue and starts its batcher.</summary>
    /// <param name="name">The model's name (metrics label, logs, messages).</param>
    /// <param name="model">What runs the batches.</param>
    /// <param name="options">Batching and queue limits.</param>
    /// <param name="metrics">Where to count (optional).</param>
    /// <param name="log">
    /// One line per request, written off the request path: <c>api=queue</c>, model, status (<c>ok</c> or the
    /// exception's name), outcome, batch, queue µs, compute µs, total µs (optional; the server logs its requests itself).
    /// </param>
    public InferenceQueue(string name, IBatchModel model, BatchingOptions? options = null, ServingMetrics? metrics = null, ILogger? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(model);
        Name = name;
        _model = model;
        _options = (options ?? new BatchingOptions()).Validate();
        _metrics = metrics;
        _requests = new RequestLog(log, metrics);
        _preferred = [.. _options.PreferredBatchSizes.Distinct().Order()];
        // One dedicated thread per instance forms and runs batches: the wake-up at the end of the queue delay does not
        // wait behind the thread pool's queue, which under load adds tens of milliseconds to a 2 ms delay.
        _running = _options.Instances;
        _batchers = new Thread[_options.Instances];
        for (var i = 0; i < _batchers.Length; i++)
        {
            _batchers[i] = new Thread(BatcherLoop) { IsBackground = true, Name = $"cudagenre-batcher-{name}-{i}" };
            _batchers[i].Start();
        }
    }

    /// <summary>The model's name.</summary>
    public string Name { get; }

    /// <summary>The batching options in force.</summary>
    public BatchingOptions Options => _options;

    /// <summary>Floats per input item.</summary>
    public int InputLength => _model.InputLength;

    /// <summary>Floats per output item.</summary>
    public int OutputLength => _model.OutputLength;

    /// <summary>Items waiting in the queue now.</summary>
    public int QueuedItems
    {
        get { lock (_lock) return _queuedItems; }
    }

    /// <summary>
    /// Queues <paramref name="items"/> inputs (items × <see cref="InputLength"/> floats, not to be changed until the
    /// task ends) and returns their outputs once their batch has run.
    /// </summary>
    /// <param name="inputs">The inputs, item after item.</param>
    /// <param name="items">How many items; 1 to <see cref="BatchingOptions.MaxBatchSize"/>.</param>
    /// <param name="timeout">How long the request may wait to start (default <see cref="BatchingOptions.DefaultTimeout"/>).</param>
    /// <param name="cancellationToken">Cancels the request if its batch has not started.</param>
    /// <exception cref="ArgumentException">Wrong length, items out of range, or a value that is NaN or infinite (the message says which item).</exception>
    /// <exception cref="QueueFullException">The queue has no room: nothing was queued.</exception>
    /// <exception cref="QueueStoppedException">The queue is stopping.</exception>
    /// <exception cref="DeadlineExceededException">The request did not start within its timeout.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before its batch started.</exception>
    /// <exception cref="BatchFailedException">The model failed on the batch.</exception>
    public Task<InferenceResult> InferAsync(ReadOnlyMemory<float> inputs, int items, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (items < 1 || items > _options.MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(items), $"a request to model '{Name}' may hold 1 to {_options.MaxBatchSize} items (the maximum batch size); got {items}.");
        if (inputs.Length != (long)items * InputLength)
            throw new ArgumentException($"{items} items need {(long)items * InputLength} floats ({InputLength} each); got {inputs.Length}.", nameof(inputs));
        // Checked here so that one bad request cannot fail the batch it would share with others.
        var bad = inputs.Span.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue);
        if (bad >= 0)
            throw new ArgumentException($"item {bad / InputLength} has a non-finite value ({inputs.Span[bad]}) at index {bad % InputLength}.", nameof(inputs));
        var wait = timeout ?? _options.DefaultTimeout;
        if (wait <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(timeout), $"the timeout must be positive; got {wait}.");
        cancellationToken.ThrowIfCancellationRequested();

        var pending = new Pending(this, inputs, items, Stopwatch.GetTimestamp(), wait);
        lock (_lock)
        {
            if (_stopping)
            {
                Failed(ServingMetrics.Reasons.Unavailable, nameof(QueueStoppedException), pending.Enqueued);
                throw new QueueStoppedException($"model '{Name}' is shutting down and takes no new requests.");
            }
            if (_queuedItems + items > _options.MaxQueueSize)
            {
                Failed(ServingMetrics.Reasons.Rejected, nameof(QueueFullException), pending.Enqueued);
                throw new QueueFullException($"the queue of model '{Name}' is full ({_queuedItems} of {_options.MaxQueueSize} items waiting); try again shortly.", RetryAfterLocked());
            }
            pending.Node = _queue.AddLast(pending);
            _queuedItems += items;
            _metrics?.QueueDepth(Name, _queue.Count);
            _metrics?.Accepted(Name);
            WakeLocked();
        }
        // Armed after the request is in the queue (a callback that fires at once takes it out again), and not at all
        // if its batch has already started.
        pending.Arm(cancellationToken);
        return pending.Completion.Task;
    }

    /// <summary>
    /// Stops taking requests and finishes those queued and running; when <paramref name="cancellationToken"/> fires
    /// first, the requests still queued fail with <see cref="QueueStoppedException"/> and only running batches are awaited.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _stopping = true;
            WakeLocked();
        }
        try
        {
            await _stopped.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            List<Pending> left;
            lock (_lock)
            {
                left = [.. _queue];
            }
            foreach (var p in left)
                Remove(p, new QueueStoppedException($"model '{Name}' shut down before this request could run."), ServingMetrics.Reasons.Unavailable);
            await _stopped.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Stops the queue, finishing what was queued (<see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _requests.DisposeAsync().ConfigureAwait(false);
    }

    private void Failed(string reason, string status, long enqueued)
    {
        _metrics?.Failed(Name, reason);
        _requests.Failed(Api, Name, status, reason, enqueued);
    }

    /// <summary>The <c>api</c> field of this queue's own request lines.</summary>
    private const string Api = "queue";

    /// <summary>A hint for a refused client: roughly how long the queue ahead takes to drain.</summary>
    private TimeSpan RetryAfterLocked()
    {
        var batches = (double)_queuedItems / _options.MaxBatchSize / _options.Instances + 1;
        return TimeSpan.FromSeconds(Math.Clamp(batches * _lastBatchTicks / Stopwatch.Frequency, 0.001, 60));
    }

    private void WakeLocked() => Monitor.PulseAll(_lock);

    /// <summary>Takes a request out of the queue if it is still there, and fails it with <paramref name="error"/>.</summary>
    private void Remove(Pending p, Exception error, string reason)
    {
        lock (_lock)
        {
            if (p.Node is null)
                return; // already taken into a batch, or removed
            _queue.Remove(p.Node);
            p.Node = null;
            _queuedItems -= p.Items;
            _metrics?.QueueDepth(Name, _queue.Count);
        }
        Failed(reason, error.GetType().Name, p.Enqueued);
        p.Finish();
        _metrics?.Answered(Name);
        p.Completion.TrySetException(error);
    }

    private void BatcherLoop()
    {
        try
        {
            while (NextBatch() is { } batch)
                Execute(batch);
        }
        finally
        {
            if (Interlocked.Decrement(ref _running) == 0)
                _stopped.TrySetResult();
        }
    }

    /// <summary>Blocks until a batch should run and takes its requests out of the queue; null once stopping and empty.</summary>
    private List<Pending>? NextBatch()
    {
        lock (_lock)
        {
            while (true)
            {
                if (_queue.Count == 0)
                {
                    if (_stopping)
                        return null;
                    Monitor.Wait(_lock);
                    continue;
                }
                var now = Stopwatch.GetTimestamp();
                var waited = Stopwatch.GetElapsedTime(_queue.First!.Value.Enqueued, now);
                var target = Target(_queuedItems, waited >= _options.MaxQueueDelay || _stopping);
                if (target > 0)
                    return TakeLocked(target);
                // Whole milliseconds, rounded up: Monitor.Wait's resolution.
                Monitor.Wait(_lock, (int)Math.Ceiling((_options.MaxQueueDelay - waited).TotalMilliseconds));
            }
        }
    }

    /// <summary>How many items to take now (0: wait for more), given <paramref name="queued"/> items and whether the oldest is due.</summary>
    private int Target(int queued, bool due)
    {
        var max = _options.MaxBatchSize;
        if (queued >= max)
            return max;
        if (_preferred.Length > 0)
        {
            if (queued >= _preferred[^1])
                return _preferred[^1];
            if (!due)
                return 0;
            for (var i = _preferred.Length - 1; i >= 0; i--)
            {
                if (_preferred[i] <= queued)
                    return _preferred[i];
            }
            return queued;
        }
        return due ? queued : 0;
    }

    /// <summary>Takes whole requests, oldest first, up to <paramref name="target"/> items (at least one request).</summary>
    private List<Pending> TakeLocked(int target)
    {
        var batch = new List<Pending>();
        var items = 0;
        while (_queue.First is { } node && (batch.Count == 0 || items + node.Value.Items <= target))
        {
            _queue.RemoveFirst();
            node.Value.Node = null;
            items += node.Value.Items;
            _queuedItems -= node.Value.Items;
            batch.Add(node.Value);
        }
        _metrics?.QueueDepth(Name, _queue.Count);
        return batch;
    }

    private void Execute(List<Pending> batch)
    {
        var start = Stopwatch.GetTimestamp();
        var items = 0;
        foreach (var p in batch)
        {
            p.Finish(); // started: no longer cancellable
            items += p.Items;
        }
        var inLength = InputLength;
        var outLength = OutputLength;
        var inputs = ArrayPool<float>.Shared.Rent(items * inLength);
        var outputs = ArrayPool<float>.Shared.Rent(items * outLength);
        try
        {
            var offset = 0;
            foreach (var p in batch)
            {
                p.Inputs.Span.CopyTo(inputs.AsSpan(offset));
                offset += p.Inputs.Length;
            }
            _model.Run(inputs.AsSpan(0, items * inLength), items, outputs.AsSpan(0, items * outLength));
        }
        catch (Exception e)
        {
            foreach (var p in batch)
            {
                Failed(ServingMetrics.Reasons.Backend, nameof(BatchFailedException), p.Enqueued);
                _metrics?.Answered(Name);
                p.Completion.TrySetException(new BatchFailedException($"model '{Name}' failed on a batch of {items}: {e.Message}", e));
            }
            ArrayPool<float>.Shared.Return(inputs);
            ArrayPool<float>.Shared.Return(outputs);
            return;
        }
        var end = Stopwatch.GetTimestamp();
        var compute = Stopwatch.GetElapsedTime(start, end);
        Interlocked.Exchange(ref _lastBatchTicks, end - start);
        _metrics?.Batch(Name, items, compute);
        var row = 0;
        foreach (var p in batch)
        {
            var queueTime = Stopwatch.GetElapsedTime(p.Enqueued, start);
            var result = new InferenceResult(outputs.AsSpan(row * outLength, p.Items * outLength).ToArray(), p.Items, items, queueTime, compute);
            row += p.Items;
            _metrics?.Served(Name, queueTime, compute);
            _metrics?.Answered(Name);
            p.Completion.TrySetResult(result);
        }
        ArrayPool<float>.Shared.Return(inputs);
        ArrayPool<float>.Shared.Return(outputs);
        // After every caller has its result; and RequestLog only queues the line.
        if (_requests.Enabled)
        {
            foreach (var p in batch)
                _requests.Write(new RequestLog.Entry(Api, Name, "ok", RequestLog.Success, items, (long)Stopwatch.GetElapsedTime(p.Enqueued, start).TotalMicroseconds, (long)compute.TotalMicroseconds, (long)Stopwatch.GetElapsedTime(p.Enqueued).TotalMicroseconds));
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Finish disposes the deadline source; every request ends in Finish.")]
    private sealed class Pending(InferenceQueue owner, ReadOnlyMemory<float> inputs, int items, long enqueued, TimeSpan timeout)
    {
        private readonly Lock _lock = new();
        private bool _finished;
        private CancellationTokenSource? _deadline;
        private CancellationTokenRegistration _deadlineRegistration;
        private CancellationTokenRegistration _cancelRegistration;

        public ReadOnlyMemory<float> Inputs { get; } = inputs;
        public int Items { get; } = items;
        public long Enqueued { get; } = enqueued;
        public TaskCompletionSource<InferenceResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        /// <summary>Its place in the queue; null once taken into a batch or removed (guarded by the queue's lock).</summary>
        public LinkedListNode<Pending>? Node { get; set; }

        /// <summary>Starts the deadline timer and listens for the caller's cancellation, unless already finished.</summary>
        public void Arm(CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                if (_finished)
                    return;
                _deadline = new CancellationTokenSource(timeout);
                _deadlineRegistration = _deadline.Token.UnsafeRegister(static (state, _) =>
                {
                    var p = (Pending)state!;
                    p.Expire();
                }, this);
                if (cancellationToken.CanBeCanceled)
                {
                    _cancelRegistration = cancellationToken.UnsafeRegister(static (state, token) =>
                    {
                        var p = (Pending)state!;
                        p.Cancel(token);
                    }, this);
                }
            }
        }

        private void Cancel(CancellationToken token) => owner.Remove(this, new OperationCanceledException("the client cancelled the request before its batch started.", token), ServingMetrics.Reasons.Canceled);

        private void Expire() => owner.Remove(this, new DeadlineExceededException($"the request did not start within its deadline of {timeout.TotalMilliseconds:F0} ms (model '{owner.Name}', {owner.QueuedItems} items queued); it was dropped from the queue."), ServingMetrics.Reasons.Timeout);

        /// <summary>Stops the deadline timer and the cancellation callback (not waiting for a callback that is running).</summary>
        public void Finish()
        {
            lock (_lock)
            {
                _finished = true;
                _deadlineRegistration.Unregister();
                _cancelRegistration.Unregister();
                _deadline?.Dispose();
            }
        }
    }
}
