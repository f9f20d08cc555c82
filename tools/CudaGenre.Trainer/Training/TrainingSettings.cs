using CudaGenre.Trainer.Data;

namespace CudaGenre.Trainer.Training;

/// <summary>The optimization settings of one run (all have CLI options; the defaults are the CLI's).</summary>
internal sealed record TrainingSettings
{
    /// <summary>Number of passes over the training set (default 30).</summary>
    public int Epochs { get; init; } = 30;

    /// <summary>Samples per optimizer step (default 16).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Adam learning rate (default 1e-3; the seed study used 1e-3 and 1e-4).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Adam's L2 penalty (<c>weight_decay</c> of <c>torch.optim.Adam</c>, default 0).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Seeds the weights (<c>torch.manual_seed</c>), dropout, the data order and augmentation (default 42).</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Train only the head: backbone parameters get no gradient, backbone BatchNorm layers stay in eval mode.</summary>
    public bool FreezeBackbone { get; init; }

    /// <summary>Training-time augmentation (default none).</summary>
    public Augmentation Augmentation { get; init; } = Augmentation.None;

    /// <summary>Validate every epoch; stop early when balanced accuracy has not improved for this many epochs (0 = never, the default).</summary>
    public int Patience { get; init; }

    /// <summary>Checks the values, naming the first bad one.</summary>
    public void Validate()
    {
        if (Epochs < 1)
            throw new ArgumentException($"--epochs must be at least 1 (got {Epochs}).");
        if (BatchSize < 1)
            throw new ArgumentException($"--batch-size must be at least 1 (got {BatchSize}).");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            throw new ArgumentException($"--lr must be positive (got {LearningRate}).");
        if (WeightDecay < 0 || !double.IsFinite(WeightDecay))
            throw new ArgumentException($"--weight-decay must be zero or positive (got {WeightDecay}).");
        if (Patience < 0)
            throw new ArgumentException($"--patience must be zero or positive (got {Patience}).");
    }
}
