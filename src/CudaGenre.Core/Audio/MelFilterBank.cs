namespace CudaGenre.Core.Audio;

/// <summary>
/// Triangular mel filters over the one-sided FFT bins, built as librosa's <c>filters.mel(htk=False,
/// norm='slaney')</c> builds them, and stored sparsely: each filter keeps only the run of bins where its weight
/// is non-zero (a few bins at low frequencies, a few dozen at the top).
/// </summary>
internal sealed class MelFilterBank
{
    private readonly int[] _firstBin;
    private readonly int[] _offset;
    private readonly float[] _weights;

    private MelFilterBank(int binCount, int[] firstBin, int[] offset, float[] weights)
    {
        BinCount = binCount;
        _firstBin = firstBin;
        _offset = offset;
        _weights = weights;
    }

    /// <summary>Number of filters (mel bands).</summary>
    public int MelCount => _firstBin.Length;

    /// <summary>Number of FFT bins each filter spans in its dense form (FftSize / 2 + 1).</summary>
    public int BinCount { get; }

    /// <summary>First bin with non-zero weight in filter <paramref name="band"/>.</summary>
    public int FirstBin(int band) => _firstBin[band];

    /// <summary>The non-zero run of weights of filter <paramref name="band"/>, starting at <see cref="FirstBin"/>.</summary>
    public ReadOnlySpan<float> Weights(int band) => _weights.AsSpan(_offset[band], _offset[band + 1] - _offset[band]);

    /// <summary>Builds the filters for <paramref name="settings"/>.</summary>
    public static MelFilterBank Create(MelSpectrogramSettings settings)
    {
        var bins = settings.BinCount;
        var melCount = settings.MelCount;
        var edges = MelSpectrogram.MelFrequencies(melCount + 2, settings.FMin, settings.EffectiveFMax);
        var firstBin = new int[melCount];
        var offset = new int[melCount + 1];
        var weights = new List<float>(bins * 2);
        var row = new double[bins];
        for (var m = 0; m < melCount; m++)
        {
            var lowerWidth = edges[m + 1] - edges[m];
            var upperWidth = edges[m + 2] - edges[m + 1];
            // Slaney normalization: each triangle has unit area in Hz, so wide high filters are not louder.
            var norm = 2.0 / (edges[m + 2] - edges[m]);
            int first = -1, last = -1;
            for (var k = 0; k < bins; k++)
            {
                var f = (double)k * settings.SampleRate / settings.FftSize;
                var rising = (f - edges[m]) / lowerWidth;
                var falling = (edges[m + 2] - f) / upperWidth;
                row[k] = Math.Max(0, Math.Min(rising, falling)) * norm;
                if (row[k] > 0)
                {
                    if (first < 0)
                        first = k;
                    last = k;
                }
            }

            firstBin[m] = Math.Max(first, 0);
            offset[m] = weights.Count;
            for (var k = first; first >= 0 && k <= last; k++)
                weights.Add((float)row[k]);
        }

        offset[melCount] = weights.Count;
        return new MelFilterBank(bins, firstBin, offset, [.. weights]);
    }

    /// <summary>The filters as a dense MelCount × BinCount matrix, row-major (for checks).</summary>
    public float[,] ToDense()
    {
        var dense = new float[MelCount, BinCount];
        for (var m = 0; m < MelCount; m++)
        {
            var w = Weights(m);
            for (var j = 0; j < w.Length; j++)
                dense[m, FirstBin(m) + j] = w[j];
        }

        return dense;
    }

    /// <summary>Applies every filter to one power spectrum (BinCount values), writing band m to output[m · stride].</summary>
    public void Apply(ReadOnlySpan<float> spectrum, Span<float> output, int stride)
    {
        for (var m = 0; m < MelCount; m++)
        {
            var w = Weights(m);
            var s = spectrum.Slice(_firstBin[m], w.Length);
            var sum = 0f;
            for (var j = 0; j < w.Length; j++)
                sum += w[j] * s[j];
            output[m * stride] = sum;
        }
    }
}
