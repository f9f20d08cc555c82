using System.Text.Json;
using System.Text.Json.Nodes;
using CudaGenre.Core;

namespace CudaGenre.Engine.Cuda;

/// <summary>
/// What planning measured, kept on disk per device, driver-visible library version and precision, so that the
/// next process makes the same plans without timing every candidate again: the cuDNN algorithm of each
/// convolution shape, and whether our depthwise kernel or cuDNN won on each depthwise shape. A cache only: a
/// missing, stale or corrupt file means measuring again, never an error. One file per device, e.g.
/// <c>~/.cache/cudagenre/kernels/choices-NVIDIA_H100_80GB_HBM3-cc90-cudnn90600.json</c>.
/// </summary>
internal sealed class AlgorithmChoices
{
    public const string FormatTag = "cudagenre-choices/1";

    private readonly Dictionary<string, string> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Lock _saving = new(); // snapshot and write together, so an older snapshot never lands last
    private bool _dirty;

    private AlgorithmChoices(string? path) => Path = path;

    /// <summary>The file, or null for an in-memory set (nothing saved).</summary>
    public string? Path { get; }

    /// <summary>Opens (or starts) the file <paramref name="path"/>; a corrupt or foreign file is ignored and, when <paramref name="log"/> is given, reported.</summary>
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
                if (value?.GetValueKind() == JsonValueKind.String)
                    choices._entries[key] = value.GetValue<string>();
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

    public bool TryGet(string key, out string value)
    {
        lock (_lock)
            return _entries.TryGetValue(key, out value!);
    }

    public void Set(string key, string value)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var old) && old == value)
                return;
            _entries[key] = value;
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
                entries[key] = value;
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
