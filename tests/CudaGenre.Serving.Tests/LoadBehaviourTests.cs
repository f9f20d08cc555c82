using System.Net;
using System.Text.Json.Nodes;

namespace CudaGenre.Serving.Tests;

/// <summary>Behaviour under load, through real HTTP: batching, backpressure, deadlines, disconnects, shutdown.</summary>
public sealed class LoadBehaviourTests
{
    [Fact]
    public async Task ConcurrentClients_AreBatched_AndEachGetsItsOwnResult()
    {
        await using var server = await RunningServer.Start(new BatchingOptions { MaxBatchSize = 8, MaxQueueDelay = TimeSpan.FromMilliseconds(20), MaxQueueSize = 256 });
        // 24 clients with distinct random inputs of 1 to 3 items, all at once.
        var inputs = Enumerable.Range(0, 24).Select(i => TestModel.Input(1 + i % 3, (ulong)(1000 + i))).ToArray();
        var responses = await Task.WhenAll(inputs.Select((input, i) => server.Infer(input, id: $"c{i}")));
        var batchSizes = new List<int>();
        for (var i = 0; i < inputs.Length; i++)
        {
            var (status, body, _) = responses[i];
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal($"c{i}", (string)body!["id"]!);
            TestModel.AssertClose(TestModel.Expected(inputs[i]), RunningServer.Output(body, "logits"));
            batchSizes.Add((int)body["parameters"]!["batch_size"]!);
        }
        // Requests really shared batches (and no batch went over the maximum).
        Assert.Contains(batchSizes, b => b > 3);
        Assert.All(batchSizes, b => Assert.InRange(b, 1, 8));
    }

    [Fact]
    public async Task FullQueue_Refuses429WithRetryAfter_AndLosesNothingItAccepted()
    {
        await using var server = await RunningServer.Start(new BatchingOptions { MaxBatchSize = 2, MaxQueueDelay = TimeSpan.Zero, MaxQueueSize = 4 }, gated: true);
        var gate = server.Gate!;
        // The first request is taken into a batch that waits at the gate; then 4 items fill the queue.
        var accepted = new List<(float[] Input, Task<(HttpStatusCode, JsonNode?, HttpResponseMessage)> Call)>();
        var first = TestModel.Input(1, 300);
        accepted.Add((first, server.Infer(first)));
        await RunningServer.Until(() => gate.Started == 1, "the first batch to start");
        for (var i = 0; i < 4; i++)
        {
            var input = TestModel.Input(1, (ulong)(301 + i));
            accepted.Add((input, server.Infer(input)));
        }
        await RunningServer.Until(() => server.Repository.Models.Single().Queue.QueuedItems == 4, "the queue to fill");

        var (status, body, response) = await server.Infer(TestModel.Input(1, 399));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Contains("the queue of model 'cnn' is full (4 of 4 items waiting)", (string)body!["error"]!, StringComparison.Ordinal);
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "Retry-After is a whole number of seconds, at least 1");

        gate.Open();
        foreach (var (input, call) in accepted)
        {
            var (s, b, _) = await call;
            Assert.Equal(HttpStatusCode.OK, s);
            TestModel.AssertClose(TestModel.Expected(input), RunningServer.Output(b!, "logits"));
        }
        Assert.Equal(5, gate.Batches.Sum());
        var metrics = await server.Http.GetStringAsync("/metrics");
        Assert.Contains("nv_inference_request_failure{model=\"cnn\",reason=\"REJECTED\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestThatCannotStartInTime_Gets504_AndIsDroppedFromTheQueue()
    {
        await using var server = await RunningServer.Start(new BatchingOptions { MaxBatchSize = 1, MaxQueueDelay = TimeSpan.Zero }, gated: true);
        var gate = server.Gate!;
        var blocker = server.Infer(TestModel.Input(1, 400));
        await RunningServer.Until(() => gate.Started == 1, "the first batch to start");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (status, body, _) = await server.Infer(TestModel.Input(1, 401), timeoutUs: 150_000);
        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Contains("did not start within its deadline of 150 ms", (string)body!["error"]!, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed.TotalMilliseconds, 140, 10_000);
        Assert.Equal(0, server.Repository.Models.Single().Queue.QueuedItems);

        gate.Open();
        Assert.Equal(HttpStatusCode.OK, (await blocker).Item1);
        Assert.Equal([1], gate.Batches); // the expired request never ran
    }

    [Fact]
    public async Task ClientThatDisconnects_IsRemovedBeforeItsBatchRuns()
    {
        await using var server = await RunningServer.Start(new BatchingOptions { MaxBatchSize = 4, MaxQueueDelay = TimeSpan.Zero }, gated: true);
        var gate = server.Gate!;
        var queue = server.Repository.Models.Single().Queue;
        var blocker = server.Infer(TestModel.Input(1, 500));
        await RunningServer.Until(() => gate.Started == 1, "the first batch to start");

        using var leaving = new CancellationTokenSource();
        var gone = server.Infer(TestModel.Input(3, 501), cancellationToken: leaving.Token);
        await RunningServer.Until(() => queue.QueuedItems == 3, "the request to be queued");
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gone);
        await RunningServer.Until(() => queue.QueuedItems == 0, "the server to notice the disconnect");

        var stays = TestModel.Input(2, 502);
        var later = server.Infer(stays);
        await RunningServer.Until(() => queue.QueuedItems == 2, "the next request to be queued");
        gate.Open();
        Assert.Equal(HttpStatusCode.OK, (await blocker).Item1);
        var (status, body, _) = await later;
        Assert.Equal(HttpStatusCode.OK, status);
        TestModel.AssertClose(TestModel.Expected(stays), RunningServer.Output(body!, "logits"));
        Assert.Equal([1, 2], gate.Batches); // the 3 items of the client that left never ran
        Assert.Contains("reason=\"CANCELED\"} 1", await server.Http.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GracefulShutdown_FinishesRequestsInFlight_AndRefusesNewOnes()
    {
        var server = await RunningServer.Start(new BatchingOptions { MaxBatchSize = 1, MaxQueueDelay = TimeSpan.Zero }, gated: true);
        var gate = server.Gate!;
        var queue = server.Repository.Models.Single().Queue;
        var inputs = Enumerable.Range(0, 3).Select(i => TestModel.Input(1, (ulong)(600 + i))).ToArray();
        var calls = new List<Task<(HttpStatusCode, JsonNode?, HttpResponseMessage)>> { server.Infer(inputs[0]) };
        await RunningServer.Until(() => gate.Started == 1, "the first batch to start");
        calls.Add(server.Infer(inputs[1]));
        calls.Add(server.Infer(inputs[2]));
        await RunningServer.Until(() => queue.QueuedItems == 2, "two requests to be queued");

        var stopping = server.App.StopAsync(CancellationToken.None);
        await RunningServer.Until(() => server.Repository.Stopping, "shutdown to begin");
        Assert.False(server.Repository.Ready);
        // A new request now is refused (503 from the queue, or the connection is refused by the stopping server).
        try
        {
            var (status, _, _) = await server.Infer(TestModel.Input(1, 699));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        }
        catch (HttpRequestException)
        {
        }

        gate.Open();
        for (var i = 0; i < 3; i++)
        {
            var (status, body, _) = await calls[i];
            Assert.Equal(HttpStatusCode.OK, status);
            TestModel.AssertClose(TestModel.Expected(inputs[i]), RunningServer.Output(body!, "logits"));
        }
        await stopping;
        Assert.Equal([1, 1, 1], gate.Batches);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task NotReadyUntilWarmUp_Then503BecomesOk()
    {
        // A gate that holds warm-up: readiness is false and inference is refused with 503 until it opens.
        var release = new ManualResetEventSlim();
        await using var server = await RunningServer.Start(beforeWarmUp: () => release.Wait(TimeSpan.FromSeconds(30)));
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await server.Http.GetAsync("/v2/health/ready")).StatusCode);
        var (status, body, _) = await server.Infer(TestModel.Input(1, 700));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("not ready yet (warming up)", (string)body!["error"]!, StringComparison.Ordinal);
        release.Set();
        await server.Repository.WarmUpCompletion;
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/v2/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Infer(TestModel.Input(1, 701))).Status);
    }
}
