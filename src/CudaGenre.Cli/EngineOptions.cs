using System.CommandLine;
using CudaGenre.Core;
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
        Description = "fp32, tf32, fp16, bf16, int8 or int16. CUDA has the first four; the CPU has fp32, int8 and int16 (AVX2: 8-bit weights and 7-bit activations, or 10 bits each, the activations quantized per pixel as they are read; check with verify), and bf16 where it has AVX512_BF16 (else a clear error). Auto without CUDA runs the CPU's BF16, INT8 or INT16 where it can, otherwise FP32, and says so.",
        DefaultValueFactory = _ => "fp32",
    };

    public Option<int> Threads { get; } = new Option<int>("--threads")
    {
        // System.CommandLine appends "[default: N]" itself: the description must not name a default of its own.
        Description = "CPU threads; the default is every core of this machine.",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    }.AtLeast(1);

    public Option<bool> AllowNonFiniteWeights { get; } = new("--allow-non-finite-weights")
    {
        Description = "Open a model even if a weight is NaN or infinite (logits that are not finite are still an error).",
    };

    public Option<long> MaxImagePixels { get; } = new("--max-image-pixels")
    {
        Description = "Largest image decoded, in pixels (width and height are limited to 16384 each).",
        DefaultValueFactory = _ => InputLimits.Default.MaxImagePixels,
    };

    public Option<double> MaxAudioSeconds { get; } = new("--max-audio-seconds")
    {
        Description = "Longest audio clip read, in seconds.",
        DefaultValueFactory = _ => InputLimits.Default.MaxAudioSeconds,
    };

    public Option<int> MaxBatchSize { get; } = new Option<int>("--max-batch-size")
    {
        Description = "Largest batch one forward pass may take.",
        DefaultValueFactory = _ => InputLimits.Default.MaxBatchSize,
    }.AtLeast(1);

    /// <summary>Adds the engine options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Backend);
        command.Options.Add(Precision);
        command.Options.Add(Threads);
        command.Options.Add(AllowNonFiniteWeights);
        command.Options.Add(MaxImagePixels);
        command.Options.Add(MaxAudioSeconds);
        command.Options.Add(MaxBatchSize);
    }

    /// <summary>The limits the options give (every other limit at its default).</summary>
    public InputLimits Limits(ParseResult parse) => new InputLimits
    {
        MaxImagePixels = parse.GetValue(MaxImagePixels),
        MaxAudioSeconds = parse.GetValue(MaxAudioSeconds),
        MaxBatchSize = parse.GetValue(MaxBatchSize),
    }.Validate();

    /// <summary>Opens the model with the options given; the session's notices go to the console unless <paramref name="quiet"/>.</summary>
    public InferenceSession Open(string path, ParseResult parse, bool quiet) => InferenceSession.Open(path, new SessionOptions
    {
        Backend = ParseBackend(parse.GetValue(Backend)!),
        Precision = ParsePrecision(parse.GetValue(Precision)!),
        Threads = parse.GetValue(Threads),
        Limits = Limits(parse),
        AllowNonFiniteWeights = parse.GetValue(AllowNonFiniteWeights),
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
        "int8" => Engine.Precision.Int8,
        "int16" => Engine.Precision.Int16,
        _ => throw new ArgumentException($"--precision: '{text}' is not fp32, tf32, fp16, bf16, int8 or int16."),
    };
}
