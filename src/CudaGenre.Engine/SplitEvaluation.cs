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
/// <param name="Truth">Each entry's label.</param>
/// <param name="Predicted">The engine's top-1 class for each entry.</param>
/// <param name="Matrix">Truth against prediction.</param>
/// <param name="EngineTime">Time spent in the engine: preprocessing and forward passes (not reading and decoding the files).</param>
public sealed record SplitEvaluation(IReadOnlyList<int> Truth, IReadOnlyList<int> Predicted, ConfusionMatrix Matrix, TimeSpan EngineTime)
{
    /// <summary>Classifies every entry (paths relative to <paramref name="root"/>) with the session.</summary>
    /// <param name="session">The engine.</param>
    /// <param name="root">The data set's root folder.</param>
    /// <param name="entries">What to classify, with labels.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="progress">Told the number of images done after each batch.</param>
    /// <param name="cancellation">Checked between batches.</param>
    public static SplitEvaluation Run(InferenceSession session, string root, IReadOnlyList<SplitEntry> entries, int batchSize = 16, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(entries);
        batchSize = Math.Max(1, Math.Min(batchSize, Math.Max(1, entries.Count)));
        var truth = new int[entries.Count];
        var predicted = new int[entries.Count];
        var logits = new float[batchSize * session.ClassCount];
        var engineTime = TimeSpan.Zero;
        for (var start = 0; start < entries.Count; start += batchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var count = Math.Min(batchSize, entries.Count - start);
            var images = new RgbImage[count];
            for (var i = 0; i < count; i++)
            {
                var entry = entries[start + i];
                images[i] = ImageFile.Read(Path.Combine(root, entry.File));
                truth[start + i] = entry.Label;
            }
            var clock = Stopwatch.StartNew();
            session.Run(images, logits.AsSpan(0, count * session.ClassCount));
            engineTime += clock.Elapsed;
            for (var i = 0; i < count; i++)
                predicted[start + i] = Classification.ArgMax(logits.AsSpan(i * session.ClassCount, session.ClassCount));
            progress?.Report(start + count);
        }
        return new SplitEvaluation(truth, predicted, ConfusionMatrix.From(truth, predicted, session.Spec.ClassNames), engineTime);
    }

    /// <summary>Balanced accuracy (mean per-class recall).</summary>
    public double BalancedAccuracy => Matrix.BalancedAccuracy;
}
