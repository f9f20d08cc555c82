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
/// Each worker owns a contiguous share of the items (worker w: items w·count/W to (w+1)·count/W) and takes them one at
/// a time from its own ticket, then helps with the others' shares from their fronts. Owning a share keeps data on the
/// core that made it: an op's item i covers the same rows as the last op's item i, so a worker mostly reads what its
/// own cache holds (on this VM's two cores, handing items out from one shared ticket made ResNet50's 56×56 1×1
/// convolutions slower on two threads than on one). Helping keeps uneven items balanced, and a run waits only for
/// items in progress, never for a helper that has not started: on a busy machine a woken helper may not get a core
/// for milliseconds, and the caller then does the whole op itself instead of idling until the helper checks in (the
/// way ONNX Runtime's pool behaves). Tickets and the item count all carry the run's number in their high half, so a
/// helper that wakes late can neither take an item of a later run nor judge an old ticket by a later run's count.
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
    // (run number << 32) | item count, written after the tickets: a helper that reads a run's number here sees its
    // tickets. The count must be read with its run: a helper that had read the last run's spent ticket and then a
    // longer run's bare count once claimed a phantom item of the old ticket, ran the new run's item twice and counted
    // it, so the new run's caller waited forever (the CI hang of 2026-12-06).
    private long _limit;
    // Per worker, at index worker · TicketStride (a cache line of its own): (run number << 32) | next item of its
    // share, claimed by compare-and-swap, so only a thread that read this run's number takes its items.
    private readonly long[] _tickets;
    private const int TicketStride = 16;
    private int _run;
    // Items of the current run not yet finished (executed, or skipped after a failure).
    private int _remaining;
    private volatile bool _failed;
    private ExceptionDispatchInfo? _failure;
    private volatile bool _disposed;

    /// <param name="count">Total workers including the calling thread (≥ 1).</param>
    public CpuWorkers(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
        _threads = new Thread[count - 1];
        _wake = new SemaphoreSlim[count - 1];
        _tickets = new long[count * TicketStride];
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

        // Publish the run before its ticket: a helper that reads the new run number also sees the work and count.
        _work = work;
        _failed = false;
        _failure = null;
        _remaining = count;
        var run = ++_run;
        for (var w = 0; w < Count; w++)
        {
            Volatile.Write(ref _tickets[w * TicketStride], ((long)run << 32) | (uint)ShareStart(w, count));
        }
        Volatile.Write(ref _limit, ((long)run << 32) | (uint)count);
        var helpers = Math.Min(_threads.Length, count - 1);
        for (var i = 0; i < helpers; i++)
        {
            _wake[i].Release();
        }
        if (!Drain(run, 0))
        {
            // A helper holds the last item(s) in progress; the one that finishes last signals.
            _done.Wait();
        }
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
            var run = (int)(Volatile.Read(ref _limit) >> 32);
            if (Drain(run, worker) && worker != 0)
            {
                _done.Release();
            }
        }
    }

    /// <summary>First item of worker <paramref name="worker"/>'s share of <paramref name="count"/> items.</summary>
    private int ShareStart(int worker, int count) => (int)((long)worker * count / Count);

    /// <summary>
    /// Runs items of run <paramref name="run"/> until none is left, its own share first, then the next workers'; true
    /// when this thread finished the run's last item.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Drain(int run, int worker)
    {
        var finishedLast = false;
        for (var i = 0; i < Count; i++)
        {
            var share = worker + i < Count ? worker + i : worker + i - Count;
            finishedLast |= DrainShare(run, share, worker);
        }
        return finishedLast;
    }

    /// <summary>Runs the items left in <paramref name="share"/>'s share of run <paramref name="run"/>; true when this thread finished the run's last item.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool DrainShare(int run, int share, int worker)
    {
        var finishedLast = false;
        ref var next = ref _tickets[share * TicketStride];
        while (true)
        {
            var ticket = Volatile.Read(ref next);
            var item = (int)ticket;
            if ((int)(ticket >> 32) != run)
            {
                return finishedLast;
            }
            var limit = Volatile.Read(ref _limit);
            if ((int)(limit >> 32) != run || item >= ShareStart(share + 1, (int)limit))
            {
                return finishedLast;
            }
            if (Interlocked.CompareExchange(ref next, ticket + 1, ticket) != ticket)
            {
                continue;
            }
            // The run cannot end before this claimed item is counted, so _work is still this run's.
            if (!_failed)
            {
                try
                {
                    _work!.Execute(item, worker);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
                    _failed = true; // the items left are counted, not run
                }
            }
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                finishedLast = true;
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
