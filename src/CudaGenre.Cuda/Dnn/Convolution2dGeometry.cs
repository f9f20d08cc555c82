namespace CudaGenre.Cuda.Dnn;

/// <summary>
/// Padding, stride, dilation and groups of a 2-d convolution, as PyTorch's Conv2d takes them (symmetric zero padding).
/// </summary>
/// <param name="PadH">Zero rows added above and below.</param>
/// <param name="PadW">Zero columns added left and right.</param>
/// <param name="StrideH">Vertical stride.</param>
/// <param name="StrideW">Horizontal stride.</param>
/// <param name="DilationH">Vertical dilation (1 = dense).</param>
/// <param name="DilationW">Horizontal dilation.</param>
/// <param name="Groups">Channel groups: 1 = dense, C = depthwise.</param>
public readonly record struct Convolution2dGeometry(int PadH, int PadW, int StrideH = 1, int StrideW = 1,
    int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    /// <summary>
    /// The output size for an input of <paramref name="input"/> and a filter of K×(C/groups)×R×S:
    /// ⌊(in + 2·pad − dilation·(window − 1) − 1) / stride⌋ + 1 per spatial axis (PyTorch's formula, floor mode).
    /// </summary>
    /// <exception cref="ArgumentException">The channels do not divide into the groups, or the window does not fit.</exception>
    public TensorDims OutputDims(TensorDims input, int k, int filterC, int r, int s)
    {
        Validate();
        if (input.C % Groups != 0 || k % Groups != 0)
            throw new ArgumentException($"{Groups} groups do not divide the {input.C} input and {k} output channels");
        if (filterC * Groups != input.C)
            throw new ArgumentException($"the filter has {filterC} input channels per group; {Groups} groups of it need {filterC * Groups} input channels, the input has {input.C}");
        var h = Out(input.H, PadH, DilationH, r, StrideH);
        var w = Out(input.W, PadW, DilationW, s, StrideW);
        if (h <= 0 || w <= 0)
            throw new ArgumentException($"a {r}×{s} window (dilation {DilationH}×{DilationW}) does not fit an input of {input.H}×{input.W} padded by {PadH}×{PadW}");
        return new TensorDims(input.N, k, h, w);
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for negative padding or non-positive stride, dilation or groups.</summary>
    public void Validate()
    {
        if (PadH < 0 || PadW < 0)
            throw new ArgumentOutOfRangeException(nameof(PadH), $"padding must not be negative, got {PadH}×{PadW}");
        if (StrideH <= 0 || StrideW <= 0 || DilationH <= 0 || DilationW <= 0 || Groups <= 0)
            throw new ArgumentOutOfRangeException(nameof(StrideH), $"stride {StrideH}×{StrideW}, dilation {DilationH}×{DilationW} and groups {Groups} must be positive");
    }

    private static int Out(int size, int pad, int dilation, int window, int stride) =>
        (int)Math.Floor((size + 2.0 * pad - dilation * (window - 1) - 1) / stride) + 1;
}
