using System.Globalization;
using CudaGenre.Core.Data;
using CudaGenre.Core.Imaging;
using CudaGenre.Engine;

namespace CudaGenre.Benchmarks;

/// <summary>
/// <c>tta MODEL SPLIT_JSON DATA [VIEWS] [FRACTION]</c>: test-time augmentation over time crops, measured with the engine
/// (CPU, FP32) before it is built into it. Each image of the validation and test splits is classified from the whole
/// image, and from VIEWS (5) crops of FRACTION (0.8) of its width at evenly spaced positions, each resized to the model
/// input as the trainer's random time crop is; the views' softmax probabilities are averaged. Prints balanced accuracy
/// for the whole image alone (must equal the trainer's and <c>evaluate</c>'s figure), the crops alone, and whole + crops.
/// </summary>
internal static class TimeCropTta
{
    public static void Run(string model, string splitPath, string data, int views, double fraction)
    {
        if (views < 2 || fraction is <= 0 or > 1)
            throw new ArgumentException("VIEWS must be at least 2 and FRACTION in (0, 1].");
        using var session = InferenceSession.Open(model, new SessionOptions { Backend = Backend.Cpu, Threads = 2 });
        var preprocessor = new ImagePreprocessor(session.Spec.ToPreprocessSettings());
        var split = SplitManifest.Load(splitPath);
        var classes = session.ClassCount;
        Console.WriteLine($"# time-crop TTA: {model}; {views} crops of {fraction:F2} of the width, evenly spaced, + the whole image; CPU FP32");
        foreach (var part in new[] { SplitPart.Validation, SplitPart.Test })
        {
            var entries = split.Part(part).ToList();
            var correct = new int[3, classes];
            var support = new int[classes];
            foreach (var entry in entries)
            {
                var image = ImageFile.Read(Path.Combine(data, entry.File.Replace('/', Path.DirectorySeparatorChar)));
                var cropWidth = Math.Max(1, (int)Math.Round(image.Width * fraction));
                var inputs = new List<float[]> { preprocessor.Process(image) };
                for (var v = 0; v < views; v++)
                {
                    var left = (int)Math.Round((double)v * (image.Width - cropWidth) / (views - 1));
                    inputs.Add(preprocessor.Process(Trainer.Data.Augmentation.CropColumns(image, left, cropWidth))); // the trainer's crop
                }
                var logits = session.Run(inputs.SelectMany(i => i).ToArray(), inputs.Count);
                var whole = Softmax(logits.AsSpan(0, classes));
                var crops = new double[classes];
                for (var v = 1; v < inputs.Count; v++)
                {
                    var p = Softmax(logits.AsSpan(v * classes, classes));
                    for (var c = 0; c < classes; c++)
                        crops[c] += p[c] / views;
                }
                var both = whole.Zip(crops, (w, c) => (w + (c * views)) / (views + 1)).ToArray();
                support[entry.Label]++;
                var predictions = new[] { ArgMax(whole), ArgMax(crops), ArgMax(both) };
                for (var k = 0; k < 3; k++)
                    correct[k, entry.Label] += predictions[k] == entry.Label ? 1 : 0;
            }
            string Balanced(int k) => Enumerable.Range(0, classes).Where(c => support[c] > 0).Average(c => (double)correct[k, c] / support[c]).ToString("F4", CultureInfo.InvariantCulture);
            Console.WriteLine($"{part}, {entries.Count} images: balanced accuracy whole image {Balanced(0)}, crops only {Balanced(1)}, whole + crops {Balanced(2)}");
        }
    }

    private static double[] Softmax(ReadOnlySpan<float> logits)
    {
        var p = new float[logits.Length];
        Engine.Cpu.Softmax.Row(logits, p);
        return [.. p.Select(v => (double)v)];
    }

    private static int ArgMax(double[] p) => Array.IndexOf(p, p.Max());
}
