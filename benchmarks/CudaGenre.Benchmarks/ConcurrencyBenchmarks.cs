using BenchmarkDotNet.Attributes;
using CudaGenre.Core.Models;
using CudaGenre.Engine;
using CudaGenre.Trainer.Models;

namespace CudaGenre.Benchmarks;

/// <summary>
/// How a service should use the cores for many single-image requests: one caller with every core per
/// request (<c>Threads</c> = cores), or one caller per core sharing one session (<c>Threads</c> = 1; the
/// session's plan pool gives each concurrent caller its own plan). Each benchmark serves the same 32 requests
/// at batch 1.
/// </summary>
public class ConcurrencyBenchmarks
{
    private const int Requests = 32;
    private InferenceSession _wide = null!;
    private InferenceSession _narrow = null!;
    private float[] _input = null!;
    private string _folder = null!;

    [Params("cnn", "resnet50")]
    public string Model { get; set; } = "cnn";

    [GlobalSetup]
    public void Setup()
    {
        if (!ArchitectureNames.TryParseArchitecture(Model, out var architecture))
            throw new ArgumentException($"unknown model {Model}");
        var spec = ModelSpec.Default(architecture);
        _folder = Directory.CreateTempSubdirectory("cudagenre-bench-").FullName;
        var path = Path.Combine(_folder, "model.safetensors");
        using (var torch = RandomModel.Create(spec, seed: 1))
            Export.WriteModel(path, torch, spec);
        _wide = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = Environment.ProcessorCount });
        _narrow = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu, Threads = 1 });
        var random = new Random(2);
        _input = [.. Enumerable.Range(0, _wide.InputLength).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        for (var round = 0; round < 3; round++)
        {
            SequentialWide();
            ConcurrentNarrow();
            Thread.Sleep(250);
        }
    }

    /// <summary>Requests one after another, each split over every core.</summary>
    [Benchmark(Baseline = true)]
    public float SequentialWide()
    {
        var logits = new float[_wide.ClassCount];
        for (var i = 0; i < Requests; i++)
            _wide.Run(_input, 1, logits);
        return logits[0];
    }

    /// <summary>One caller per core, each request on one core, all sharing one session.</summary>
    [Benchmark]
    public float ConcurrentNarrow()
    {
        var callers = Environment.ProcessorCount;
        var sum = 0f;
        Parallel.For(0, callers, new ParallelOptions { MaxDegreeOfParallelism = callers }, c =>
        {
            var logits = new float[_narrow.ClassCount];
            for (var i = c; i < Requests; i += callers)
                _narrow.Run(_input, 1, logits);
            sum += logits[0];
        });
        return sum;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _wide.Dispose();
        _narrow.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
