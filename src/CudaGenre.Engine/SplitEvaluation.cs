using System.Diagnostics;
using CudaGenre.Core.Data;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Metrics;

namespace CudaGenre.Engine;

/// <summary>
/// The engine's verdict on a labelled part of a data set (a split's test images, say): what it predicted for
/// each image, in the entries' order, and the confusion matrix. Images are read on the CPU, then preprocessed exactly
/// as the trainer does and run in batches by <see cref="InferenceSession.Run(IReadOnlyList{RgbImage}, Span{float})"/>
/// (on the CUDA backend the preprocessing runs on the GPU).
/// </summary>
/// <param name="Truth">Each evaluated entry's label.</param>
/// <param name="Predicted">The engine's top-1 class for each evaluated entry.</param>
/// <param name="Matrix">Truth against prediction.</param>
/// <param name="EngineTime">Time spent in the engine: preprocessing and forward passes (not reading and decoding the files).</param>
public sealed record SplitEvaluation(IReadOnlyList<int> Truth, IReadOnlyList<int> Predicted, ConfusionMatrix Matrix, TimeSpan EngineTime)
{
    /// <summary>The entries that were classified, in order (all of them unless a file could not be read).</summary>
    public IReadOnlyList<SplitEntry> Evaluated { get; init; } = [];

    /// <summary>The files that could not be read, each with the reason; they are left out of <see cref="Matrix"/>.</summary>
    public IReadOnlyList<DatasetProblem> Failures { get; init; } = [];

    /// <summary>
    /// Classifies every entry (paths relative to <paramref name="root"/>) with the session. A file that cannot be
    /// read (<see cref="Core.DataFileException"/>: corrupt, truncated, over a limit) goes into <see cref="Failures"/>
    /// with its reason and the others are still classified, unless <paramref name="failFast"/>.
    /// </summary>
    /// <param name="session">The engine.</param>
    /// <param name="root">The data set's root folder.</param>
    /// <param name="entries">What to classify, with labels.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="progress">Told the number of entries done after each batch.</param>
    /// <param name="failFast">Throw at the first file that cannot be read instead of going on.</param>
    /// <param name="limits">Image size limits (default <see cref="Core.InputLimits.Default"/>).</param>
    /// <param name="cancellation">Checked between batches.</param>
    public static SplitEvaluation Run(InferenceSession session, string root, IReadOnlyList<SplitEntry> entries, int batchSize = 16, IProgress<int>? progress = null,
        bool failFast = false, Core.InputLimits? limits = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(entries);
        batchSize = Math.Max(1, Math.Min(batchSize, Math.Max(1, entries.Count)));
        var truth = new List<int>(entries.Count);
        var predicted = new List<int>(entries.Count);
        var evaluated = new List<SplitEntry>(entries.Count);
        var failures = new List<DatasetProblem>();
        var logits = new float[Core.SizeMath.Multiply(batchSize, session.ClassCount)];
        var engineTime = TimeSpan.Zero;
        for (var start = 0; start < entries.Count; start += batchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var count = Math.Min(batchSize, entries.Count - start);
            var images = new List<RgbImage>(count);
            var batch = new List<SplitEntry>(count);
            for (var i = 0; i < count; i++)
            {
                var entry = entries[start + i];
                try
                {
                    images.Add(ImageFile.Read(Path.Combine(root, entry.File), limits));
                    batch.Add(entry);
                }
                catch (Core.DataFileException e) when (!failFast)
                {
                    failures.Add(new DatasetProblem(entry.File, e.Problem));
                }
            }
            if (images.Count > 0)
            {
                var clock = Stopwatch.StartNew();
                session.Run(images, logits.AsSpan(0, images.Count * session.ClassCount));
                engineTime += clock.Elapsed;
                for (var i = 0; i < images.Count; i++)
                {
                    truth.Add(batch[i].Label);
                    predicted.Add(Classification.ArgMax(logits.AsSpan(i * session.ClassCount, session.ClassCount)));
                    evaluated.Add(batch[i]);
                }
            }
            progress?.Report(start + count);
        }
        return new SplitEvaluation(truth, predicted, ConfusionMatrix.From(truth, predicted, session.ClassNames), engineTime)
        {
            Evaluated = evaluated,
            Failures = failures,
        };
    }

    /// <summary>Balanced accuracy (mean per-class recall).</summary>
    public double BalancedAccuracy => Matrix.BalancedAccuracy;
}
