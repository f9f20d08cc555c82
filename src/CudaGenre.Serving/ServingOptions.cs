using CudaGenre.Core;
using CudaGenre.Engine;

namespace CudaGenre.Serving;

/// <summary>One model to serve: a name in URLs, a model file, and how to run and batch it.</summary>
/// <param name="Name">The model's name in <c>/v2/models/{name}</c> (letters, digits, '-', '_', '.').</param>
/// <param name="Path">The model file (model.safetensors from the trainer).</param>
public sealed record ModelRegistration(string Name, string Path)
{
    /// <summary>Backend, precision and threads (default: <see cref="Backend.Auto"/>, FP32).</summary>
    public SessionOptions Session { get; init; } = new();

    /// <summary>This model's batching; null: <see cref="ServingOptions.Batching"/>.</summary>
    public BatchingOptions? Batching { get; init; }

    /// <summary>Tests: wraps the model the queue runs (e.g. to hold batches back).</summary>
    internal Func<IBatchModel, IBatchModel>? Decorate { get; init; }

    /// <summary>Tests: runs before the model warms up (e.g. to hold readiness back).</summary>
    internal Action? BeforeWarmUp { get; init; }
}

/// <summary>What <c>AddCudaGenre</c> serves and the limits it enforces.</summary>
public sealed class ServingOptions
{
    /// <summary>The models (at least one).</summary>
    public IList<ModelRegistration> Models { get; } = [];

    /// <summary>Batching for models that set none of their own.</summary>
    public BatchingOptions Batching { get; set; } = new();

    /// <summary>Largest request body, in bytes; a larger one gets 413 before it is read. Default 64 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64L << 20;

    /// <summary>Image and audio decoding limits for <c>/classify</c> (default <see cref="InputLimits.Default"/>).</summary>
    public InputLimits Limits { get; set; } = InputLimits.Default;

    /// <summary>Run every model once per warm-up batch size before reporting ready. Default true.</summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>How long shutdown waits for queued and running requests before failing those still queued. Default 30 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Adds every <c>*.safetensors</c> file of <paramref name="folder"/> as a model named after the file.</summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="ArgumentException">No model files in it.</exception>
    public ServingOptions AddFolder(string folder, SessionOptions? session = null)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"model folder {folder} does not exist.");
        var files = Directory.GetFiles(folder, "*.safetensors").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
            throw new ArgumentException($"model folder {folder} holds no *.safetensors files.", nameof(folder));
        foreach (var file in files)
            Models.Add(new ModelRegistration(System.IO.Path.GetFileNameWithoutExtension(file), file) { Session = session ?? new SessionOptions() });
        return this;
    }

    /// <summary>Checks the options; returns this.</summary>
    /// <exception cref="ArgumentException">No models, a bad or repeated name, or a limit out of range.</exception>
    public ServingOptions Validate()
    {
        if (Models.Count == 0)
            throw new ArgumentException("no models to serve: give at least one (--model NAME=PATH).");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in Models)
        {
            if (string.IsNullOrEmpty(m.Name) || m.Name.Length > 128 || !m.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                throw new ArgumentException($"model name '{m.Name}' must be 1 to 128 of letters, digits, '-', '_' and '.'.");
            if (!seen.Add(m.Name))
                throw new ArgumentException($"model name '{m.Name}' is given twice.");
            (m.Batching ?? Batching).Validate();
        }
        if (MaxRequestBodyBytes < 1024 || MaxRequestBodyBytes > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(MaxRequestBodyBytes), $"MaxRequestBodyBytes must be between 1024 and {Array.MaxLength} (one array); got {MaxRequestBodyBytes}.");
        if (DrainTimeout < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(DrainTimeout), $"DrainTimeout must not be negative; got {DrainTimeout}.");
        Limits.Validate();
        return this;
    }
}
