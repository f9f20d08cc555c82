using System.Runtime.InteropServices;
using System.Security.Cryptography;
using CudaGenre.Core;
using CudaGenre.Core.Imaging;
using CudaGenre.Core.Models;
using CudaGenre.Engine;

namespace CudaGenre.LogitDigest;

/// <summary>
/// One line per (model, backend, precision, path, batch): a SHA-256 of the logits' bit patterns and the first
/// logit's bits, for seeded random models and inputs. Two runs of the same build give the same lines; a change
/// of any output bit changes a line, so `diff` of a run before and after a refactoring shows whether the outputs
/// stayed bit-identical. CUDA lines need a device (the emulated one in CI: CUDAGENRE_CUDA_LIB_PATH); without one
/// they say why. Plans are made by cuDNN's heuristic, not by timing, so that the choices are the same every run.
/// Usage: CudaGenre.LogitDigest [cpu|cuda|all] (default all).
/// </summary>
public static class Program
{
    private static readonly (string Arch, string Head, int Size)[] Models =
    [
        ("cnn", "linear", 32), ("cnn", "dense", 32), ("resnet18", "linear", 32), ("resnet50", "dense", 32), ("xception", "linear", 71),
    ];

    public static int Main(string[] args)
    {
        var which = args.Length > 0 ? args[0] : "all";
        var folder = Directory.CreateTempSubdirectory("cudagenre-digest-").FullName;
        try
        {
            foreach (var (arch, head, size) in Models)
            {
                _ = ArchitectureNames.TryParseArchitecture(arch, out var architecture);
                _ = ArchitectureNames.TryParseHead(head, out var classifier);
                var spec = ModelSpec.Default(architecture, classifier) with { InputHeight = size, InputWidth = size };
                var path = Path.Combine(folder, $"{arch}-{head}.safetensors");
                RandomWeights.WriteModel(path, spec, seed: 17);
                var model = $"{arch}/{head} {size}x{size}";
                if (which is "cpu" or "all")
                    Digest(model, "cpu fp32", path, new SessionOptions { Backend = Backend.Cpu, Threads = 2 });
                if (which is not ("cuda" or "all"))
                    continue;
                foreach (var precision in new[] { Precision.Fp32, Precision.Tf32, Precision.Fp16, Precision.Bf16 })
                {
                    Digest(model, $"cuda {precision}", path, Cuda(precision));
                }
                if (arch == "xception")
                {
                    Digest(model, "cuda Fp32 separable=fused", path, Cuda(Precision.Fp32, new CudaOptions { Separable = SeparablePath.Fused }));
                    Digest(model, "cuda Fp16 separable=fused", path, Cuda(Precision.Fp16, new CudaOptions { Separable = SeparablePath.Fused }));
                    foreach (var depthwise in new[] { "depthwise3x3_nhwc_f32", "depthwise3x3w4_nhwc_f32", "depthwise3x3v4_nhwc_f32", "cuDNN grouped convolution" })
                        Digest(model, $"cuda Fp32 depthwise={depthwise}", path, Cuda(Precision.Fp32, new CudaOptions { Depthwise = depthwise, Separable = SeparablePath.Split }));
                }
            }
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static SessionOptions Cuda(Precision precision, CudaOptions? cuda = null) =>
        new() { Backend = Backend.Cuda, Precision = precision, Cuda = (cuda ?? new CudaOptions()) with { MeasureConvolutionAlgorithms = false } };

    /// <summary>Batches 1 and 3 from floats (the second run of a batch replays the CUDA graph), then 3 images of two sizes.</summary>
    private static void Digest(string model, string config, string path, SessionOptions options)
    {
        InferenceSession session;
        try
        {
            session = InferenceSession.Open(path, options);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.WriteLine($"{model} | {config} | unavailable: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            return;
        }
        using (session)
        {
            foreach (var batch in new[] { 1, 3 })
            {
                var input = Inputs(batch * session.InputLength, (ulong)(100 + batch));
                var first = session.Run(input, batch);
                var second = session.Run(input, batch);
                Console.WriteLine($"{model} | {config} | floats batch {batch} | {Hash(first)}");
                Console.WriteLine($"{model} | {config} | floats batch {batch} again | {Hash(second)}");
            }
            RgbImage[] images = [Image(64, 48, 1), Image(64, 48, 2), Image(40, 30, 3)];
            var logits = new float[images.Length * session.ClassCount];
            session.Run(images, logits);
            Console.WriteLine($"{model} | {config} | images batch 3 | {Hash(logits)}");
        }
    }

    private static string Hash(float[] logits)
    {
        var bytes = MemoryMarshal.AsBytes(logits.AsSpan());
        return $"{Convert.ToHexString(SHA256.HashData(bytes))[..24]} first {BitConverter.SingleToInt32Bits(logits[0]):x8}";
    }

    private static float[] Inputs(int length, ulong seed)
    {
        var random = new SeededRandom(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 4 - 2))];
    }

    private static RgbImage Image(int width, int height, ulong seed)
    {
        var random = new SeededRandom(seed);
        return new RgbImage(width, height, [.. Enumerable.Range(0, width * height * 3).Select(_ => (byte)random.NextInt(256))]);
    }
}
