using CudaGenre.Trainer.Data;

namespace CudaGenre.Trainer.Training;

/// <summary>How the learning rate changes from epoch to epoch.</summary>
internal enum LearningRateSchedule
{
    /// <summary>The same rate throughout.</summary>
    Constant,

    /// <summary>Cosine decay from the rate at epoch 1 towards 0 at the end of the last epoch (per epoch, no warm-up).</summary>
    Cosine,

    /// <summary>Multiplied by <see cref="TrainingSettings.StepGamma"/> every <see cref="TrainingSettings.StepEpochs"/> epochs.</summary>
    Step,
}

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

    /// <summary>The learning-rate schedule (default constant).</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>Label smoothing ε of the training loss, in [0, 1) (default 0: none).</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Mixup's α: each batch is mixed with a permutation of itself by λ ~ Beta(α, α) (default 0: no mixup).</summary>
    public double MixupAlpha { get; init; }

    /// <summary>Step schedule: epochs between decays (default 10).</summary>
    public int StepEpochs { get; init; } = 10;

    /// <summary>Step schedule: the factor applied at each decay (default 0.1).</summary>
    public double StepGamma { get; init; } = 0.1;

    /// <summary>
    /// The learning rate of epoch <paramref name="epoch"/> (from 1). A pure function of the epoch, so a resumed
    /// run needs no scheduler state. Cosine: lr · ½(1 + cos(π (epoch − 1) / epochs)), as PyTorch's
    /// CosineAnnealingLR with T_max = epochs and eta_min = 0 stepped once per epoch.
    /// </summary>
    public double LearningRateAt(int epoch) => Schedule switch
    {
        LearningRateSchedule.Cosine => LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (epoch - 1) / Epochs)),
        LearningRateSchedule.Step => LearningRate * Math.Pow(StepGamma, (epoch - 1) / StepEpochs),
        _ => LearningRate,
    };

    /// <summary>The schedule's name as the CLI and config.json write it.</summary>
    public string ScheduleName => Schedule.ToString().ToLowerInvariant();

    /// <summary>Parses a schedule name (constant, cosine, step).</summary>
    public static LearningRateSchedule ParseSchedule(string name) => name.ToLowerInvariant() switch
    {
        "constant" or "none" => LearningRateSchedule.Constant,
        "cosine" => LearningRateSchedule.Cosine,
        "step" => LearningRateSchedule.Step,
        _ => throw new ArgumentException($"--lr-schedule '{name}' is not a schedule (known: constant, cosine, step)."),
    };

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
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1))
            throw new ArgumentException($"--label-smoothing must be in [0, 1) (got {LabelSmoothing}).");
        if (!(MixupAlpha >= 0) || !double.IsFinite(MixupAlpha))
            throw new ArgumentException($"--mixup must be zero (off) or a positive α (got {MixupAlpha}).");
        if (StepEpochs < 1)
            throw new ArgumentException($"--lr-step-epochs must be at least 1 (got {StepEpochs}).");
        if (!(StepGamma > 0 && StepGamma <= 1))
            throw new ArgumentException($"--lr-step-gamma must be in (0, 1] (got {StepGamma}).");
    }
}
