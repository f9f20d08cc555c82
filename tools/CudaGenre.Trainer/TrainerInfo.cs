using System.Reflection;
using System.Text.Json;
using static TorchSharp.torch;

namespace CudaGenre.Trainer;

/// <summary>The trainer's name and version, as recorded in model files.</summary>
internal static class TrainerInfo
{
    /// <summary>"cudagenre-train 0.1.0".</summary>
    public static string Version { get; } =
        $"cudagenre-train {typeof(TrainerInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0"}";
}

/// <summary>libtorch process-wide settings.</summary>
internal static class Torch
{
    /// <summary>The intra-op thread count in force.</summary>
    public static int Threads => get_num_threads();

    /// <summary>Sets libtorch's intra-op threads (<c>torch.set_num_threads</c>); 0 keeps libtorch's default (one per core).</summary>
    public static void Configure(int threads)
    {
        if (threads < 0)
            throw new ArgumentException($"--threads must be 0 (all cores) or positive (got {threads}).");
        if (threads > 0)
            set_num_threads(threads);
    }

    /// <summary>A line describing libtorch's configuration.</summary>
    public static string Describe() => $"CPU, {Threads} threads, {Environment.ProcessorCount} cores";
}

/// <summary>Shared JSON settings.</summary>
internal static class JsonOptions
{
    /// <summary>Indented output for the human-readable run files.</summary>
    public static JsonSerializerOptions Indented { get; } = new() { WriteIndented = true };
}
