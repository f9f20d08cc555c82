using CudaGenre.Core;
using Spectre.Console;

namespace CudaGenre.Trainer.Cli;

/// <summary>
/// Runs a command body with the exit codes of the <c>cudagenre</c> command: 0 success, 1 bad input (one
/// line naming the file and the problem), 2 internal error (trace under <c>CUDAGENRE_DEBUG=1</c>),
/// 130 cancelled by Ctrl+C.
/// </summary>
internal static class CommandRunner
{
    public static int Run(Func<CancellationToken, int> body)
    {
        using var cancel = new CancellationTokenSource();
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            // The first Ctrl+C asks the run to stop after the current step; a second one kills the process.
            if (cancel.IsCancellationRequested)
                return;
            e.Cancel = true;
            cancel.Cancel();
            AnsiConsole.MarkupLine("[yellow]Ctrl+C: stopping after the current step (press again to kill)…[/]");
        }

        Console.CancelKeyPress += OnCancel;
        try
        {
            var code = body(cancel.Token);
            return cancel.IsCancellationRequested && code == 0 ? 130 : code;
        }
        catch (Exception e) when (Unwrap(e) is DataFileException or ArgumentException or IOException or UnauthorizedAccessException or InvalidOperationException or InvalidDataException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {Unwrap(e).Message}");
            return 1;
        }
        catch (OperationCanceledException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]cancelled:[/] {e.Message}");
            return 130;
        }
        catch (Exception e)
        {
            var inner = Unwrap(e);
            AnsiConsole.MarkupLineInterpolated($"[red]internal error:[/] {inner.GetType().Name}: {inner.Message}");
            if (Environment.GetEnvironmentVariable("CUDAGENRE_DEBUG") is "1")
                Console.Error.WriteLine(e);
            else
                AnsiConsole.MarkupLine("Set CUDAGENRE_DEBUG=1 to see the stack trace, and please report it.");
            return 2;
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }
    }

    /// <summary>Parses "HEIGHTxWIDTH" or a single number (square).</summary>
    public static (int Height, int Width) ParseInputSize(string text)
    {
        var parts = text.Split('x', '×', 'X');
        if (parts.Length == 1 && int.TryParse(parts[0], out var s) && s > 0)
            return (s, s);
        if (parts.Length == 2 && int.TryParse(parts[0], out var h) && int.TryParse(parts[1], out var w) && h > 0 && w > 0)
            return (h, w);
        throw new ArgumentException($"--input-size '{text}' is not a size: write HEIGHTxWIDTH (e.g. 144x216) or one number for a square.");
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: > 0 } a)
            e = a.InnerExceptions[0];
        return e;
    }
}
