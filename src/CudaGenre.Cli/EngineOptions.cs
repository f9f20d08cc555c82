using System.CommandLine;
using CudaGenre.Engine;
using Spectre.Console;

namespace CudaGenre.Cli;

/// <summary>The engine options of <c>classify</c>, <c>evaluate</c> and <c>verify</c> (backend, precision, CPU threads), and how they are read.</summary>
internal sealed class EngineOptions
{
    public Option<string> Backend { get; } = new("--backend")
    {
        Description = "cpu, cuda or auto (CUDA when usable, else CPU).",
        DefaultValueFactory = _ => "auto",
    };

    public Option<string> Precision { get; } = new("--precision")
    {
        Description = "fp32, tf32, fp16 or bf16. Only CUDA has the last three; Auto falls back to the CPU's FP32 and says so.",
        DefaultValueFactory = _ => "fp32",
    };

    public Option<int> Threads { get; } = new("--threads")
    {
        Description = "CPU threads (default: all).",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    /// <summary>Adds the three options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Backend);
        command.Options.Add(Precision);
        command.Options.Add(Threads);
    }

    /// <summary>Opens the model with the options given; the session's notices go to the console unless <paramref name="quiet"/>.</summary>
    public InferenceSession Open(string path, ParseResult parse, bool quiet) => InferenceSession.Open(path, new SessionOptions
    {
        Backend = ParseBackend(parse.GetValue(Backend)!),
        Precision = ParsePrecision(parse.GetValue(Precision)!),
        Threads = Math.Max(1, parse.GetValue(Threads)),
        Log = quiet ? null : line => AnsiConsole.MarkupLineInterpolated($"[grey]{line}[/]"),
    });

    public static Engine.Backend ParseBackend(string text) => text.ToLowerInvariant() switch
    {
        "cpu" => Engine.Backend.Cpu,
        "cuda" => Engine.Backend.Cuda,
        "auto" => Engine.Backend.Auto,
        _ => throw new ArgumentException($"--backend must be cpu, cuda or auto; got '{text}'."),
    };

    public static Engine.Precision ParsePrecision(string text) => text.ToLowerInvariant() switch
    {
        "fp32" => Engine.Precision.Fp32,
        "tf32" => Engine.Precision.Tf32,
        "fp16" => Engine.Precision.Fp16,
        "bf16" => Engine.Precision.Bf16,
        _ => throw new ArgumentException($"--precision: '{text}' is not fp32, tf32, fp16 or bf16."),
    };
}
