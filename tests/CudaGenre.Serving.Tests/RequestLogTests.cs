using System.Diagnostics;
using System.Net;
using System.Text;
using CudaGenre.Serving.Grpc;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace CudaGenre.Serving.Tests;

/// <summary>Captures the request log's structured fields (not its text), one dictionary per line.</summary>
internal sealed class CapturingLogs : ILoggerProvider, ILogger
{
    private readonly Lock _lock = new();
    private readonly List<Dictionary<string, string>> _lines = [];

    /// <summary>Makes every <see cref="ILogger.Log"/> wait here until opened (a slow sink).</summary>
    public ManualResetEventSlim? Gate { get; init; }

    public IReadOnlyList<Dictionary<string, string>> Lines
    {
        get { lock (_lock) return [.. _lines]; }
    }

    public ILogger CreateLogger(string categoryName) => categoryName == ModelRepository.RequestLogCategory || categoryName == "test" ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Gate?.Wait(TimeSpan.FromSeconds(30));
        var fields = ((IReadOnlyList<KeyValuePair<string, object?>>)state!).Where(p => p.Key != "{OriginalFormat}").ToDictionary(p => p.Key, p => Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)!);
        lock (_lock)
            _lines.Add(fields);
    }

    public void Dispose()
    {
    }
}

/// <summary>One structured request line for every inference request, whatever its outcome, written off the request path.</summary>
public sealed class RequestLogTests
{
    [Fact]
    public async Task EveryInferenceRequest_GivesOneLine_WithItsOutcomeAndStatus()
    {
        var logs = new CapturingLogs();
        await using var server = await RunningServer.Start(new BatchingOptions { MaxBatchSize = 2, MaxQueueDelay = TimeSpan.Zero, MaxQueueSize = 2 }, gated: true,
            configure: o => o.MaxRequestBodyBytes = 100_000, requestLog: logs);
        var gate = server.Gate!;
        var ct = TestContext.Current.CancellationToken;

        // 429: the first request's batch waits at the gate, two more fill the queue, the fourth is refused.
        var accepted = new List<Task<(HttpStatusCode, System.Text.Json.Nodes.JsonNode?, HttpResponseMessage)>> { server.Infer(TestModel.Input(1, 900), cancellationToken: ct) };
        await RunningServer.Until(() => gate.Started == 1, "the first batch to start");
        accepted.Add(server.Infer(TestModel.Input(1, 901), cancellationToken: ct));
        accepted.Add(server.Infer(TestModel.Input(1, 902), cancellationToken: ct));
        await RunningServer.Until(() => server.Repository.Models.Single().Queue.QueuedItems == 2, "the queue to fill");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await server.Infer(TestModel.Input(1, 903), cancellationToken: ct)).Status);
        gate.Open();
        foreach (var call in accepted)
            Assert.Equal(HttpStatusCode.OK, (await call).Item1);

        // The refusals that the queue never sees.
        async Task<HttpStatusCode> Post(string path, byte[] body)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await server.Http.PostAsync(path, content, ct);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.BadRequest, await Post("/v2/models/cnn/infer", "{\"inputs\": ["u8.ToArray()));
        var wrongShape = RunningServer.InferBody(TestModel.Input(1, 904));
        wrongShape["inputs"]![0]!["shape"] = new System.Text.Json.Nodes.JsonArray(1, 3, 16, 16);
        Assert.Equal(HttpStatusCode.BadRequest, await Post("/v2/models/cnn/infer", Encoding.UTF8.GetBytes(wrongShape.ToJsonString())));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await Post("/v2/models/cnn/infer", new byte[150_000]));
        // A name that would split the log line if written as it came.
        Assert.Equal(HttpStatusCode.NotFound, await Post("/v2/models/no%0Asuch/infer", "{}"u8.ToArray()));
        Assert.Equal(HttpStatusCode.BadRequest, await Post("/v2/models/cnn/classify", []));

        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        ModelInferRequest Grpc(string model, long side)
        {
            var r = new ModelInferRequest { ModelName = model };
            r.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Shape = { 1, 3, side, side }, Contents = new InferTensorContents { Fp32Contents = { TestModel.Input(1, 905) } } });
            return r;
        }
        await client.ModelInferAsync(Grpc("cnn", 32), cancellationToken: ct);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(Grpc("cnn", 16), cancellationToken: ct))).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(Grpc("nope", 32), cancellationToken: ct))).StatusCode);

        const int requests = 12;
        await RunningServer.Until(() => logs.Lines.Count >= requests, $"{requests} request lines");
        await Task.Delay(200, ct); // a second line for any request would arrive by now
        var lines = logs.Lines;
        Assert.Equal(requests, lines.Count);
        string[] expected =
        [
            "rest cnn 200 SUCCESS", "rest cnn 200 SUCCESS", "rest cnn 200 SUCCESS", "rest cnn 429 REJECTED",
            "rest cnn 400 INVALID", "rest cnn 400 INVALID", "rest cnn 413 INVALID", "rest no?such 404 NOT_FOUND", "classify cnn 400 INVALID",
            "grpc cnn OK SUCCESS", "grpc cnn InvalidArgument INVALID", "grpc nope NotFound NOT_FOUND",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), lines.Select(l => $"{l["Api"]} {l["Model"]} {l["Status"]} {l["Outcome"]}").Order(StringComparer.Ordinal));
        foreach (var l in lines)
        {
            var (batch, queue, compute, total) = (int.Parse(l["Batch"]), long.Parse(l["QueueUs"]), long.Parse(l["ComputeUs"]), long.Parse(l["TotalUs"]));
            Assert.True(total > 0 && queue <= total, $"total {total} µs, queue {queue} µs");
            if (l["Outcome"] == "SUCCESS")
                Assert.True(batch is 1 or 2 && compute > 0 && compute <= total, $"batch {batch}, compute {compute} µs, total {total} µs");
            else
                Assert.Equal((0, 0L, 0L), (batch, queue, compute));
        }
        // The two requests that waited behind the gated batch waited for it: their queue time shows it.
        Assert.Contains(lines, l => l["Api"] == "rest" && l["Outcome"] == "SUCCESS" && long.Parse(l["QueueUs"]) > 1000);
    }

    [Fact]
    public async Task ASlowSink_NeverBlocksTheRequestPath_LinesBeyondTheBacklogAreDroppedAndCounted()
    {
        using var gate = new ManualResetEventSlim();
        var logs = new CapturingLogs { Gate = gate };
        var metrics = new ServingMetrics();
        var log = new RequestLog(logs.CreateLogger("test"), metrics);
        const int extra = 50;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < RequestLog.Capacity + extra; i++)
            log.Write(new RequestLog.Entry("queue", "cnn", "ok", RequestLog.Success, 1, i, 1, i + 1));
        var elapsed = watch.Elapsed;
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"queuing {RequestLog.Capacity + extra} lines behind a stuck sink took {elapsed}");
        // The writer holds at most one line (stuck in the sink); the channel holds Capacity.
        Assert.InRange(log.Dropped, extra - 1, extra);
        gate.Set();
        await log.DisposeAsync();
        Assert.Equal(RequestLog.Capacity + extra - log.Dropped, logs.Lines.Count);
        // In order, none twice: the queue_us field counts up.
        var order = logs.Lines.Select(l => long.Parse(l["QueueUs"])).ToList();
        Assert.Equal(order.Order(), order);
        Assert.Equal(order.Count, order.Distinct().Count());
        using var text = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(text, TestContext.Current.CancellationToken);
        Assert.Contains($"cudagenre_request_log_dropped {log.Dropped}", Encoding.UTF8.GetString(text.ToArray()), StringComparison.Ordinal);
    }
}
