using CudaGenre.Core.Models;

namespace CudaGenre.Trainer.Training;

/// <summary>Everything a <c>train</c> run is given (written to <c>config.json</c>).</summary>
internal sealed record RunOptions
{
    /// <summary>GTZAN-layout data set root; null = the built-in synthetic data set, generated once into <see cref="SynthCache"/>.</summary>
    public string? Data { get; init; }

    /// <summary>Where the synthetic data set is generated and reused when <see cref="Data"/> is null.</summary>
    public string SynthCache { get; init; } = DefaultSynthCache;

    /// <summary>Clips per genre of the synthetic data set (default 100, as GTZAN).</summary>
    public int SynthCountPerGenre { get; init; } = 100;

    /// <summary>An existing split manifest (JSON) to use; null = a fresh stratified 80/10/10 split with <see cref="SplitSeed"/>.</summary>
    public string? Split { get; init; }

    /// <summary>Seed of the 80/10/10 split (default 42, fixed apart from the training seed so runs compare on one split).</summary>
    public ulong SplitSeed { get; init; } = 42;

    /// <summary>Architecture (default cnn).</summary>
    public Architecture Architecture { get; init; } = Architecture.Cnn;

    /// <summary>Classifier head (default linear).</summary>
    public ClassifierHead Head { get; init; } = ClassifierHead.Linear;

    /// <summary>Input height × width; null = the architecture's default (<see cref="ModelSpec.Default"/>).</summary>
    public (int Height, int Width)? InputSize { get; init; }

    /// <summary>Optimization settings.</summary>
    public TrainingSettings Training { get; init; } = new();

    /// <summary>A safetensors file with torchvision/timm-named weights to start from (its classifier is replaced).</summary>
    public string? Pretrained { get; init; }

    /// <summary>The run folder; everything the run writes goes here.</summary>
    public required string Output { get; init; }

    /// <summary>libtorch intra-op threads (<c>torch.set_num_threads</c>); 0 = the number of cores.</summary>
    public int Threads { get; init; }

    /// <summary>Most test inputs stored in reference.safetensors (all when there are at most this many, else a seeded subset; default 256, at least 64).</summary>
    public int ReferenceLimit { get; init; } = 256;

    /// <summary>~/.cache/cudagenre/synth (or $XDG_CACHE_HOME/cudagenre/synth).</summary>
    public static string DefaultSynthCache
    {
        get
        {
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(cache))
                cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cache, "cudagenre", "synth");
        }
    }
}
