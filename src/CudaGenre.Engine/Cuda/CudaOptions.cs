namespace CudaGenre.Engine;

/// <summary>
/// The CUDA backend's settings (<see cref="SessionOptions.Cuda"/>), apart from the options every backend shares,
/// as ONNX Runtime keeps its CUDA provider's options. The CPU backend ignores them.
/// </summary>
public sealed record CudaOptions
{
    /// <summary>The CUDA device ordinal; default 0.</summary>
    public int Device { get; init; }

    /// <summary>
    /// After a plan's first (eager) run, capture its forward pass as a CUDA graph and replay that, which removes the
    /// per-launch CPU cost at small batches. Default true; where capture fails the plan stays eager and says why.
    /// </summary>
    public bool UseCudaGraphs { get; init; } = true;

    /// <summary>
    /// Choose each convolution's cuDNN algorithm (and each depthwise and separable step's kernel) by timing the
    /// candidates on the device rather than by cuDNN's heuristic. Slower to make a plan, usually faster to run; the
    /// choices are kept on disk per device. Default true.
    /// </summary>
    public bool MeasureConvolutionAlgorithms { get; init; } = true;

    /// <summary>
    /// Xception's separable convolutions: whether a depthwise step and the 1×1 convolution after it run as one fused
    /// kernel, as two steps, or as whichever was measured faster (the default). Tests force either path.
    /// </summary>
    internal SeparablePath Separable { get; init; } = SeparablePath.Fastest;

    /// <summary>
    /// The depthwise candidate every depthwise step runs (a kernel's entry point, or
    /// <see cref="Cuda.Ops.Depthwise.CudnnCandidate"/>) instead of the measured fastest, where it applies to the step.
    /// Tests force each in turn: a candidate that only wins on some GPU must still be right on every one.
    /// </summary>
    internal string? Depthwise { get; init; }
}

/// <summary>How the CUDA backend runs a depthwise 3×3 convolution followed by a 1×1 convolution.</summary>
internal enum SeparablePath
{
    /// <summary>Time both on the device while planning and keep the faster (without measuring: two steps).</summary>
    Fastest,

    /// <summary>One <c>separable3x3</c> kernel: the depthwise values never leave the chip.</summary>
    Fused,

    /// <summary>The depthwise step, then cuDNN's 1×1 convolution.</summary>
    Split,
}
