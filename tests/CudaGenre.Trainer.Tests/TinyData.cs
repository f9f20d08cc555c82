using CudaGenre.Core;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Metrics;
using CudaGenre.Trainer.Data;
using CudaGenre.Trainer.Training;

namespace CudaGenre.Trainer.Tests;

/// <summary>
/// Small learnable data (seeded): each class has its own random per-channel level and horizontal stripe
/// period, plus noise. Learnable through the CNN's global average pool, unlike a random pixel pattern.
/// </summary>
internal static class TinyData
{
    public static SpectrogramSet Make(int perClass, int height, int width, ulong seed, int classes = 10)
    {
        var settings = new PreprocessSettings { Width = width, Height = height };
        var patterns = new float[classes][];
        var patternRandom = new SeededRandom(1234);
        for (var c = 0; c < classes; c++)
        {
            var levels = new[] { patternRandom.NextGaussian(), patternRandom.NextGaussian(), patternRandom.NextGaussian() };
            var period = 2 + (c % 5);
            patterns[c] = [.. Enumerable.Range(0, settings.TensorLength).Select(i =>
            {
                var channel = i / (height * width);
                var row = i % (height * width) / width;
                return (float)(levels[channel] + (row % period == 0 ? 1.0 : 0.0));
            })];
        }
        var random = new SeededRandom(seed);
        var inputs = new List<float[]>();
        var labels = new List<int>();
        for (var i = 0; i < perClass; i++)
        {
            for (var c = 0; c < classes; c++)
            {
                inputs.Add([.. patterns[c].Select(v => v + (float)(0.5 * random.NextGaussian()))]);
                labels.Add(c);
            }
        }

        return SpectrogramSet.FromInputs(inputs, labels, settings);
    }
}

/// <summary>Records what the loop reports; can cancel after a given step.</summary>
internal sealed class RecordingObserver(CancellationTokenSource? cancelAfter = null, int cancelAtBatch = int.MaxValue) : ITrainingObserver
{
    public List<string> Lines { get; } = [];

    public List<EpochMetrics> Epochs { get; } = [];

    public int Steps { get; private set; }

    public void EpochStarted(int epoch, int batches)
    {
    }

    public void BatchFinished(int epoch, int batch, double runningLoss, double runningAccuracy)
    {
        Steps++;
        Assert.True(double.IsFinite(runningLoss));
        if (Steps >= cancelAtBatch)
            cancelAfter?.Cancel();
    }

    public void EpochFinished(EpochMetrics metrics, bool isBest, TimeSpan trainTime, TimeSpan validationTime) => Epochs.Add(metrics);

    public void Log(string message) => Lines.Add(message);
}
