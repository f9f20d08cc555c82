using System.Diagnostics;
using System.Globalization;
using CudaGenre.Engine.Cpu;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>workers</c>: what one <see cref="CpuWorkers.Run"/> costs beyond its work, on two workers: runs of two items of W µs
/// each (busy loops), back to back like a pass's steps, timed by wall clock; overhead = time per run − W. The engine runs
/// 50–100 such steps per batch-1 pass.
/// </summary>
internal static class WorkerOverhead
{
    public static void Run()
    {
        using var workers = new CpuWorkers(2);
        Console.WriteLine($"CpuWorkers(2), two items per run, back to back; load {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (var micros in new[] { 0, 20, 100, 500 })
        {
            var work = new Busy(micros);
            var runs = micros == 0 ? 200_000 : Math.Max(2_000, 2_000_000 / micros);
            for (var i = 0; i < runs / 10; i++)
            {
                workers.Run(work, 2);
            }
            var best = double.MaxValue;
            for (var repeat = 0; repeat < 5; repeat++)
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < runs; i++)
                {
                    workers.Run(work, 2);
                }
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMicroseconds / runs);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"items of {micros,4} µs: {best,8:F2} µs per run (best of 5 x {runs}), overhead {best - micros,7:F2} µs"));
        }
    }

    private sealed class Busy(int micros) : IParallelWork
    {
        private readonly long _ticks = micros * Stopwatch.Frequency / 1_000_000;

        public void Execute(int item, int worker)
        {
            var end = Stopwatch.GetTimestamp() + _ticks;
            while (Stopwatch.GetTimestamp() < end)
            {
            }
        }
    }
}
