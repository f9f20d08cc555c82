using CudaGenre.Engine.Cpu;

namespace CudaGenre.Engine.Tests.Cpu;

public class CpuWorkersTests
{
    private sealed class Recorder(int count) : IParallelWork
    {
        public int[] Hits { get; } = new int[count];
        public int FailAt { get; init; } = -1;

        /// <summary>Busy work before the hit is recorded, so an item in progress is seen as not done.</summary>
        public int Spin { get; init; }

        public void Execute(int item, int worker)
        {
            Thread.SpinWait(Spin);
            Interlocked.Increment(ref Hits[item]);
            if (item == FailAt)
            {
                throw new InvalidOperationException($"item {item} failed");
            }
        }
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(4, 1)]
    [InlineData(4, 3)]
    [InlineData(3, 1000)]
    public void EveryItemRunsExactlyOnce_AcrossRepeatedRuns(int workers, int items)
    {
        using var cpu = new CpuWorkers(workers);
        for (var round = 0; round < 50; round++)
        {
            var work = new Recorder(items);
            cpu.Run(work, items);
            Assert.All(work.Hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void HelpersThatWakeLate_NeverRunAnItemOfALaterRun()
    {
        // Runs of 2–3 items often end before a woken helper gets going, so helpers keep waking into runs that are over
        // or into later ones. A run that returned while a helper still held one of its items, or a helper that ran
        // an item with another run's work, shows up as a count off by one on some recorder.
        using var cpu = new CpuWorkers(4);
        var recorders = new[] { new Recorder(3) { Spin = 2000 }, new Recorder(3) { Spin = 50 }, new Recorder(2) { Spin = 500 } };
        var runs = new int[recorders.Length];
        for (var round = 0; round < 3000; round++)
        {
            var which = round % recorders.Length;
            cpu.Run(recorders[which], recorders[which].Hits.Length);
            runs[which]++;
            for (var r = 0; r < recorders.Length; r++)
            {
                foreach (var hits in recorders[r].Hits)
                {
                    Assert.Equal(runs[r], hits);
                }
            }
        }
    }

    [Fact]
    public void ARunLongerThanTheLastOne_NeverTakesAnItemAHelperClaimedFromTheOldTicket()
    {
        // A helper that read the last run's spent ticket (next == its count) and then the next run's larger item count
        // used to claim "item count" of the old ticket just before the caller published the new one: it ran an item
        // of the new run twice and counted it against the new run, whose caller then waited forever for a signal
        // that had already been used up. Short runs that grow by one, on more workers than cores, many owners at
        // once, open that window often; each run is watched so that a hang fails the test instead of stalling it.
        const int owners = 4;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = Enumerable.Range(0, owners).Select(o => new Thread(() =>
        {
            try
            {
                using var cpu = new CpuWorkers(4);
                var shorter = new Recorder(2);
                var longer = new Recorder(3);
                for (var round = 1; round <= 20_000; round++)
                {
                    cpu.Run(shorter, 2);
                    cpu.Run(longer, 3);
                    if (shorter.Hits.Any(h => h != round) || longer.Hits.Any(h => h != round))
                    {
                        failures.Enqueue($"owner {o} round {round}: hits {string.Join(",", shorter.Hits)} / {string.Join(",", longer.Hits)}");
                        return;
                    }
                }
            }
            catch (Exception e)
            {
                failures.Enqueue($"owner {o}: {e}");
            }
        }) { IsBackground = true }).ToArray();
        foreach (var t in threads)
        {
            t.Start();
        }
        foreach (var t in threads)
        {
            Assert.True(t.Join(TimeSpan.FromMinutes(2)), "a run never returned (the caller waits for a signal nobody sends)");
        }
        Assert.Empty(failures);
    }

    [Fact]
    public void AFailingItem_IsRethrownOnTheCaller_AndTheWorkersStayUsable()
    {
        using var cpu = new CpuWorkers(3);
        var e = Assert.Throws<InvalidOperationException>(() => cpu.Run(new Recorder(100) { FailAt = 37 }, 100));
        Assert.Equal("item 37 failed", e.Message);
        var work = new Recorder(10);
        cpu.Run(work, 10);
        Assert.All(work.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Run_AllocatesNothingOnTheCallingThread_AfterWarmUp()
    {
        using var cpu = new CpuWorkers(3);
        var work = new Recorder(64);
        for (var i = 0; i < 20; i++)
        {
            cpu.Run(work, 64); // warm-up: lazily created wait objects, tiered JIT
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            cpu.Run(work, 64);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
