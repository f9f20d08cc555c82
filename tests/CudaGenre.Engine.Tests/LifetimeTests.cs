using CudaGenre.Core.Models;
using CudaGenre.Engine.Cpu;

namespace CudaGenre.Engine.Tests;

/// <summary>Issue #15: Dispose during Run hung the callers; plans were kept forever, one per batch size.</summary>
public sealed class LifetimeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cudagenre-lifetime-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string WriteCnn(ulong seed)
    {
        var spec = ModelSpec.Default(Architecture.Cnn, ClassifierHead.Dense) with { InputHeight = 20, InputWidth = 28 };
        var path = Path.Combine(_folder, $"cnn-{seed}.safetensors");
        RandomWeights.WriteModel(path, spec, seed);
        return path;
    }

    /// <summary>Busy work of random length per item; records that each item ran.</summary>
    private sealed class CountingWork(int items, ulong seed) : IParallelWork
    {
        private readonly int[] _runs = new int[items];
        private readonly int[] _spins = Enumerable.Range(0, items).Select(i => 200 + (int)(new Core.SeededRandom(seed + (ulong)i).NextDouble() * 2000)).ToArray();

        public ManualResetEventSlim Started { get; } = new();

        public IReadOnlyList<int> Runs => _runs;

        public void Execute(int item, int worker)
        {
            Started.Set();
            Thread.SpinWait(_spins[item]);
            Interlocked.Increment(ref _runs[item]);
        }
    }

    [Fact]
    public void CpuWorkers_DisposedWhileARunIsInFlight_TheRunFinishesOrIsRefused_NeverHangs()
    {
        for (var round = 0; round < 300; round++)
        {
            var workers = new CpuWorkers(4);
            var work = new CountingWork(64, (ulong)round);
            Exception? failure = null;
            var caller = new Thread(() =>
            {
                try
                {
                    workers.Run(work, 64);
                }
                catch (Exception e)
                {
                    failure = e;
                }
            });
            caller.Start();
            if (round % 2 == 0)
            {
                work.Started.Wait(TestContext.Current.CancellationToken); // dispose in the middle of the run
            }
            workers.Dispose(); // odd rounds: racing the start of the run
            Assert.True(caller.Join(TimeSpan.FromSeconds(60)), $"round {round}: Run never returned after Dispose");
            if (failure is null)
            {
                Assert.All(work.Runs, n => Assert.Equal(1, n)); // a run that returns did every item exactly once
            }
            else
            {
                Assert.IsType<ObjectDisposedException>(failure);
                Assert.All(work.Runs, n => Assert.Equal(0, n)); // refused before any item ran
            }
        }
    }

    [Fact]
    public void Session_DisposedWhileCallersAreInRun_EveryCallFinishesRightOrThrowsObjectDisposed_NothingHangs()
    {
        var path = WriteCnn(21);
        var inputs = Enumerable.Range(0, 4).Select(i => Reference.Random(3 * 20 * 28, 300 + (ulong)i)).ToArray();
        float[][] expected;
        using (var reference = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 1 }))
        {
            expected = [.. inputs.Select(x => reference.Run(x, 1))];
        }

        for (var round = 0; round < 20; round++)
        {
            var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 2 });
            var done = new int[inputs.Length];
            var errors = new Exception?[inputs.Length];
            var callers = Enumerable.Range(0, inputs.Length).Select(k => new Thread(() =>
            {
                try
                {
                    while (true)
                    {
                        var logits = session.Run(inputs[k], 1);
                        Assert.Equal(expected[k], logits);
                        Interlocked.Increment(ref done[k]);
                    }
                }
                catch (ObjectDisposedException)
                {
                    // the defined end of a call made after Dispose
                }
                catch (Exception e)
                {
                    errors[k] = e;
                }
            })).ToArray();
            foreach (var caller in callers)
            {
                caller.Start();
            }
            while (done.Any(d => Volatile.Read(ref d) == 0) && errors.All(e => e is null))
            {
                Thread.Sleep(1);
            }

            session.Dispose();

            foreach (var caller in callers)
            {
                Assert.True(caller.Join(TimeSpan.FromSeconds(60)), $"round {round}: a caller never returned after Dispose");
            }
            Assert.All(errors, e => Assert.Null(e));
            Assert.Equal(0, session.LivePlans); // the plans of the calls in flight were released when they returned
            Assert.Throws<ObjectDisposedException>(() => session.Run(inputs[0], 1));
        }
    }

    [Fact]
    public void Plans_AreBounded_WhenBatchSizesVary_AndStillGiveTheSameLogits()
    {
        var path = WriteCnn(22);
        using var session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 2, MaxIdlePlans = 3 });
        var random = new Core.SeededRandom(23);
        var items = Reference.Random(32 * session.InputLength, 24);
        var single = Enumerable.Range(0, 32).Select(i => session.Run(items.AsSpan(i * session.InputLength, session.InputLength), 1)).ToArray();

        var peak = 0;
        for (var call = 0; call < 64; call++)
        {
            var batch = call < 32 ? call + 1 : 1 + random.NextInt(32); // every size once, then at random
            var logits = session.Run(items.AsSpan(0, batch * session.InputLength), batch);
            for (var i = 0; i < batch; i++)
            {
                Assert.Equal(single[i], logits.AsSpan(i * session.ClassCount, session.ClassCount).ToArray());
            }
            peak = Math.Max(peak, session.LivePlans);
        }
        // One plan per batch size used to stay alive: 32 here, each with an arena and a worker thread.
        Assert.Equal(3, peak);
        Assert.Throws<ArgumentOutOfRangeException>(() => InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, MaxIdlePlans = 0 }));
    }
}
