// Shared by the test projects that run a command line in process (linked into each): the CLI's and the trainer's.
using Spectre.Console;

namespace CudaGenre.Tests.Shared;

/// <summary>
/// Runs a command in process with its console output captured: <see cref="Console.Out"/> and Spectre's
/// <see cref="AnsiConsole"/> (and, when asked, <see cref="Console.Error"/>) write to one plain, 400-column writer for
/// this run only, and are put back afterwards. Tests that use it share the process-wide console, so they belong to one
/// non-parallel collection.
/// </summary>
public static class CommandOutput
{
    /// <summary>Runs <paramref name="command"/>; returns its exit code and what it wrote (its error lines too with <paramref name="withErrors"/>).</summary>
    public static (int ExitCode, string Output) Capture(Func<int> command, bool withErrors = false)
    {
        var (originalOut, originalError, originalAnsi) = (Console.Out, Console.Error, AnsiConsole.Console);
        using var output = new StringWriter();
        Console.SetOut(output);
        if (withErrors)
            Console.SetError(output);
        // Spectre keeps the writer it was created with: give it this one, wide and plain, for this run only.
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 400;
        AnsiConsole.Console = console;
        try
        {
            return (command(), output.ToString());
        }
        finally
        {
            AnsiConsole.Console = originalAnsi;
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}
