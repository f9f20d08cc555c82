using BenchmarkDotNet.Attributes;
using CudaGenre.Core.Models;
using CudaGenre.Engine;
using CudaGenre.Trainer.Models;
using static TorchSharp.torch;

namespace CudaGenre.Benchmarks;

/// <summary>
/// One forward pass of each model on the CPU: our engine vs TorchSharp (libtorch CPU, eval mode, no_grad) on
/// the same weights and inputs, each using every core. Weights are the trainer's seeded random ones with
/// random BatchNorm statistics; speed does not depend on their values.
/// </summary>
public class CpuModelBenchmarks
{
    private InferenceSession _session = null!;
    private GraphModule _torch = null!;
    private Tensor _torchInput = null!;
    private float[] _input = null!;
    private float[] _logits = null!;
    private string _folder = null!;

    [Params("cnn", "resnet50", "xception")]
    public string Model { get; set; } = "resnet50";

    [Params(1, 16)]
    public int Batch { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        if (!ArchitectureNames.TryParseArchitecture(Model, out var architecture))
        {
            throw new ArgumentException($"unknown model {Model}");
        }
        var spec = ModelSpec.Default(architecture);
        set_num_threads(Environment.ProcessorCount);
        _folder = Directory.CreateTempSubdirectory("cudagenre-bench-").FullName;
        var path = Path.Combine(_folder, "model.safetensors");
        _torch = RandomModel.Create(spec, seed: 1);
        Export.WriteModel(path, _torch, spec);
        _session = InferenceSession.Open(path, new SessionOptions { Backend = Backend.Cpu });
        _torchInput = randn([Batch, spec.InputChannels, spec.InputHeight, spec.InputWidth], generator: new Generator(2));
        _input = _torchInput.data<float>().ToArray();
        _logits = new float[Batch * _session.ClassCount];
        _session.WarmUp(Batch);
        Warm(() => TorchSharp());
        Warm(() => Engine());
    }

    /// <summary>
    /// Runs a side until .NET has tiered up its code: the first passes run unoptimized or ahead-of-time code
    /// (the CNN at batch 1 took 18–20 ms per pass for its first ten, 4.5 ms after), and BenchmarkDotNet's own
    /// warm-up, back to back, does not leave the JIT's background thread the pause it waits for. Three rounds of
    /// up to ten calls (about three seconds' worth) with a pause after each.
    /// </summary>
    private static void Warm(Func<float> call)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        call();
        var calls = (int)Math.Clamp(1000 / Math.Max(clock.Elapsed.TotalMilliseconds, 1), 2, 10);
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < calls; i++)
                call();
            Thread.Sleep(250);
        }
    }

    [Benchmark(Baseline = true)]
    public float TorchSharp()
    {
        using var noGrad = no_grad();
        using var logits = _torch.forward(_torchInput);
        return logits[0, 0].item<float>();
    }

    [Benchmark]
    public float Engine()
    {
        _session.Run(_input, Batch, _logits);
        return _logits[0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _torch.Dispose();
        _torchInput.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
