using CudaGenre.Core;
using CudaGenre.Core.Data;
using CudaGenre.Core.Imaging;

namespace CudaGenre.Trainer.Data;

/// <summary>
/// One part of a split (train, validation or test), decoded and preprocessed once and held in memory as
/// CHW float32 model inputs, exactly as the engine preprocesses them (<see cref="ImagePreprocessor"/>).
/// The training part may also keep the decoded images, so that random time crops can be cut from the
/// original image before resizing (see <see cref="Augmentation"/>).
/// </summary>
internal sealed class SpectrogramSet
{
    private readonly float[][] _inputs;
    private readonly RgbImage[]? _images;
    private readonly ImagePreprocessor _preprocessor;

    private SpectrogramSet(string[] files, int[] labels, float[][] inputs, RgbImage[]? images, ImagePreprocessor preprocessor)
    {
        Files = files;
        Labels = labels;
        _inputs = inputs;
        _images = images;
        _preprocessor = preprocessor;
    }

    /// <summary>File paths relative to the data set root, in manifest order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Genre labels, parallel to <see cref="Files"/>.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>Number of samples.</summary>
    public int Count => Files.Count;

    /// <summary>Floats in one input: 3 × height × width.</summary>
    public int InputLength => _preprocessor.Settings.TensorLength;

    /// <summary>The preprocessing applied.</summary>
    public PreprocessSettings Settings => _preprocessor.Settings;

    /// <summary>The preprocessed (unaugmented) input of sample <paramref name="index"/>, CHW.</summary>
    public ReadOnlySpan<float> Input(int index) => _inputs[index];

    /// <summary>
    /// Decodes and preprocesses the files of <paramref name="part"/> (in parallel). Any unreadable file is an
    /// error here: the data set was verified when it was opened, so a failure now means it changed.
    /// </summary>
    /// <param name="dataset">The data set the manifest refers to.</param>
    /// <param name="split">The split.</param>
    /// <param name="part">Which part to load.</param>
    /// <param name="settings">Model input size and normalization.</param>
    /// <param name="keepImages">Keep the decoded images too (needed for random time crops).</param>
    /// <param name="progress">Receives the number of files done.</param>
    /// <param name="cancellation">Stops between files.</param>
    public static SpectrogramSet Load(
        GtzanDataset dataset,
        SplitManifest split,
        SplitPart part,
        PreprocessSettings settings,
        bool keepImages,
        IProgress<int>? progress = null,
        CancellationToken cancellation = default)
    {
        var entries = split.Part(part).ToArray();
        if (entries.Length == 0)
            throw new InvalidOperationException($"The {part.ToString().ToLowerInvariant()} part of split {split.ShortHash} is empty: the data set is too small.");
        var preprocessor = new ImagePreprocessor(settings);
        var inputs = new float[entries.Length][];
        var images = keepImages ? new RgbImage[entries.Length] : null;
        var done = 0;
        Parallel.For(0, entries.Length, new ParallelOptions { CancellationToken = cancellation }, i =>
        {
            var path = Path.Combine(dataset.Root, entries[i].File.Replace('/', Path.DirectorySeparatorChar));
            var image = ImageFile.Read(path);
            inputs[i] = preprocessor.Process(image);
            if (images is not null)
                images[i] = image;
            progress?.Report(Interlocked.Increment(ref done));
        });
        return new SpectrogramSet(
            [.. entries.Select(e => e.File)],
            [.. entries.Select(e => e.Label)],
            inputs,
            images,
            preprocessor);
    }

    /// <summary>Builds a set from inputs already in memory (tests, synthetic tensors).</summary>
    public static SpectrogramSet FromInputs(IReadOnlyList<float[]> inputs, IReadOnlyList<int> labels, PreprocessSettings settings)
    {
        if (inputs.Count != labels.Count)
            throw new ArgumentException($"{inputs.Count} inputs but {labels.Count} labels.", nameof(labels));
        foreach (var input in inputs)
        {
            if (input.Length != settings.TensorLength)
                throw new ArgumentException($"An input holds {input.Length} floats; 3×{settings.Height}×{settings.Width} = {settings.TensorLength} expected.", nameof(inputs));
        }

        return new SpectrogramSet(
            [.. Enumerable.Range(0, inputs.Count).Select(i => $"sample{i:00000}")],
            [.. labels],
            [.. inputs],
            null,
            new ImagePreprocessor(settings));
    }

    /// <summary>
    /// Copies the inputs of <paramref name="indices"/> into <paramref name="batch"/> (NCHW), augmented when
    /// <paramref name="augmentation"/> is enabled, drawing from <paramref name="random"/>.
    /// </summary>
    public void FillBatch(ReadOnlySpan<int> indices, Span<float> batch, Augmentation? augmentation, SeededRandom? random)
    {
        var length = InputLength;
        if (batch.Length != indices.Length * length)
            throw new ArgumentException($"The batch buffer holds {batch.Length} floats; {indices.Length} × {length} are needed.", nameof(batch));
        for (var b = 0; b < indices.Length; b++)
        {
            var slot = batch.Slice(b * length, length);
            var index = indices[b];
            if (augmentation is { Enabled: true } && random is not null)
                augmentation.Apply(_images?[index], _inputs[index], _preprocessor, slot, random);
            else
                _inputs[index].CopyTo(slot);
        }
    }
}
