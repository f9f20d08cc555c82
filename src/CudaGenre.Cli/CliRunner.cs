using System.CommandLine;
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
        // Bad input, and what this machine cannot do (no GPU or CUDA library, FP16 on the CPU): one line, exit code 1.
        catch (Exception e) when (Unwrap(e) is DataFileException or ArgumentException or IOException or UnauthorizedAccessException or InvalidOperationException
            or NotSupportedException or Cuda.CudaException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {Unwrap(e).Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]cancelled.[/] Files finished before the cancel are complete; none is half-written.");
            return 130;
        }
        catch (Exception e)
        {
            // A bug, not bad input: say so plainly, keep the trace one variable away.
            var inner = Unwrap(e);
            AnsiConsole.MarkupLineInterpolated($"[red]internal error:[/] {inner.GetType().Name}: {inner.Message}");
            if (Environment.GetEnvironmentVariable("CUDAGENRE_DEBUG") is "1")
                Console.Error.WriteLine(e);
            else
                AnsiConsole.MarkupLine("Set CUDAGENRE_DEBUG=1 to see the stack trace, and please report it.");
            return 2;
        }
    }

    /// <summary>Parallel loops wrap the failure of a clip in an AggregateException; the first inner one is the story.</summary>
    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: > 0 } a)
            e = a.InnerExceptions[0];
        return e;
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

    /// <summary>A token that Ctrl+C cancels (instead of killing the process), so long work can stop between files.</summary>
    public static CtrlC CancelOnCtrlC() => new();

    /// <summary>Rejects values below <paramref name="min"/> at parse time, naming the option and the value.</summary>
    public static Option<int> AtLeast(this Option<int> option, int min)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value < min)
                result.AddError($"{option.Name} must be at least {min} (got {value}).");
        });
        return option;
    }

    /// <summary>
    /// An old name of <paramref name="option"/> that still works but is not shown in help (System.CommandLine shows
    /// every alias, so the old name is a second, hidden option; <see cref="Get{T}"/> reads whichever was given).
    /// </summary>
    public static Option<T> HiddenAlias<T>(Option<T> option, string oldName) =>
        new(oldName) { Hidden = true, Description = $"Old name of {option.Name}." };

    /// <summary>The value of <paramref name="option"/>, or of its hidden old name when only that was given.</summary>
    public static T? Get<T>(ParseResult parse, Option<T> option, Option<T> oldName)
    {
        var usedOld = parse.GetResult(oldName) is { Implicit: false };
        if (usedOld && parse.GetResult(option) is { Implicit: false })
            throw new ArgumentException($"{oldName.Name} is the old name of {option.Name}: give one of them.");
        return usedOld ? parse.GetValue(oldName) : parse.GetValue(option);
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

    /// <summary>Turns Ctrl+C into a cancellation for as long as it is not disposed.</summary>
    public sealed class CtrlC : IDisposable
    {
        private readonly CancellationTokenSource _source = new();

        public CtrlC() => Console.CancelKeyPress += OnCancel;

        public CancellationToken Token => _source.Token;

        public void Dispose()
        {
            Console.CancelKeyPress -= OnCancel;
            _source.Dispose();
        }

        private void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            e.Cancel = true;
            _source.Cancel();
        }
    }
}
