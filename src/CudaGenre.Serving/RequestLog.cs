using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace CudaGenre.Serving;

/// <summary>
/// One structured line per inference request, whatever its outcome:
/// <c>request api=rest model=cnn status=200 outcome=SUCCESS batch=4 queue_us=812 compute_us=9120 total_us=10410</c>.
/// The request path only queues a small record; a background task formats and logs it, so a slow log sink never
/// delays a response. When the sink falls more than <see cref="Capacity"/> lines behind, new lines are dropped and
/// counted (<see cref="Dropped"/>, and the metric <c>cudagenre_request_log_dropped</c>) rather than queued without bound.
/// </summary>
internal sealed partial class RequestLog : IAsyncDisposable
{
    /// <summary>Lines waiting for the writer before new ones are dropped.</summary>
    public const int Capacity = 4096;

    /// <summary>Outcome of a request answered with a result (the failures are <see cref="ServingMetrics.Reasons"/>).</summary>
    public const string Success = "SUCCESS";

    /// <summary>Outcome of a request for a model or version not served.</summary>
    public const string NotFound = "NOT_FOUND";

    private readonly ILogger? _log;
    private readonly ServingMetrics? _metrics;
    private readonly Channel<Entry>? _entries;
    private readonly Task _writer = Task.CompletedTask;
    private long _dropped;
    private volatile bool _closed;

    /// <summary>One request's line.</summary>
    public readonly record struct Entry(string Api, string Model, string Status, string Outcome, int Batch, long QueueUs, long ComputeUs, long TotalUs);

    /// <summary>Logs to <paramref name="log"/> at Information; null, or Information off: logs nothing and costs nothing.</summary>
    public RequestLog(ILogger? log, ServingMetrics? metrics = null)
    {
        _metrics = metrics;
        if (log is null || !log.IsEnabled(LogLevel.Information))
            return;
        _log = log;
        _entries = Channel.CreateBounded<Entry>(new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _writer = Task.Run(WriteAll);
    }

    /// <summary>True when lines are written.</summary>
    public bool Enabled => _entries is not null;

    /// <summary>Lines dropped because the writer was <see cref="Capacity"/> lines behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a request's line (never blocks).</summary>
    public void Write(in Entry entry)
    {
        if (_entries is null || _closed)
            return; // after DisposeAsync (a request refused during shutdown): not a drop
        if (!_entries.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _dropped);
            _metrics?.RequestLogDropped();
        }
    }

    /// <summary>Queues the line of a request that got a result.</summary>
    public void Succeeded(string api, string model, string status, InferenceResult result, long started) =>
        Write(new Entry(api, model, status, Success, result.BatchSize, Micros(result.QueueTime), Micros(result.ComputeTime), Micros(Stopwatch.GetElapsedTime(started))));

    /// <summary>Queues the line of a request that got none (batch 0, no queue or compute time).</summary>
    public void Failed(string api, string model, string status, string outcome, long started) =>
        Write(new Entry(api, model, status, outcome, 0, 0, 0, Micros(Stopwatch.GetElapsedTime(started))));

    private static long Micros(TimeSpan t) => (long)t.TotalMicroseconds;

    /// <summary>
    /// A client-chosen name (an unknown model's, from the URL or the message) made safe for a one-line log: control
    /// characters and spaces become '?', and it is cut at 64 characters, so that no request can forge or split lines.
    /// </summary>
    public static string Clean(string name)
    {
        var cut = name.Length > 64 ? name[..64] : name;
        if (cut.Length == name.Length && !name.AsSpan().ContainsAnyExceptInRange('!', '~'))
            return name;
        var chars = cut.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] is < '!' or > '~')
                chars[i] = '?';
        }
        return new string(chars) + (cut.Length < name.Length ? "…" : "");
    }

    private async Task WriteAll()
    {
        await foreach (var e in _entries!.Reader.ReadAllAsync().ConfigureAwait(false))
            LogRequest(_log!, e.Api, e.Model, e.Status, e.Outcome, e.Batch, e.QueueUs, e.ComputeUs, e.TotalUs);
    }

    /// <summary>Stops taking lines and waits until those queued are written.</summary>
    public async ValueTask DisposeAsync()
    {
        _closed = true;
        _entries?.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "request api={Api} model={Model} status={Status} outcome={Outcome} batch={Batch} queue_us={QueueUs} compute_us={ComputeUs} total_us={TotalUs}")]
    private static partial void LogRequest(ILogger logger, string api, string model, string status, string outcome, int batch, long queueUs, long computeUs, long totalUs);
}
