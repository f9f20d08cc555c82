using CudaGenre.Core;

namespace CudaGenre.Engine;

/// <summary>Where a session runs.</summary>
public enum Backend
{
    /// <summary>CUDA when a usable device and libraries are found, else CPU (the reason is logged once).</summary>
    Auto,

    /// <summary>The CPU backend: FP32, the reference and fallback (and BF16 on CPUs with AVX512_BF16).</summary>
    Cpu,

    /// <summary>The CUDA backend (cuDNN, cuBLASLt and our kernels).</summary>
    Cuda,
}

/// <summary>Arithmetic precision. One switch drives kernel compilation, weight conversion and test tolerances.</summary>
public enum Precision
{
    /// <summary>FP32 storage and math: exact mode (logits within 1e-4 relative L2 of PyTorch FP32).</summary>
    Fp32,

    /// <summary>FP32 storage, TF32 tensor-core math (CUDA only).</summary>
    Tf32,

    /// <summary>FP16 storage, FP32 accumulation (CUDA only).</summary>
    Fp16,

    /// <summary>
    /// BF16 storage, FP32 accumulation: on CUDA, and on the CPU where it has AVX512_BF16 (VDPBF16PS; e.g. Intel
    /// Sapphire Rapids, AMD Zen 4): convolution weights and their inputs are rounded to BF16; the linear layers (the
    /// classifier head), depthwise convolutions, pooling and, on the CPU, a first layer on RGB that runs as a direct
    /// convolution stay FP32. Elsewhere the CPU backend refuses it, naming the missing feature.
    /// </summary>
    Bf16,

    /// <summary>
    /// INT8 GEMMs with int32 sums, on the CPU backend only (AVX2; AVX-VNNI and AVX-512BW used where present): convolution weights quantized once per output channel
    /// to 7 bits, their inputs per row (pixel) to u8 as they are read, with no calibration data (dynamic quantization).
    /// Depthwise convolutions, pooling, a first layer on RGB that runs as a direct convolution, the Winograd 3×3
    /// convolutions and the linear layers stay FP32. For speed where BF16 hardware is missing; check its accuracy with
    /// <c>cudagenre verify --precision int8</c>.
    /// </summary>
#pragma warning disable CA1720 // INT8 and INT16 are the precisions' names (ONNX Runtime, TensorRT, cuDNN), not types'
    Int8,

    /// <summary>
    /// Like <see cref="Int8"/>, with 10-bit weights and activations in 16-bit integer multiplies (VPMADDWD, exact, no
    /// saturation limit): about BF16's accuracy where INT8's is not enough, at about 1.5× INT8's time on AVX2 (still under
    /// FP32's), about INT8's on AVX-512. CPU backend only (AVX2; AVX-VNNI and AVX-512BW used where present); a layer deeper than 8 192 is refused.
    /// </summary>
    Int16,
#pragma warning restore CA1720
}

/// <summary>How an <see cref="InferenceSession"/> is created.</summary>
public sealed record SessionOptions
{
    /// <summary>The backend; default <see cref="Backend.Auto"/>.</summary>
    public Backend Backend { get; init; } = Backend.Auto;

    /// <summary>The precision; default <see cref="Precision.Fp32"/>. The CPU backend supports FP32, INT8 (AVX2), and BF16 on CPUs with AVX512_BF16.</summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>CPU threads per concurrent <c>Run</c> (default: all logical processors).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The CUDA backend's settings (device, CUDA graphs, measuring); the CPU backend ignores them.</summary>
    public CudaOptions Cuda { get; init; } = new();

    /// <summary>Shorthand for <see cref="CudaOptions.Device"/> of <see cref="Cuda"/> (kept for source compatibility).</summary>
    public int Device
    {
        get => Cuda.Device;
        init => Cuda = Cuda with { Device = value };
    }

    /// <summary>Shorthand for <see cref="CudaOptions.UseCudaGraphs"/> of <see cref="Cuda"/> (kept for source compatibility).</summary>
    public bool UseCudaGraphs
    {
        get => Cuda.UseCudaGraphs;
        init => Cuda = Cuda with { UseCudaGraphs = value };
    }

    /// <summary>Shorthand for <see cref="CudaOptions.MeasureConvolutionAlgorithms"/> of <see cref="Cuda"/> (kept for source compatibility).</summary>
    public bool MeasureConvolutionAlgorithms
    {
        get => Cuda.MeasureConvolutionAlgorithms;
        init => Cuda = Cuda with { MeasureConvolutionAlgorithms = value };
    }

    /// <summary>
    /// Limits checked before anything is allocated: the model's input size (C·H·W per item), the batch size of a
    /// <c>Run</c>, the CPU threads, and, for <c>Classify</c> callers that decode files, image and audio sizes.
    /// Default <see cref="InputLimits.Default"/>.
    /// </summary>
    public InputLimits Limits { get; init; } = InputLimits.Default;

    /// <summary>
    /// Skip the check, made when a session opens, that every weight is finite and every BatchNorm variance is not
    /// negative. Default false: a NaN or infinite weight is an error naming the tensor. Set it only for a model you
    /// know to be usable anyway; logits that are not finite remain an error in every case.
    /// </summary>
    public bool AllowNonFiniteWeights { get; init; }

    /// <summary>
    /// How many idle execution plans (each for a maximum batch, with its arena and its worker threads or CUDA stream)
    /// a session keeps for reuse; when a plan comes back and they are full, the least recently used one is released.
    /// So a service whose batch sizes vary holds at most this many plans plus one per call in flight. A batch gets an
    /// idle plan of its own size or, on CUDA, the smallest larger one under twice its size (run padded). Default 4.
    /// </summary>
    public int MaxIdlePlans { get; init; } = 4;

    /// <summary>Receives the session's one-line notices (e.g. why <see cref="Backend.Auto"/> chose the CPU). Default: none.</summary>
    public Action<string>? Log { get; init; }
}
