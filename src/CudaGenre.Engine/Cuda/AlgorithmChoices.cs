using System.Text.Json;
using System.Text.Json.Nodes;
using CudaGenre.Core;
using CudaGenre.Cuda.Dnn;

namespace CudaGenre.Engine.Cuda;

/// <summary>What planning measured to be fastest for one step shape (kept on disk by <see cref="AlgorithmChoices"/>).</summary>
internal abstract record TunedChoice
{
    /// <summary>The choice as JSON (<see cref="FromJson"/> reads it back).</summary>
    public abstract JsonObject ToJson();

    /// <summary>A choice written by <see cref="ToJson"/>, or null for anything else (an unknown kind or enum name).</summary>
    public static TunedChoice? FromJson(JsonNode? node)
    {
        if (node is not JsonObject o || o["kind"]?.GetValueKind() != JsonValueKind.String)
            return null;
        string? Text(string name) => o[name]?.GetValueKind() == JsonValueKind.String ? o[name]!.GetValue<string>() : null;
        return o["kind"]!.GetValue<string>() switch
        {
            CudnnAlgorithm.Kind when Enum.TryParse<cudnnConvolutionFwdAlgo_t>(Text("algorithm"), out var algorithm)
                && Enum.TryParse<cudnnMathType_t>(Text("math"), out var math) => new CudnnAlgorithm(algorithm, math),
            OurKernel.Kind when Text("entryPoint") is { Length: > 0 } entry => new OurKernel(entry),
            TwoSteps.Kind => new TwoSteps(),
            _ => null,
        };
    }
}

/// <summary>A cuDNN convolution algorithm and math type (a convolution, or a depthwise step run as cuDNN's grouped convolution).</summary>
internal sealed record CudnnAlgorithm(cudnnConvolutionFwdAlgo_t Algorithm, cudnnMathType_t Math) : TunedChoice
{
    public const string Kind = "cudnn";

    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["algorithm"] = Algorithm.ToString(), ["math"] = Math.ToString() };
}

/// <summary>One of our kernels, by entry point (a depthwise variant, or the fused separable kernel).</summary>
internal sealed record OurKernel(string EntryPoint) : TunedChoice
{
    public const string Kind = "kernel";

    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["entryPoint"] = EntryPoint };
}

/// <summary>A separable convolution run as its two steps (depthwise, then 1×1 convolution), each with its own choice.</summary>
internal sealed record TwoSteps : TunedChoice
{
    public const string Kind = "two-steps";

    public override JsonObject ToJson() => new() { ["kind"] = Kind };
}

/// <summary>
/// What planning measured, kept on disk per device, driver-visible library version and precision, so that the
/// next process makes the same plans without timing every candidate again: a <see cref="TunedChoice"/> per step
/// shape. A cache only: a missing, stale, corrupt or older-format file means measuring again, never an error. One
/// file per device, e.g. <c>~/.cache/cudagenre/kernels/choices-NVIDIA_H100_80GB_HBM3-cc90-cudnn90600.json</c>.
/// </summary>
internal sealed class AlgorithmChoices
{
    /// <summary>Version 2: typed choices (version 1 kept "ALGO|MATH" strings, and is ignored).</summary>
    public const string FormatTag = "cudagenre-choices/2";

    private readonly Dictionary<string, TunedChoice> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Lock _saving = new(); // snapshot and write together, so an older snapshot never lands last
    private bool _dirty;

    private AlgorithmChoices(string? path) => Path = path;

    /// <summary>The file, or null for an in-memory set (nothing saved).</summary>
    public string? Path { get; }

    /// <summary>Opens (or starts) the file <paramref name="path"/>; a corrupt, foreign or older file is ignored and, when <paramref name="log"/> is given, reported.</summary>
    public static AlgorithmChoices Open(string? path, Action<string>? log = null)
    {
        var choices = new AlgorithmChoices(path);
        if (path is null || !File.Exists(path))
            return choices;
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))?.AsObject();
            if ((string?)root?["format"] != FormatTag || root["choices"] is not JsonObject entries)
                throw new JsonException($"not a {FormatTag} file");
            foreach (var (key, value) in entries)
            {
                if (TunedChoice.FromJson(value) is { } choice)
                    choices._entries[key] = choice;
            }
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            log?.Invoke($"CUDA: ignoring the saved plan choices in {path} ({e.Message}); measuring again.");
        }
        return choices;
    }

    /// <summary>The file name for a device: its name, compute capability and cuDNN version, made safe for a file system.</summary>
    public static string FileName(string deviceName, int computeCapability, long cudnnVersion)
    {
        var safe = new string([.. deviceName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_')]);
        return $"choices-{safe}-cc{computeCapability}-cudnn{cudnnVersion}.json";
    }

    public int Count
    {
        get
        {
            lock (_lock)
                return _entries.Count;
        }
    }

    /// <summary>The choice saved under <paramref name="key"/>, when there is one of type <typeparamref name="T"/>.</summary>
    public bool TryGet<T>(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? choice) where T : TunedChoice
    {
        lock (_lock)
        {
            choice = _entries.TryGetValue(key, out var found) ? found as T : null;
            return choice is not null;
        }
    }

    public void Set(string key, TunedChoice choice)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var old) && old == choice)
                return;
            _entries[key] = choice;
            _dirty = true;
        }
    }

    /// <summary>Writes the file if anything changed (atomically: a crash never leaves half a file). Failure to write is reported, not thrown.</summary>
    public void Save(Action<string>? log = null)
    {
        if (Path is null)
            return;
        lock (_saving)
            SaveLocked(Path, log);
    }

    private void SaveLocked(string path, Action<string>? log)
    {
        string text;
        lock (_lock)
        {
            if (!_dirty)
                return;
            var entries = new JsonObject();
            foreach (var (key, value) in _entries.OrderBy(e => e.Key, StringComparer.Ordinal))
                entries[key] = value.ToJson();
            text = new JsonObject { ["format"] = FormatTag, ["choices"] = entries }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            _dirty = false;
        }
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            AtomicFile.WriteText(path, text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log?.Invoke($"CUDA: could not save the plan choices to {path} ({e.Message}); the next process will measure again.");
        }
    }
}
