using CudaGenre.Cuda;
using CudaGenre.Cuda.Driver;

namespace CudaGenre.Engine.Cuda;

/// <summary>
/// A plan's whole forward pass (copies included) recorded once as a CUDA graph and replayed, which removes the
/// per-launch CPU cost at small batches. Capture is tried once, after the first (eager) run; where the driver
/// refuses, the pass stays eager and the reason is logged once.
/// </summary>
/// <param name="stream">The plan's stream, which the pass is captured from and replayed on.</param>
/// <param name="enqueue">Queues the whole pass on <paramref name="stream"/>.</param>
/// <param name="planningLock">The session's lock that planning holds: planning may synchronize the device, which a capture in progress must not see.</param>
/// <param name="enabled">Whether to capture at all (<see cref="CudaOptions.UseCudaGraphs"/>).</param>
/// <param name="log">Where the reason for staying eager goes.</param>
internal sealed class CudaGraphReplay(CudaStream stream, Action enqueue, Lock planningLock, bool enabled, Action<string> log) : IDisposable
{
    private CudaGraphExec? _graph;
    private bool _captureTried;

    /// <summary>Whether runs replay a captured CUDA graph (false before the first run, or where capture failed or is off).</summary>
    public bool IsReplaying => _graph is not null;

    /// <summary>One line for the plan's description.</summary>
    public string Describe() => IsReplaying ? "captured, replayed" : _captureTried ? "capture failed, eager" : enabled ? "not yet captured (after the first run)" : "off";

    /// <summary>Queues the pass: the graph once captured, else the steps one by one.</summary>
    public void Enqueue()
    {
        if (_graph is not null)
            _graph.Launch(stream);
        else
            enqueue();
    }

    /// <summary>After a run: captures the pass the first time, when enabled.</summary>
    public void AfterRun(int batchSize)
    {
        if (_graph is not null || _captureTried || !enabled)
            return;
        lock (planningLock)
        {
            _captureTried = true;
            CudaGraph? recorded = null;
            try
            {
                // CudaGraph.Capture ends a capture that failed without hiding the exception that explains why.
                recorded = CudaGraph.Capture(stream, _ => enqueue());
                _graph = recorded.Instantiate();
            }
            catch (CudaException e)
            {
                log($"CUDA graph capture failed for batch {batchSize}, running eagerly: {e.Message}");
            }
            finally
            {
                recorded?.Dispose();
            }
        }
    }

    public void Dispose() => _graph?.Dispose();
}
