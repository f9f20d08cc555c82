using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace CudaGenre.Engine.Cpu;

/// <summary>A piece of work split into numbered items that may run on any worker, in any order.</summary>
internal interface IParallelWork
{
    /// <summary>Runs item <paramref name="item"/> on worker <paramref name="worker"/> (0 = the calling thread), so
    /// per-worker scratch can be indexed without locks.</summary>
    void Execute(int item, int worker);
}

/// <summary>
/// A fixed set of threads that run <see cref="IParallelWork"/> items, the caller taking part. Unlike
/// <c>Parallel.For</c> it allocates nothing per call, which the engine's zero-allocation <c>Run</c> relies on.
/// Items are handed out one at a time from a shared counter, so uneven items balance themselves.
/// Not re-entrant: one <see cref="Run"/> at a time (the engine gives each session its own workers).
/// </summary>
internal sealed class CpuWorkers : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;
    // A semaphore, not ManualResetEventSlim: the latter creates its lock object lazily, the first time a
    // wait really blocks, which showed up as a 24-byte allocation in a later Run under load.
    private readonly SemaphoreSlim _done = new(0);
    // Held for the whole of a Run, and by Dispose: Dispose waits for the Run in flight to finish, so a worker is never
    // told to stop in the middle of one (it used to leave without signalling, and the caller waited forever).
    private readonly Lock _runLock = new();
    private IParallelWork? _work;
    private int _count;
    private int _next;
    private int _running;
    private ExceptionDispatchInfo? _failure;
    private volatile bool _disposed;

    /// <param name="count">Total workers including the calling thread (≥ 1).</param>
    public CpuWorkers(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
        _threads = new Thread[count - 1];
        _wake = new SemaphoreSlim[count - 1];
        for (var i = 0; i < _threads.Length; i++)
        {
            _wake[i] = new SemaphoreSlim(0);
            var worker = i + 1;
            _threads[i] = new Thread(() => Loop(worker)) { IsBackground = true, Name = $"cudagenre-cpu-{worker}" };
            _threads[i].Start();
        }
    }

    /// <summary>Workers including the calling thread.</summary>
    public int Count { get; }

    /// <summary>Runs items 0..count-1 of <paramref name="work"/> and returns when all are done; rethrows the first failure.</summary>
    public void Run(IParallelWork work, int count)
    {
        lock (_runLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RunLocked(work, count);
        }
    }

    private void RunLocked(IParallelWork work, int count)
    {
        if (count <= 0)
        {
            return;
        }
        if (count == 1 || _threads.Length == 0)
        {
            for (var i = 0; i < count; i++)
            {
                work.Execute(i, 0);
            }
            return;
        }

        _work = work;
        _count = count;
        _next = 0;
        _failure = null;
        var helpers = Math.Min(_threads.Length, count - 1);
        _running = helpers;
        for (var i = 0; i < helpers; i++)
        {
            _wake[i].Release();
        }
        Drain(0);
        _done.Wait();
        _work = null;
        _failure?.Throw();
    }

    private void Loop(int worker)
    {
        while (true)
        {
            _wake[worker - 1].Wait();
            if (_disposed)
            {
                return;
            }
            Drain(worker);
            if (Interlocked.Decrement(ref _running) == 0)
            {
                _done.Release();
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Drain(int worker)
    {
        var work = _work!;
        int item;
        while ((item = Interlocked.Increment(ref _next) - 1) < _count)
        {
            try
            {
                work.Execute(item, worker);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
                _next = _count; // stop handing out items
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_runLock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        foreach (var wake in _wake)
        {
            wake.Release();
        }
        foreach (var thread in _threads)
        {
            thread.Join();
        }
        foreach (var wake in _wake)
        {
            wake.Dispose();
        }
        _done.Dispose();
    }
}
