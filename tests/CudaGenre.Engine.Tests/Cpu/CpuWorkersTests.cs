using CudaGenre.Engine.Cpu;

namespace CudaGenre.Engine.Tests.Cpu;

public class CpuWorkersTests
{
    private sealed class Recorder(int count) : IParallelWork
    {
        public int[] Hits { get; } = new int[count];
        public int FailAt { get; init; } = -1;

        public void Execute(int item, int worker)
        {
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
