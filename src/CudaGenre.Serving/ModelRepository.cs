using System.Diagnostics.CodeAnalysis;
using CudaGenre.Core.Imaging;
using CudaGenre.Engine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CudaGenre.Serving;

/// <summary>A model being served: its session, its queue, and whether it has warmed up.</summary>
public sealed class ServedModel
{
    private volatile bool _ready;

    internal ServedModel(ModelRegistration registration, InferenceSession session, InferenceQueue queue)
    {
        Registration = registration;
        Session = session;
        Queue = queue;
        // An ensemble is served when its members take one input (InputSpec); the queue batches tensors of one shape.
        var spec = session.InputSpec;
        Preprocessor = new ImagePreprocessor(spec.ToPreprocessSettings());
        Contract = new TensorContract(registration.Name, spec.InputChannels, spec.InputHeight, spec.InputWidth, queue.Options.MaxBatchSize);
    }

    /// <summary>Its input tensor and batch limit, as the request parsers check them.</summary>
    internal TensorContract Contract { get; }

    /// <summary>The model's name.</summary>
    public string Name => Registration.Name;

    /// <summary>How it was registered.</summary>
    public ModelRegistration Registration { get; }

    /// <summary>The engine session.</summary>
    public InferenceSession Session { get; }

    /// <summary>Its request queue and batcher.</summary>
    public InferenceQueue Queue { get; }

    /// <summary>Resizes and normalizes images as the model was trained (for <c>/classify</c>).</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>True once warm-up has run.</summary>
    public bool Ready
    {
        get => _ready;
        internal set => _ready = value;
    }
}

/// <summary>
/// The served models. Started by the host: every model file is opened when the host starts (a bad file stops the
/// start with its reason), then each model warms up in the background; <see cref="Ready"/> is false until all have.
/// When the application begins to stop, readiness turns false and the queues stop taking requests while they finish
/// those already accepted, within <see cref="ServingOptions.DrainTimeout"/>.
/// </summary>
public sealed class ModelRepository : IHostedService, IAsyncDisposable
{
    private readonly ServingOptions _options;
    private readonly ServingMetrics _metrics;
    private readonly ILogger? _log;
    private readonly Dictionary<string, ServedModel> _models = new(StringComparer.Ordinal);
    private readonly IHostApplicationLifetime? _lifetime;
    private Task _warmUp = Task.CompletedTask;
    private Task? _stopping;
    private volatile bool _stopRequested;

    /// <summary>Creates the repository (models open on <see cref="StartAsync"/>).</summary>
    public ModelRepository(ServingOptions options, ServingMetrics metrics, ILoggerFactory? logs = null, IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
        _metrics = metrics;
        _log = logs?.CreateLogger("CudaGenre.Serving");
        _lifetime = lifetime;
        Requests = new RequestLog(logs?.CreateLogger(RequestLogCategory), metrics);
    }

    /// <summary>The log category of the per-request lines (filter it to Warning to turn them off).</summary>
    public const string RequestLogCategory = "CudaGenre.Serving.Requests";

    /// <summary>One line per inference request, REST or gRPC, whatever its outcome.</summary>
    internal RequestLog Requests { get; }

    /// <summary>The limits and options in force.</summary>
    public ServingOptions Options => _options;

    /// <summary>The metrics every model reports to.</summary>
    public ServingMetrics Metrics => _metrics;

    /// <summary>The models, in registration order of names.</summary>
    public IEnumerable<ServedModel> Models => _models.Values;

    /// <summary>True when every model has warmed up and the server is not stopping.</summary>
    public bool Ready => !_stopRequested && _models.Count > 0 && _models.Values.All(m => m.Ready);

    /// <summary>True once shutdown has begun.</summary>
    public bool Stopping => _stopRequested;

    /// <summary>Finds a served model by name.</summary>
    public bool TryGet(string name, [NotNullWhen(true)] out ServedModel? model) => _models.TryGetValue(name, out model);

    /// <summary>The names of the served models, for error messages.</summary>
    public string Names => string.Join(", ", _models.Keys);

    /// <summary>Opens every model; warm-up continues in the background.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var registration in _options.Models)
        {
            var batching = registration.Batching ?? _options.Batching;
            var sessionOptions = registration.Session with
            {
                // Dynamic batches come in every size up to the maximum: keep a plan for each (bounded) rather than
                // rebuilding them as sizes come and go.
                MaxIdlePlans = Math.Max(registration.Session.MaxIdlePlans, Math.Min(batching.MaxBatchSize, 16)),
                Log = registration.Session.Log ?? (_log is null ? null : line => LogNotice(_log, registration.Name, line)),
            };
            InferenceSession session;
            try
            {
                session = InferenceSession.Open(registration.Path, sessionOptions);
                if (!session.HasSingleInput)
                {
                    var inputs = session.Describe();
                    session.Dispose();
                    throw new NotSupportedException($"{inputs} takes a different input per member; serve batches tensors of one shape, so it serves ensembles whose members share their input size and normalization (classify and evaluate take any ensemble).");
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"model '{registration.Name}' ({registration.Path}) could not be opened: {e.Message}", e);
            }
            IBatchModel model = new SessionBatchModel(session);
            if (registration.Decorate is { } decorate)
                model = decorate(model);
            // No logger for the queue: the endpoints log each request once, with its protocol status.
            var queue = new InferenceQueue(registration.Name, model, batching, _metrics);
            _models[registration.Name] = new ServedModel(registration, session, queue);
            _metrics.Ready(registration.Name, false);
        }
        _lifetime?.ApplicationStopping.Register(BeginStop);
        _warmUp = Task.Run(WarmUpAll, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>A task that ends when every model has warmed up (or failed to).</summary>
    public Task WarmUpCompletion => _warmUp;

    private void WarmUpAll()
    {
        foreach (var m in _models.Values)
        {
            if (_stopRequested)
                return;
            try
            {
                m.Registration.BeforeWarmUp?.Invoke();
                if (_options.WarmUp)
                {
                    var batching = m.Queue.Options;
                    foreach (var size in new[] { 1, batching.MaxBatchSize }.Concat(batching.PreferredBatchSizes).Distinct())
                        m.Session.WarmUp(size);
                }
                m.Ready = true;
                _metrics.Ready(m.Name, true);
                if (_log is not null)
                    LogReady(_log, m.Name, m.Session.Backend.ToString(), m.Session.Precision.ToString());
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The model stays not ready; the server reports why in its log and through /v2/health/ready.
                if (_log is not null)
                    LogWarmUpFailed(_log, m.Name, e.Message);
            }
        }
    }

    /// <summary>Turns readiness off and tells every queue to stop taking requests and finish the ones it has.</summary>
    public void BeginStop()
    {
        lock (_models)
        {
            if (_stopping is not null)
                return;
            _stopRequested = true;
            foreach (var m in _models.Values)
                _metrics.Ready(m.Name, false);
            _stopping = Task.WhenAll(_models.Values.Select(m => m.Queue.StopAsync(CancellationToken.None)));
        }
    }

    /// <summary>Waits for the queues to finish, up to <see cref="ServingOptions.DrainTimeout"/> or the host's own deadline.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        BeginStop();
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        drain.CancelAfter(_options.DrainTimeout);
        await Task.WhenAll(_models.Values.Select(m => m.Queue.StopAsync(drain.Token))).ConfigureAwait(false);
        await _warmUp.ConfigureAwait(false);
    }

    /// <summary>Stops the queues and releases the sessions.</summary>
    public async ValueTask DisposeAsync()
    {
        BeginStop();
        foreach (var m in _models.Values)
        {
            await m.Queue.DisposeAsync().ConfigureAwait(false);
        }
        try
        {
            await _warmUp.ConfigureAwait(false);
        }
        finally
        {
            foreach (var m in _models.Values)
                m.Session.Dispose();
            await Requests.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static readonly Action<ILogger, string, string, Exception?> NoticeMessage = LoggerMessage.Define<string, string>(LogLevel.Information, new EventId(10, "Notice"), "model {Model}: {Notice}");
    private static readonly Action<ILogger, string, string, string, Exception?> ReadyMessage = LoggerMessage.Define<string, string, string>(LogLevel.Information, new EventId(11, "Ready"), "model {Model} is ready ({Backend} {Precision})");
    private static readonly Action<ILogger, string, string, Exception?> WarmUpFailedMessage = LoggerMessage.Define<string, string>(LogLevel.Error, new EventId(12, "WarmUpFailed"), "model {Model} failed to warm up and stays not ready: {Problem}");

    private static void LogNotice(ILogger log, string model, string line) => NoticeMessage(log, model, line, null);

    private static void LogReady(ILogger log, string model, string backend, string precision) => ReadyMessage(log, model, backend, precision, null);

    private static void LogWarmUpFailed(ILogger log, string model, string problem) => WarmUpFailedMessage(log, model, problem, null);
}
