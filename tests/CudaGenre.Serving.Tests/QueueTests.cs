namespace CudaGenre.Serving.Tests;

/// <summary>The batching queue on its own, with no HTTP: how batches are formed.</summary>
public sealed class QueueTests
{
    /// <summary>A model whose output row is its input row's sum, so routing mistakes show; it records batch sizes.</summary>
    private sealed class SumModel : IBatchModel
    {
        public List<int> Batches { get; } = [];
        public SemaphoreSlim Gate { get; } = new(0);
        public bool Gated { get; init; }
        public int InputLength => 4;
        public int OutputLength => 1;

        public void Run(ReadOnlySpan<float> inputs, int batchSize, Span<float> outputs)
        {
            if (Gated)
                Gate.Wait(TimeSpan.FromSeconds(30));
            lock (Batches)
                Batches.Add(batchSize);
            for (var i = 0; i < batchSize; i++)
            {
                float sum = 0;
                foreach (var v in inputs.Slice(i * 4, 4))
                    sum += v;
                outputs[i] = sum;
            }
        }
    }

    private static float[] Row(int seed) => [seed, seed * 0.5f, -seed, 1 + seed];

    [Fact]
    public async Task MaxQueueDelay_GathersRequestsIntoOneBatch_UpToTheMaximum()
    {
        var model = new SumModel();
        await using (var queue = new InferenceQueue("sum", model, new BatchingOptions { MaxBatchSize = 4, MaxQueueDelay = TimeSpan.FromMilliseconds(300) }))
        {
            var calls = Enumerable.Range(1, 6).Select(i => queue.InferAsync(Row(i), 1)).ToArray();
            var results = await Task.WhenAll(calls);
            for (var i = 0; i < 6; i++)
                Assert.Equal(Row(i + 1).Sum(), results[i].Outputs.Single());
        }
        // 4 at once when the maximum is reached, then the other 2 when the delay expires.
        Assert.Equal([4, 2], model.Batches);
    }

    [Fact]
    public async Task PreferredBatchSizes_TakeTheLargestThatCanBeFilled()
    {
        var model = new SumModel { Gated = true };
        var queue = new InferenceQueue("sum", model, new BatchingOptions { MaxBatchSize = 8, MaxQueueDelay = TimeSpan.FromMilliseconds(50), PreferredBatchSizes = [2, 4] });
        var first = queue.InferAsync(Row(0), 1);
        await RunningServer.Until(() => model.Gate.CurrentCount == 0 && queue.QueuedItems == 0, "the first batch to start");
        await Task.Delay(100, TestContext.Current.CancellationToken);
        // While the first batch is held, 7 more arrive: 4 (the largest preferred) go together, then 2, then 1.
        var rest = Enumerable.Range(1, 7).Select(i => queue.InferAsync(Row(i), 1)).ToArray();
        model.Gate.Release(100);
        var results = await Task.WhenAll(rest.Prepend(first));
        for (var i = 0; i < 8; i++)
            Assert.Equal(Row(i).Sum(), results[i].Outputs.Single());
        await queue.DisposeAsync();
        Assert.Equal([1, 4, 2, 1], model.Batches);
    }

    [Fact]
    public async Task InvalidAndRefusedRequests_FailAlone()
    {
        var model = new SumModel { Gated = true };
        var queue = new InferenceQueue("sum", model, new BatchingOptions { MaxBatchSize = 2, MaxQueueDelay = TimeSpan.Zero, MaxQueueSize = 2 });
        Assert.Throws<ArgumentException>(() => { _ = queue.InferAsync(new float[] { 1, float.NaN, 3, 4 }, 1); });
        Assert.Throws<ArgumentException>(() => { _ = queue.InferAsync(new float[3], 1); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = queue.InferAsync(new float[12], 3); });
        var held = queue.InferAsync(Row(1), 1);
        await RunningServer.Until(() => queue.QueuedItems == 0, "the first batch to start");
        var queued = queue.InferAsync(new float[8] { 1, 1, 1, 1, 2, 2, 2, 2 }, 2);
        var full = Assert.Throws<QueueFullException>(() => { _ = queue.InferAsync(Row(2), 1); });
        Assert.Contains("(2 of 2 items waiting)", full.Message, StringComparison.Ordinal);
        model.Gate.Release(100);
        Assert.Equal(Row(1).Sum(), (await held).Outputs.Single());
        var outputs = (await queued).Outputs;
        Assert.Equal(new[] { 4f, 8f }, outputs);
        await queue.StopAsync(TestContext.Current.CancellationToken);
        Assert.Throws<QueueStoppedException>(() => { _ = queue.InferAsync(Row(3), 1); });
        await queue.DisposeAsync();
    }
}
