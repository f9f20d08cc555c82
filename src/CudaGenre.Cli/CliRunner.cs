using CudaGenre.Core;
using Spectre.Console;

namespace CudaGenre.Cli;

/// <summary>Runs a command body and turns expected failures into one clear line and exit code 1.</summary>
internal static class CliRunner
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is DataFileException or ArgumentException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }

    /// <summary>Runs <paramref name="work"/> under a progress bar of <paramref name="total"/> steps; the work reports steps done.</summary>
    public static T WithProgress<T>(string description, int total, Func<IProgress<int>, T> work)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(description, maxValue: Math.Max(total, 1));
                result = work(new ImmediateProgress(done => task.Value = Math.Max(task.Value, done)));
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>Parses "432x288" (or "432×288") into (width, height).</summary>
    public static (int Width, int Height) ParseSize(string text)
    {
        var parts = text.Split('x', '×', 'X');
        if (parts.Length == 2 && int.TryParse(parts[0], out var w) && int.TryParse(parts[1], out var h) && w is > 0 and <= 8192 && h is > 0 and <= 8192)
            return (w, h);
        throw new ArgumentException($"'{text}' is not an image size: write WIDTHxHEIGHT, e.g. 432x288.");
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to a context that a console app does not pump in order).</summary>
    private sealed class ImmediateProgress(Action<int> report) : IProgress<int>
    {
        private readonly Lock _lock = new();

        public void Report(int value)
        {
            lock (_lock)
                report(value);
        }
    }
}
