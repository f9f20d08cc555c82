using System.Globalization;
using CudaGenre.Core.Metrics;
using Spectre.Console;

namespace CudaGenre.Trainer.Training;

/// <summary>
/// The run's log: every line goes to <c>train.log</c> (flushed at once, so a killed run keeps it) and to the
/// console. Per-step progress is a Spectre.Console progress bar per epoch on a terminal, and a plain line
/// every tenth of an epoch when the output is redirected (a file or a pipe).
/// </summary>
internal sealed class RunLog : ITrainingObserver, IDisposable
{
    private readonly StreamWriter _file;
    private readonly bool _interactive;
    private readonly Lock _lock = new();
    private ProgressContext? _progress;
    private ProgressTask? _epochTask;
    private int _batches;

    /// <summary>Opens (appends to) the log file at <paramref name="path"/>.</summary>
    public RunLog(string path, bool? interactive = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _file = new StreamWriter(path, append: true) { AutoFlush = true };
        _interactive = interactive ?? (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive);
    }

    /// <summary>Runs <paramref name="work"/> with a live progress display (on a terminal) that epochs draw into.</summary>
    public T WithProgress<T>(Func<T> work)
    {
        if (!_interactive)
            return work();
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                _progress = ctx;
                try
                {
                    result = work();
                }
                finally
                {
                    _progress = null;
                }
            });
        return result;
    }

    /// <inheritdoc />
    public void Log(string message)
    {
        lock (_lock)
        {
            _file.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {message}");
            // Redirected output gets the plain line: Spectre would wrap it at its assumed 80 columns.
            if (!_interactive)
                Console.Out.WriteLine(message);
            else
                AnsiConsole.WriteLine(message);
        }
    }

    /// <inheritdoc />
    public void EpochStarted(int epoch, int batches)
    {
        _batches = batches;
        if (_progress is not null)
            _epochTask = _progress.AddTask(Describe(epoch, double.NaN, double.NaN), maxValue: batches);
    }

    /// <inheritdoc />
    public void BatchFinished(int epoch, int batch, double runningLoss, double runningAccuracy)
    {
        if (_epochTask is not null)
        {
            _epochTask.Value = batch;
            _epochTask.Description = Describe(epoch, runningLoss, runningAccuracy);
            return;
        }

        // Redirected output: about ten lines per epoch, plus the last step.
        var every = Math.Max(1, _batches / 10);
        if (batch % every == 0 || batch == _batches)
            Log(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch} step {batch}/{_batches}: running loss {runningLoss:0.0000}, accuracy {runningAccuracy:0.000}"));
    }

    /// <inheritdoc />
    public void EpochFinished(EpochMetrics metrics, bool isBest, TimeSpan trainTime, TimeSpan validationTime)
    {
        if (_epochTask is not null)
        {
            _epochTask.Value = _epochTask.MaxValue;
            _epochTask.StopTask();
            _epochTask = null;
        }

        Log(string.Create(
            CultureInfo.InvariantCulture,
            $"epoch {metrics.Epoch}: train loss {metrics.TrainLoss:0.0000} acc {metrics.TrainAccuracy:0.000} | val loss {metrics.ValidationLoss:0.0000} acc {metrics.ValidationAccuracy:0.000} balanced {metrics.ValidationBalancedAccuracy:0.000}{(isBest ? " (best so far)" : "")} | {trainTime.TotalSeconds:0.0} s train, {validationTime.TotalSeconds:0.0} s val"));
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    private static string Describe(int epoch, double loss, double accuracy)
        => double.IsNaN(loss)
            ? $"epoch {epoch}"
            : string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}  loss {loss:0.000}  acc {accuracy:0.000}");
}
