using System.Buffers;

namespace CudaGenre.Core.Imaging;

/// <summary>
/// What a model expects as input: its image size and per-channel normalization. The model file
/// carries these values, so the trainer and the engine always preprocess alike.
/// </summary>
public sealed record PreprocessSettings
{
    /// <summary>The ImageNet channel means (R, G, B) used by torchvision and timm models.</summary>
    public static IReadOnlyList<float> ImageNetMean { get; } = [0.485f, 0.456f, 0.406f];

    /// <summary>The ImageNet channel standard deviations (R, G, B).</summary>
    public static IReadOnlyList<float> ImageNetStd { get; } = [0.229f, 0.224f, 0.225f];

    /// <summary>Output width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Output height in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>Per-channel mean (R, G, B) subtracted after scaling to [0, 1]. Default: ImageNet.</summary>
    public IReadOnlyList<float> Mean { get; init; } = ImageNetMean;

    /// <summary>Per-channel standard deviation (R, G, B) divided by after the mean. Default: ImageNet.</summary>
    public IReadOnlyList<float> Std { get; init; } = ImageNetStd;

    /// <summary>Number of floats in one preprocessed image: 3 × Height × Width.</summary>
    public int TensorLength => 3 * Height * Width;
}

/// <summary>
/// Turns a decoded image into a model input: resize, scale to [0, 1], normalize per channel, and lay
/// out as CHW float32 (one image of an NCHW batch).
/// </summary>
/// <remarks>
/// <para>The resize convention, exactly: separable bilinear (triangle) filtering with half-pixel
/// centres and antialiasing, i.e. what <c>torch.nn.functional.interpolate(x, size, mode="bilinear",
/// align_corners=False, antialias=True)</c> and PIL's <c>Image.resize(BILINEAR)</c> compute. For output
/// pixel <c>i</c> along an axis of input length <c>n</c> and output length <c>m</c>: scale
/// <c>s = n / m</c>, centre <c>c = s·(i + 0.5)</c>, support <c>r = max(s, 1)</c>; the taps are the input
/// pixels <c>j</c> from <c>trunc(c − r + 0.5)</c> (at least 0) up to, not including,
/// <c>trunc(c + r + 0.5)</c> (at most n), weighted by <c>max(0, 1 − |(j + 0.5 − c) / max(s, 1)|)</c>
/// and normalized to sum 1. Upscaling is therefore plain bilinear interpolation, downscaling a
/// triangle filter as wide as the scale (no aliasing). Rows are filtered first, then columns, in
/// float32 on the 0–255 values; nothing is rounded back to 8 bits.</para>
/// <para>Then <c>x = (v / 255 − mean[c]) / std[c]</c>. Output layout: channel-major CHW, channels
/// R, G, B, rows top to bottom.</para>
/// <para>Thread-safe; the filter taps are computed once per input size and reused.</para>
/// </remarks>
public sealed class ImagePreprocessor
{
    private readonly float[] _scale = new float[3];
    private readonly float[] _offset = new float[3];
    // A reference, not a tuple struct: concurrent callers (an engine session's Classify) read and replace it, and
    // a reference is read or written whole, where a 32-byte struct could tear into one size's filters with another's.
    private SizedFilters? _filters;

    /// <summary>Creates a preprocessor for one model input shape.</summary>
    public ImagePreprocessor(PreprocessSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Height);
        if (settings.Mean.Count != 3 || settings.Std.Count != 3)
            throw new ArgumentException("Mean and Std need exactly 3 values (R, G, B).", nameof(settings));
        for (var c = 0; c < 3; c++)
        {
            if (!(settings.Std[c] > 0) || !float.IsFinite(settings.Std[c]) || !float.IsFinite(settings.Mean[c]))
                throw new ArgumentException($"Channel {c}: std must be positive and finite, mean finite.", nameof(settings));
            // (v / 255 − mean) / std folded into one multiply-add per value.
            _scale[c] = 1f / (255f * settings.Std[c]);
            _offset[c] = -settings.Mean[c] / settings.Std[c];
        }
        Settings = settings;
    }

    /// <summary>The output shape and normalization.</summary>
    public PreprocessSettings Settings { get; }

    /// <summary>
    /// The normalization as applied, per channel (R, G, B): the resized 0–255 value <c>v</c> becomes
    /// <c>v · ChannelScale[c] + ChannelOffset[c]</c> (a float32 multiply, then an add), with
    /// <c>ChannelScale[c] = 1f / (255f · std[c])</c> computed in float32. The GPU preprocessing kernel
    /// takes these exact values so that it matches this class bit for bit.
    /// </summary>
    public IReadOnlyList<float> ChannelScale => Array.AsReadOnly(_scale);

    /// <summary>The per-channel offset <c>−mean[c] / std[c]</c> (float32); see <see cref="ChannelScale"/>.</summary>
    public IReadOnlyList<float> ChannelOffset => Array.AsReadOnly(_offset);

    /// <summary>Preprocesses <paramref name="image"/> into a new CHW array of <see cref="PreprocessSettings.TensorLength"/> floats.</summary>
    public float[] Process(RgbImage image)
    {
        var tensor = new float[Settings.TensorLength];
        Process(image, tensor);
        return tensor;
    }

    /// <summary>
    /// Preprocesses <paramref name="image"/> into <paramref name="destination"/> (CHW, exactly
    /// <see cref="PreprocessSettings.TensorLength"/> floats, e.g. one slot of an NCHW batch).
    /// </summary>
    public void Process(RgbImage image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (destination.Length != Settings.TensorLength)
            throw new ArgumentException($"Destination holds {destination.Length} floats; 3×{Settings.Height}×{Settings.Width} = {Settings.TensorLength} are needed.", nameof(destination));

        var (horizontal, vertical) = FiltersFor(image.Width, image.Height);
        int outW = Settings.Width, outH = Settings.Height, inH = image.Height;
        var plane = outW * outH;

        // Pass 1: filter every input row to the output width (HWC, float).
        var rows = ArrayPool<float>.Shared.Rent(inH * outW * 3);
        try
        {
            var src = image.Pixels;
            for (var y = 0; y < inH; y++)
            {
                var srcRow = y * image.Width * 3;
                var dstRow = y * outW * 3;
                for (var x = 0; x < outW; x++)
                {
                    var taps = horizontal.Taps(x, out var first);
                    float r = 0, g = 0, b = 0;
                    var p = srcRow + (first * 3);
                    foreach (var w in taps)
                    {
                        r += w * src[p];
                        g += w * src[p + 1];
                        b += w * src[p + 2];
                        p += 3;
                    }
                    var d = dstRow + (x * 3);
                    rows[d] = r;
                    rows[d + 1] = g;
                    rows[d + 2] = b;
                }
            }

            // Pass 2: filter columns to the output height, normalize, and scatter to CHW.
            for (var y = 0; y < outH; y++)
            {
                var taps = vertical.Taps(y, out var first);
                for (var x = 0; x < outW; x++)
                {
                    float r = 0, g = 0, b = 0;
                    var p = (first * outW * 3) + (x * 3);
                    foreach (var w in taps)
                    {
                        r += w * rows[p];
                        g += w * rows[p + 1];
                        b += w * rows[p + 2];
                        p += outW * 3;
                    }
                    var o = (y * outW) + x;
                    destination[o] = (r * _scale[0]) + _offset[0];
                    destination[plane + o] = (g * _scale[1]) + _offset[1];
                    destination[(2 * plane) + o] = (b * _scale[2]) + _offset[2];
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rows);
        }
    }

    private (ResizeFilter Horizontal, ResizeFilter Vertical) FiltersFor(int width, int height)
    {
        // Images of one data set share a size, so one cached pair covers nearly every call.
        if (_filters is { } f && f.Width == width && f.Height == height)
            return (f.Horizontal, f.Vertical);
        var made = new SizedFilters(width, height, new ResizeFilter(width, Settings.Width), new ResizeFilter(height, Settings.Height));
        _filters = made;
        return (made.Horizontal, made.Vertical);
    }

    private sealed record SizedFilters(int Width, int Height, ResizeFilter Horizontal, ResizeFilter Vertical);
}

/// <summary>
/// The taps of an antialiased bilinear resize along one axis (see <see cref="ImagePreprocessor"/> for
/// the convention). Shared with the GPU preprocessing kernel, which takes the same tables.
/// </summary>
public sealed class ResizeFilter
{
    private readonly int[] _first;
    private readonly int[] _count;
    private readonly float[] _weights;

    /// <summary>Computes the taps for resizing an axis of <paramref name="inputSize"/> pixels to <paramref name="outputSize"/>.</summary>
    public ResizeFilter(int inputSize, int outputSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputSize);
        InputSize = inputSize;
        OutputSize = outputSize;
        var scale = (double)inputSize / outputSize;
        var support = Math.Max(scale, 1.0);
        MaxTaps = (int)Math.Ceiling(support) * 2 + 1;
        _first = new int[outputSize];
        _count = new int[outputSize];
        _weights = new float[outputSize * MaxTaps];
        // Extreme downscales have thousands of taps; keep those off the stack.
        Span<double> w = MaxTaps <= 512 ? stackalloc double[MaxTaps] : new double[MaxTaps];
        for (var i = 0; i < outputSize; i++)
        {
            var centre = scale * (i + 0.5);
            var lo = Math.Max((int)(centre - support + 0.5), 0);
            var hi = Math.Min((int)(centre + support + 0.5), inputSize);
            var total = 0.0;
            for (var j = lo; j < hi; j++)
            {
                var t = Math.Abs((j + 0.5 - centre) / support);
                w[j - lo] = t < 1 ? 1 - t : 0;
                total += w[j - lo];
            }
            _first[i] = lo;
            _count[i] = hi - lo;
            for (var k = 0; k < hi - lo; k++)
                _weights[(i * MaxTaps) + k] = (float)(total > 0 ? w[k] / total : 0);
        }
    }

    /// <summary>Input length along the axis.</summary>
    public int InputSize { get; }

    /// <summary>Output length along the axis.</summary>
    public int OutputSize { get; }

    /// <summary>Largest number of taps of any output pixel (the row stride of the weight table).</summary>
    public int MaxTaps { get; }

    /// <summary>
    /// The input index of the first tap of each output pixel (<see cref="OutputSize"/> entries). With
    /// <see cref="TapCounts"/> and <see cref="Weights"/>, the whole table as the GPU kernel takes it.
    /// </summary>
    public ReadOnlySpan<int> FirstTaps => _first;

    /// <summary>The number of taps of each output pixel (<see cref="OutputSize"/> entries).</summary>
    public ReadOnlySpan<int> TapCounts => _count;

    /// <summary>
    /// All weights, <see cref="OutputSize"/> × <see cref="MaxTaps"/>, row-major: the weight of input pixel
    /// <c>FirstTaps[i] + k</c> for output pixel <c>i</c> is at <c>i · MaxTaps + k</c>; entries at
    /// <c>k ≥ TapCounts[i]</c> are 0.
    /// </summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>The weights of output pixel <paramref name="i"/>; <paramref name="first"/> is the input index of the first tap.</summary>
    public ReadOnlySpan<float> Taps(int i, out int first)
    {
        first = _first[i];
        return _weights.AsSpan(i * MaxTaps, _count[i]);
    }
}
